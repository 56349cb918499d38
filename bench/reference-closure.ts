import type { BatchAsset } from './reference-graph.js';

/**
 * The benchmark's own copy of the graph it generated, to pick interesting roots (the
 * largest closures, the deepest consumers) and to check the service's answers.
 */
export class ReferenceGraph {
  readonly refs: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly dependsOn: number[][] = [];
  private readonly dependents: number[][] = [];

  add(asset: BatchAsset): void {
    const id = this.idFor(asset.ref);
    for (const spec of asset.dependsOn ?? []) {
      const dep = this.idFor(typeof spec === 'string' ? spec : spec.ref);
      this.dependsOn[id].push(dep);
      this.dependents[dep].push(id);
    }
  }

  private idFor(ref: string): number {
    let id = this.ids.get(ref);
    if (id === undefined) {
      id = this.refs.push(ref) - 1;
      this.ids.set(ref, id);
      this.dependsOn[id] = [];
      this.dependents[id] = [];
    }
    return id;
  }

  get size(): number {
    return this.refs.length;
  }

  inDegree(id: number): number {
    return this.dependents[id].length;
  }

  /** Shortest distances of everything reachable from `ref`, the root excluded. */
  closure(ref: string, direction: 'upstream' | 'downstream'): Map<number, number> {
    const root = this.ids.get(ref)!;
    const adjacency = direction === 'downstream' ? this.dependents : this.dependsOn;
    const distance = new Map<number, number>([[root, 0]]);
    let frontier = [root];
    for (let d = 1; frontier.length > 0; d++) {
      const next: number[] = [];
      for (const u of frontier)
        for (const v of adjacency[u])
          if (!distance.has(v)) {
            distance.set(v, d);
            next.push(v);
          }
      frontier = next;
    }
    distance.delete(root);
    return distance;
  }
}
