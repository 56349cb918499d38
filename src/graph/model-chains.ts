import type { ClosureIndex } from './closure-index.js';

/**
 * Longest chains of models depending on models (correction cascades), memoised per
 * instance. A chain from a model follows, at each step, the model dependency with the
 * longest chain below it (lowest id on a tie), so the answer for a model depends only on
 * the models below it: a full pass and a per-asset read agree. On a cycle among models
 * (also reported as a feedback loop) a dependency back onto the chain is not followed.
 */
export class ModelChains {
  private length = new Map<number, number>();
  private next = new Map<number, number>();

  constructor(private readonly index: ClosureIndex) {}

  modelDependencies(id: number): number[] {
    return this.index.dependenciesOf(id).filter((w) => this.index.kindOf(w) === 'model');
  }

  /** The models that depend directly on `id` and are models. */
  modelDependents(id: number): number[] {
    return this.index.dependentsOf(id).filter((w) => this.index.kindOf(w) === 'model');
  }

  /** The chain from `id` down, `id` first; length 1 when it depends on no model. */
  chainFrom(id: number): number[] {
    this.compute(id);
    const chain = [id];
    for (let v = this.next.get(id); v !== undefined; v = this.next.get(v)) chain.push(v);
    return chain;
  }

  private compute(root: number): void {
    if (this.length.has(root)) return;
    const onPath = new Set<number>([root]);
    const stack: { id: number; deps: number[]; at: number }[] = [
      { id: root, deps: this.modelDependencies(root), at: 0 },
    ];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.at < frame.deps.length) {
        const w = frame.deps[frame.at++];
        if (!this.length.has(w) && !onPath.has(w)) {
          onPath.add(w);
          stack.push({ id: w, deps: this.modelDependencies(w), at: 0 });
        }
        continue;
      }
      // Every dependency not on the current path is done; ancestors on the path are not,
      // which is how a dependency back onto the chain is left out.
      let best = -1;
      let bestLength = 0;
      for (const w of frame.deps) {
        const length = this.length.get(w);
        if (length !== undefined && (length > bestLength || (length === bestLength && w < best))) {
          best = w;
          bestLength = length;
        }
      }
      this.length.set(frame.id, bestLength + 1);
      if (best >= 0) this.next.set(frame.id, best);
      onPath.delete(frame.id);
      stack.pop();
    }
  }
}
