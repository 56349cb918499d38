import { describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import { ClosureIndex } from '../../graph/closure-index.js';
import { item, ref, stored } from './write-test-support.js';
import { chunkReads, planChunk, WriteRun, type ChunkRead } from './write-plan.js';

// Planning a chunk is pure: from the items and the chunk's read to the rows to store.

/** An index holding source:s (id 1) and the deprecated feature:old (id 2). */
function index(): ClosureIndex {
  const graph = new ClosureIndex();
  graph.apply({ seq: 1, id: 1, kind: 'source', name: 's', owner: 'team', dependsOn: [] });
  graph.apply({ seq: 2, id: 2, kind: 'feature', name: 'old', owner: 'team', deprecated: true, dependsOn: [] });
  return graph;
}

const ME = { actor: 'me', onBehalfOf: null };
/** The policy is judged elsewhere (policy.test.ts): here every item is allowed. */
const allow = () => {};

const storedSource = () => stored('source:s', { revision: 4 });

const read = (fields: Partial<ChunkRead> = {}): ChunkRead => ({ existing: [], resolved: [], freshIds: [], behind: false, ...fields });

describe('chunkReads', () => {
  it('fetches the stored assets the chunk names, ids for the rest, and only deprecated dependencies outside it', () => {
    const run = new WriteRun(ME, allow, false, index());
    const items = [item('source:s'), item('model:m', { dependsOn: [ref('feature:old'), ref('source:s')] }), item('model:n')];
    expect(chunkReads(run, items)).toEqual({ stored: [1], deprecated: [2], idCount: 2 });
    // Written in the chunk itself: its stored self is read anyway.
    expect(chunkReads(run, [item('feature:old'), item('model:m', { dependsOn: [ref('feature:old')] })]).deprecated).toEqual([]);
  });
});

describe('planChunk', () => {
  it('gives creations fresh ids in order and links dependencies within the chunk to them', () => {
    const run = new WriteRun(ME, allow, false, index());
    const items = [item('model:m', { dependsOn: [ref('feature:f'), { ref: ref('source:s'), pinnedVersion: 'v1' }] }), item('feature:f')];
    const { writes, plans } = planChunk(run, items, [], read({ freshIds: [10, 11] }));
    expect(plans.map((p) => [p.key, p.id])).toEqual([
      ['model:m', 10],
      ['feature:f', 11],
    ]);
    expect(writes[0]).toMatchObject({
      id: 10,
      existed: false,
      action: 'create',
      revision: 1,
      edges: [
        { dependencyId: 11, pinnedVersion: null, importance: null, note: null },
        { dependencyId: 1, pinnedVersion: 'v1', importance: null, note: null },
      ],
      // A creation's history is compact: bare refs where nothing else is attached, sorted.
      changes: { owner: 'team', lifecycle: 'production', dependsOn: ['feature:f', { ref: 'source:s', pinnedVersion: 'v1', importance: null, note: null }] },
    });
    expect([...run.planned]).toEqual([
      ['model:m', 10],
      ['feature:f', 11],
    ]);
  });

  it('writes nothing for an identical update, and a new revision with the diff for a changed one', () => {
    const same = planChunk(new WriteRun(ME, allow, false, index()), [item('source:s')], [], read({ existing: [storedSource()] }));
    expect(same.writes).toEqual([]);
    const changed = planChunk(new WriteRun(ME, allow, false, index()), [item('source:s', { owner: 'other' })], [], read({ existing: [storedSource()] }));
    expect(changed.writes).toEqual([
      expect.objectContaining({ id: 1, existed: true, action: 'update', revision: 5, changes: [{ field: 'owner', before: 'team', after: 'other' }] }),
    ]);
  });

  it('in an import, resolves a later chunk on the earlier ones and refuses one that repeats them', () => {
    const run = new WriteRun(ME, allow, true, index());
    planChunk(run, [item('feature:f', {}, 'lines[1]')], [], read({ freshIds: [10] }));
    const next = planChunk(run, [item('model:m', { dependsOn: [ref('feature:f'), ref('feature:later')] }, 'lines[2]')], [], read({ freshIds: [11] }));
    expect(next.writes[0].edges.map((e) => e.dependencyId)).toEqual([10]);
    expect(next.deferred.map((d) => d.field)).toEqual(['lines[2].dependsOn[1]']);
    let error: unknown;
    try {
      planChunk(run, [item('feature:f', {}, 'lines[3]')], [], read({ freshIds: [12] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).issues).toEqual([{ in: 'body', field: 'lines[3].ref', message: 'feature:f is listed twice in this import' }]);
  });

  it('leaves the items it was given as they were', () => {
    const items = [item('model:m', { dependsOn: [ref('source:s')] })];
    const edges = structuredClone(items[0].edges);
    planChunk(new WriteRun(ME, allow, false, index()), items, [], read({ freshIds: [10] }));
    expect(items[0].edges).toEqual(edges);
  });
});
