import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS, type Kind } from '../src/domain/model.js';
import { ClosureIndex, type ClosureCursor, type Direction } from '../src/graph/closure-index.js';

/**
 * The closure index against the simplest implementation that can be trusted: a BFS over
 * a Map of Sets, rebuilt from scratch. Graphs are random, with cycles, and edits are
 * applied to the index incrementally, as the change log does.
 */
interface ModelNode {
  kind: Kind;
  deps: Set<number>;
}
type Model = Map<number, ModelNode>;

function reference(model: Model, root: number, direction: Direction, maxDepth = Infinity): Map<number, number> {
  const next = (u: number): number[] =>
    direction === 'upstream'
      ? [...(model.get(u)?.deps ?? [])].filter((v) => model.has(v))
      : [...model].filter(([, node]) => node.deps.has(u)).map(([id]) => id);
  const distance = new Map<number, number>([[root, 0]]);
  let frontier = [root];
  for (let d = 1; frontier.length > 0 && d <= maxDepth; d++) {
    const level: number[] = [];
    for (const u of frontier)
      for (const v of next(u))
        if (!distance.has(v)) {
          distance.set(v, d);
          level.push(v);
        }
    frontier = level;
  }
  distance.delete(root);
  return distance;
}

const kindArb = fc.constantFrom(...KINDS);
/** An edit: put node `id` with a kind and dependencies, or delete it. */
const editArb = (n: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), id: fc.integer({ min: 1, max: n }), kind: kindArb, deps: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), id: fc.integer({ min: 1, max: n }) }) },
  );

type Edit = { op: 'put'; id: number; kind: Kind; deps: number[] } | { op: 'delete'; id: number };

/** Applies an edit to both sides, enforcing the service's rules (no self edges, nothing depends on a consumer). */
function apply(model: Model, index: ClosureIndex, edit: Edit): void {
  if (edit.op === 'delete') {
    if (!model.has(edit.id)) return;
    model.delete(edit.id);
    for (const node of model.values()) node.deps.delete(edit.id);
    index.apply({ seq: 0, id: edit.id, kind: null, name: null, owner: null, dependsOn: [] });
    return;
  }
  // A node that became a consumer loses its dependents, as the service would refuse them.
  if (edit.kind === 'consumer') for (const node of model.values()) node.deps.delete(edit.id);
  const deps = edit.deps.filter((d) => d !== edit.id && model.has(d) && model.get(d)!.kind !== 'consumer');
  model.set(edit.id, { kind: edit.kind, deps: new Set(deps) });
  if (edit.kind === 'consumer')
    for (const [id, node] of model)
      if (id !== edit.id) index.apply({ seq: 0, id, kind: node.kind, name: `n${id}`, owner: `o${id % 3}`, dependsOn: [...node.deps] });
  index.apply({ seq: 0, id: edit.id, kind: edit.kind, name: `n${edit.id}`, owner: `o${edit.id % 3}`, dependsOn: deps });
}

function checkAgainstReference(model: Model, index: ClosureIndex, root: number, direction: Direction, depth?: number): void {
  const expected = reference(model, root, direction, depth);
  const traversal = index.traverse(root, direction, depth);
  // Every node once, at its shortest distance, never the root; paging in (distance, id) order.
  const seen = new Map<number, number>();
  let after: ClosureCursor | undefined;
  let previous: [number, number] = [0, 0];
  for (let pages = 0; pages < 100; pages++) {
    const page = traversal.page(3, { after });
    for (const node of page.nodes) {
      expect(node.distance > previous[0] || (node.distance === previous[0] && node.id > previous[1])).toBe(true);
      previous = [node.distance, node.id];
      expect(seen.has(node.id)).toBe(false);
      seen.set(node.id, node.distance);
      const path = traversal.pathTo(node.position);
      expect(path).toHaveLength(node.distance + 1);
      expect(path[0]).toBe(root);
      expect(path[path.length - 1]).toBe(node.id);
      for (let i = 1; i < path.length; i++) {
        const [from, to] = direction === 'upstream' ? [path[i - 1], path[i]] : [path[i], path[i - 1]];
        expect(model.get(from)!.deps.has(to)).toBe(true);
      }
    }
    if (!page.next) break;
    after = page.next;
  }
  expect(seen).toEqual(expected);
  expect(traversal.total()).toBe(expected.size);
  const counts = { source: 0, feature: 0, model: 0, consumer: 0 };
  for (const id of expected.keys()) counts[model.get(id)!.kind]++;
  expect(traversal.countsByKind()).toEqual(counts);
  expect(traversal.total(new Set<Kind>(['model', 'consumer']))).toBe(counts.model + counts.consumer);
  const owners = [...new Set([...expected.keys()].map((id) => `o${id % 3}`))].sort();
  expect(traversal.owners()).toEqual(owners);
}

describe('closure index against a reference BFS', () => {
  it('agrees on random graphs with cycles, in both directions, at every depth', () => {
    fc.assert(
      fc.property(fc.array(editArb(12), { minLength: 1, maxLength: 40 }), fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), (edits, depth) => {
        const model: Model = new Map();
        const index = new ClosureIndex();
        for (const edit of edits) apply(model, index, edit);
        expect(index.size).toBe(model.size);
        for (const root of model.keys()) {
          checkAgainstReference(model, index, root, 'downstream', depth);
          checkAgainstReference(model, index, root, 'upstream', depth);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact under random interleavings of edits and reads', () => {
    fc.assert(
      // A small id space, so that deletions and re-creations of the same id are frequent.
      fc.property(fc.array(editArb(6), { minLength: 1, maxLength: 30 }), (edits) => {
        const model: Model = new Map();
        const index = new ClosureIndex();
        for (const edit of edits) {
          apply(model, index, edit);
          for (const root of model.keys()) {
            checkAgainstReference(model, index, root, 'downstream');
            checkAgainstReference(model, index, root, 'upstream');
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('terminates on a long cycle and never lists the root', () => {
    const index = new ClosureIndex();
    const n = 1000;
    for (let id = 1; id <= n; id++)
      index.apply({ seq: 0, id, kind: 'feature', name: `f${id}`, owner: 'o', dependsOn: [id === n ? 1 : id + 1] });
    const traversal = index.traverse(1, 'downstream');
    expect(traversal.total()).toBe(n - 1);
    expect(traversal.page(1000).nodes.some((node) => node.id === 1)).toBe(false);
    expect(index.traverse(1, 'upstream', 5).total()).toBe(5);
  });
});
