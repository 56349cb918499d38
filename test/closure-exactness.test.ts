import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTestApp, type TestApp, ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

/**
 * Random interleavings of writes and reads through two service instances on one
 * database: every read, through either, must match a reference BFS over what has been
 * written so far — the change log keeps both indexes exact.
 */
let t: TestApp;
let second: BuiltApp;
beforeAll(async () => {
  t = await startTestApp();
  second = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent' }));
  await second.app.ready();
});
afterAll(async () => {
  await second?.app.close();
  await t?.close();
});

type Edit = { op: 'put'; node: number; deps: number[] } | { op: 'delete'; node: number };
const N = 5;
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), node: fc.integer({ min: 0, max: N - 1 }), deps: fc.uniqueArray(fc.integer({ min: 0, max: N - 1 }), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), node: fc.integer({ min: 0, max: N - 1 }) }) },
);

function downstream(model: Map<number, Set<number>>, root: number): Record<string, number> {
  const distance = new Map([[root, 0]]);
  let frontier = [root];
  for (let d = 1; frontier.length > 0; d++) {
    const next: number[] = [];
    for (const u of frontier)
      for (const [v, deps] of model)
        if (deps.has(u) && !distance.has(v)) {
          distance.set(v, d);
          next.push(v);
        }
    frontier = next;
  }
  distance.delete(root);
  return Object.fromEntries([...distance].map(([id, d]) => [id, d]));
}

let run = 0;
describe('exact after every write, across two processes', () => {
  it('matches a reference BFS after random interleavings of writes and reads', async () => {
    const readers = [t.http, supertest.agent(second.app.server).set(ADMIN_AUTH)];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(editArb, fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 12 }), async (steps) => {
        const prefix = `r${run++}_`;
        const ref = (n: number) => `feature:${prefix}${n}`;
        const model = new Map<number, Set<number>>();
        for (const [edit, via] of steps) {
          const writer = readers[via];
          if (edit.op === 'put') {
            const deps = edit.deps.filter((d) => d !== edit.node && model.has(d));
            await writer.put(`/v1/assets/feature/${prefix}${edit.node}`).send({ owner: 'o', dependsOn: deps.map(ref) }).expect((res) => {
              if (res.status >= 300) throw new Error(JSON.stringify(res.body));
            });
            model.set(edit.node, new Set(deps));
          } else if (model.has(edit.node)) {
            // force: the node may have dependents, whose edges go with it
            await writer.delete(`/v1/assets/feature/${prefix}${edit.node}`).query({ force: 'true', reason: 'test' }).expect(204);
            model.delete(edit.node);
            for (const deps of model.values()) deps.delete(edit.node);
          }
          // The next read, through the other instance, sees the write.
          const reader = readers[1 - via];
          for (const node of model.keys()) {
            const page = (await reader.get(`/v1/assets/feature/${prefix}${node}/downstream`).expect(200)).body;
            const actual = Object.fromEntries(page.items.map((i: { name: string; distance: number }) => [i.name.slice(prefix.length), i.distance]));
            expect(actual).toEqual(downstream(model, node));
          }
        }
      }),
      { numRuns: 12 },
    );
  });
});
