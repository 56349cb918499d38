import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ConflictError } from '../src/domain/errors.js';
import { register, type FixtureAsset } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp, ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

// Deletions, deprecations and reinstatements read the closure index; under a steady write
// load elsewhere in the graph they must still succeed, and answer from the exact graph.

type Http = ReturnType<typeof supertest>;

/** Concurrent writers of unrelated assets. */
const LOAD_LOOPS = 4;
/** Operations of each kind run while the load goes on. */
const ROUNDS = 6;

interface Edge {
  ref: string;
  dependsOn?: string[];
  contact?: string;
}

/**
 * A deprecation target's downstream, with consumers at several distances; every consumer
 * has one shortest path.
 *   root ← <p>_f ← <p>_m ← <p>_m2 ← consumer <p>_c3
 *           ↑       ↖ consumer <p>_c1
 *           consumer <p>_c2
 */
const deprecationGraph = (p: string): Edge[] => [
  { ref: `source:${p}` },
  { ref: `feature:${p}_f`, dependsOn: [`source:${p}`] },
  { ref: `model:${p}_m`, dependsOn: [`feature:${p}_f`] },
  { ref: `model:${p}_m2`, dependsOn: [`model:${p}_m`] },
  { ref: `consumer:${p}_c1`, dependsOn: [`model:${p}_m`], contact: `${p}_c1@example.com` },
  { ref: `consumer:${p}_c2`, dependsOn: [`feature:${p}_f`], contact: `${p}_c2@example.com` },
  { ref: `consumer:${p}_c3`, dependsOn: [`model:${p}_m2`], contact: `${p}_c3@example.com` },
];

/** What the closure of `root` must be: a breadth-first search over the fixture itself. */
function referenceConsumers(graph: Edge[], root: string): { ref: string; distance: number; contact: string | null }[] {
  const dependents = new Map<string, string[]>();
  for (const asset of graph) for (const dep of asset.dependsOn ?? []) dependents.set(dep, [...(dependents.get(dep) ?? []), asset.ref]);
  const distance = new Map([[root, 0]]);
  const queue = [root];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of dependents.get(at) ?? [])
      if (!distance.has(next)) {
        distance.set(next, distance.get(at)! + 1);
        queue.push(next);
      }
  }
  return graph
    .filter((a) => a.ref.startsWith('consumer:') && distance.has(a.ref))
    .map((a) => ({ ref: a.ref, distance: distance.get(a.ref)!, contact: a.contact ?? null }))
    .sort((x, y) => x.ref.localeCompare(y.ref));
}

interface Consumer {
  ref: string;
  distance: number;
  contact: string | null;
  path: string[];
}

/** The consumers as answered, checked to be the reference's, each path a real shortest path. */
function expectConsumers(graph: Edge[], root: string, answered: Consumer[]): void {
  const byRef = new Map(graph.map((a) => [a.ref, a]));
  expect(answered.map(({ ref, distance, contact }) => ({ ref, distance, contact })).sort((x, y) => x.ref.localeCompare(y.ref))).toEqual(
    referenceConsumers(graph, root),
  );
  for (const consumer of answered) {
    expect(consumer.path).toHaveLength(consumer.distance + 1);
    expect(consumer.path[0]).toBe(root);
    expect(consumer.path.at(-1)).toBe(consumer.ref);
    for (let i = 1; i < consumer.path.length; i++) expect(byRef.get(consumer.path[i])!.dependsOn).toContain(consumer.path[i - 1]);
  }
}

/** An asset that others depend on: deleting it is refused, with this impact. */
const HELD: Edge[] = [
  { ref: 'source:held' },
  { ref: 'feature:held_f', dependsOn: ['source:held'] },
  { ref: 'model:held_m', dependsOn: ['feature:held_f'] },
  { ref: 'consumer:held_a', dependsOn: ['model:held_m'], contact: 'held_a@example.com' },
  { ref: 'consumer:held_b', dependsOn: ['feature:held_f'], contact: 'held_b@example.com' },
];

function expectHeldImpact(impact: {
  root: string;
  safeToDelete: boolean;
  total: number;
  countsByKind: Record<string, number>;
  consumers: Consumer[];
  owners: string[];
}): void {
  expect(impact).toMatchObject({
    root: 'source:held',
    safeToDelete: false,
    total: 4,
    countsByKind: { source: 0, feature: 1, model: 1, consumer: 2 },
    owners: ['team-consumer', 'team-feature', 'team-model'],
  });
  expectConsumers(HELD, 'source:held', impact.consumers);
}

const fixture = (graph: Edge[]): FixtureAsset[] => graph.map((a) => ({ ...a, dependsOn: a.dependsOn ?? [] }));

/**
 * Each of `LOAD_LOOPS` loops PUTs assets nobody else touches, as fast as it can, until
 * `stop` is called; every PUT appends to the change log. Any answer but 200/201 is kept.
 */
function writeLoad(http: Http) {
  let running = true;
  let puts = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: LOAD_LOOPS }, async (_, loop) => {
    for (let i = 0; running; i++) {
      const res = await http.put(`/v1/assets/feature/load_${loop}_${i % 8}`).send({ owner: 'load', description: `write ${i}` });
      if (res.status === 200 || res.status === 201) puts++;
      else failures.push(`${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  return {
    get puts() {
      return puts;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return { puts, failures };
    },
  };
}

const DEPRECATE = `mutation ($ref: String!, $reason: String!) {
  deprecateAsset(ref: $ref, input: { reason: $reason }) {
    asset { ref lifecycle } affectedConsumers { ref distance contact path } notificationsQueued
  }
}`;
const REINSTATE = `mutation ($ref: String!) { reinstateAsset(ref: $ref) { ref lifecycle } }`;
const DELETE = `mutation ($ref: String!, $force: Boolean, $reason: String) {
  deleteAsset(ref: $ref, force: $force, reason: $reason) { ref deleted }
}`;

describe('deletions and deprecations under a steady write load (PostgreSQL)', () => {
  let t: TestApp;
  const rest = deprecationGraph('dep_rest');
  const graphql = deprecationGraph('dep_gql');
  beforeAll(async () => {
    t = await startTestApp();
    const plain = Array.from({ length: ROUNDS }, (_, i) => [{ ref: `source:plain_${i}` }, { ref: `source:gplain_${i}` }]).flat();
    const forced = Array.from({ length: ROUNDS }, (_, i) => [
      { ref: `source:forced_${i}` },
      { ref: `feature:forced_dep_${i}`, dependsOn: [`source:forced_${i}`] },
    ]).flat();
    await register(t, fixture([...rest, ...graphql, ...HELD, ...plain, ...forced]));
  });
  afterAll(() => t?.close());

  it('every deletion, deprecation and reinstatement succeeds, with exact answers', { timeout: 120_000 }, async () => {
    const load = writeLoad(t.http);
    const outcomes: { op: string; ok: boolean; detail?: string }[] = [];
    const note = (op: string, ok: boolean, res: { status: number; body: unknown }) =>
      outcomes.push({ op, ok, ...(ok ? {} : { detail: `${res.status} ${JSON.stringify(res.body).slice(0, 300)}` }) });
    try {
      // Let the load get going first.
      while (load.puts < 2 * LOAD_LOOPS) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let round = 0; round < ROUNDS; round++) {
        const plain = await t.http.delete(`/v1/assets/source/plain_${round}`);
        note('delete', plain.status === 204, plain);

        const forced = await t.http.delete(`/v1/assets/source/forced_${round}`).query({ force: 'true', reason: 'dropped under load' });
        note('forced delete', forced.status === 204, forced);

        const refused = await t.http.delete('/v1/assets/source/held');
        const refusedOk = refused.status === 409 && refused.body.error?.details?.root === 'source:held';
        note('refused delete', refusedOk, refused);
        if (refusedOk) expectHeldImpact(refused.body.error.details);

        const deprecated = await t.http.post('/v1/assets/source/dep_rest/deprecate').send({ reason: `round ${round}` });
        note('deprecate', deprecated.status === 200, deprecated);
        if (deprecated.status === 200) {
          expect(deprecated.body.asset).toMatchObject({ ref: 'source:dep_rest', lifecycle: 'deprecated' });
          expectConsumers(rest, 'source:dep_rest', deprecated.body.affectedConsumers);
        }

        const reinstated = await t.http.post('/v1/assets/source/dep_rest/reinstate').send({});
        note('reinstate', reinstated.status === 200 && reinstated.body.lifecycle === 'production', reinstated);

        const gDeprecated = await gql(t, DEPRECATE, { ref: 'source:dep_gql', reason: `round ${round}` });
        note('graphql deprecate', !gDeprecated.errors, { status: gDeprecated.status, body: gDeprecated.errors });
        if (!gDeprecated.errors) expectConsumers(graphql, 'source:dep_gql', gDeprecated.data.deprecateAsset.affectedConsumers);

        const gReinstated = await gql(t, REINSTATE, { ref: 'source:dep_gql' });
        note('graphql reinstate', !gReinstated.errors, { status: gReinstated.status, body: gReinstated.errors });

        const gPlain = await gql(t, DELETE, { ref: `source:gplain_${round}` });
        note('graphql delete', gPlain.data?.deleteAsset?.deleted === true, { status: gPlain.status, body: gPlain.errors });

        // A refusal is a CONFLICT carrying the impact, never an internal error.
        const gRefused = await gql(t, DELETE, { ref: 'source:held' });
        const conflict = gRefused.errors?.[0];
        const gRefusedOk = conflict?.extensions?.code === 'CONFLICT' && conflict.extensions.impact?.root === 'source:held';
        note('graphql refused delete', gRefusedOk, { status: gRefused.status, body: gRefused.errors });
        if (gRefusedOk) expectHeldImpact(conflict.extensions!.impact);
      }
    } finally {
      const { puts, failures } = await load.stop();
      const failed = outcomes.filter((o) => !o.ok);
      console.log(`under load (${puts} PUTs): ${failed.length} of ${outcomes.length} operations failed`);
      expect(failures).toEqual([]);
      // The operations really ran under the load.
      expect(puts).toBeGreaterThan(outcomes.length);
      expect(failed).toEqual([]);
    }

    // What they did is stored, and the index says the same.
    for (let i = 0; i < ROUNDS; i++) {
      expect((await t.http.get(`/v1/assets/source/plain_${i}`)).status).toBe(404);
      expect((await t.http.get(`/v1/assets/source/gplain_${i}`)).status).toBe(404);
      const dependent = (await t.http.get(`/v1/assets/feature/forced_dep_${i}`)).body;
      expect(dependent).toMatchObject({ dependsOn: [], revision: 2 });
      expect((await t.http.get(`/v1/assets/feature/forced_dep_${i}/upstream`)).body.total).toBe(0);
    }
    expect((await t.http.get('/v1/assets/source/dep_rest')).body).toMatchObject({ lifecycle: 'production', revision: 1 + 2 * ROUNDS });
    expect((await t.http.get('/v1/assets/source/held/downstream')).body.total).toBe(4);
  });

  it('answers from the graph as another process has just left it', { timeout: 60_000 }, async () => {
    // This process does not follow the log in the background: only the write's own
    // catch-up under the lock can tell it what the other process wrote.
    t.container.graph.stopFollowing();
    const other = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent' }));
    try {
      await other.app.ready();
      const elsewhere = supertest.agent(other.app.server).set(ADMIN_AUTH);
      await register(t, fixture([{ ref: 'source:moved' }, { ref: 'feature:moved_f', dependsOn: ['source:moved'] }, { ref: 'source:bare' }]));
      await t.http.get('/v1/assets/source/moved/downstream');
      expect(
        (await elsewhere.put('/v1/assets/consumer/moved_late').send({ owner: 'late', contact: 'late@example.com', dependsOn: ['feature:moved_f'] }))
          .status,
      ).toBe(201);
      expect((await elsewhere.put('/v1/assets/feature/bare_f').send({ owner: 'late', dependsOn: ['source:bare'] })).status).toBe(201);

      const deprecated = await t.http.post('/v1/assets/source/moved/deprecate').send({ reason: 'moved' });
      expect(deprecated.status).toBe(200);
      expect(deprecated.body.affectedConsumers).toMatchObject([
        { ref: 'consumer:moved_late', contact: 'late@example.com', distance: 2, path: ['source:moved', 'feature:moved_f', 'consumer:moved_late'] },
      ]);
      const refused = await t.http.delete('/v1/assets/source/bare');
      expect(refused.status).toBe(409);
      expect(refused.body.error.details).toMatchObject({ root: 'source:bare', total: 1, dependents: [{ ref: 'feature:bare_f', distance: 1 }] });
    } finally {
      await other.app.close();
    }
  });

  it('the index takes each commit itself, with no log query after it', async () => {
    // No background catch-up and no read in between: only the write's own bookkeeping can
    // bring the index to the log's end.
    t.container.graph.stopFollowing();
      await register(t, fixture([{ ref: 'source:own' }, { ref: 'feature:own_f', dependsOn: ['source:own'] }, { ref: 'source:own_gone' }]));
      await t.http.get('/v1/assets/source/own/downstream');
      const { index } = t.container.graph;
      const lastSeq = async () => Number((await t.container.db.query<{ seq: string }>('SELECT max(seq)::text AS seq FROM graph_changes'))[0].seq);

      expect((await t.http.post('/v1/assets/source/own/deprecate').send({ reason: 'replaced' })).status).toBe(200);
      expect(index.isDeprecated(index.idOf('source', 'own')!)).toBe(true);
      expect(t.container.graph.stats().appliedSeq).toBe(await lastSeq());

      expect((await t.http.post('/v1/assets/source/own/reinstate').send({})).status).toBe(200);
      expect(index.isDeprecated(index.idOf('source', 'own')!)).toBe(false);
      expect(t.container.graph.stats().appliedSeq).toBe(await lastSeq());

      expect((await t.http.delete('/v1/assets/source/own_gone')).status).toBe(204);
      expect(index.idOf('source', 'own_gone')).toBeUndefined();
      expect(t.container.graph.stats().appliedSeq).toBe(await lastSeq());

      const dependent = index.idOf('feature', 'own_f')!;
      expect(index.dependenciesOf(dependent)).toHaveLength(1);
      expect((await t.http.delete('/v1/assets/source/own').query({ force: 'true', reason: 'gone' })).status).toBe(204);
      expect(index.idOf('source', 'own')).toBeUndefined();
      expect(index.dependenciesOf(dependent)).toEqual([]);
      expect(t.container.graph.stats().appliedSeq).toBe(await lastSeq());
  });
});

describe('GraphQL conflicts of these mutations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await register(t, fixture([{ ref: 'source:gc' }, { ref: 'feature:gc_f', dependsOn: ['source:gc'] }]));
  });
  afterAll(() => t?.close());

  it('are CONFLICT, never INTERNAL_SERVER_ERROR', async () => {
    const refused = (await gql(t, DELETE, { ref: 'source:gc' })).errors!;
    expect(refused).toHaveLength(1);
    expect(refused[0].extensions).toMatchObject({ code: 'CONFLICT', impact: { root: 'source:gc', total: 1 } });
    const notDeprecated = (await gql(t, REINSTATE, { ref: 'source:gc' })).errors!;
    expect(notDeprecated[0]).toMatchObject({ message: 'source:gc is not deprecated', extensions: { code: 'CONFLICT' } });

    // Whatever conflict a service reports, each mutation passes it on as a CONFLICT.
    const conflict = () => Promise.reject(new ConflictError('the graph moved'));
    const spies = [
      vi.spyOn(t.container.assets, 'delete').mockImplementationOnce(conflict),
      vi.spyOn(t.container.deprecations, 'deprecate').mockImplementationOnce(conflict),
      vi.spyOn(t.container.deprecations, 'reinstate').mockImplementationOnce(conflict),
    ];
    try {
      const answers = [
        await gql(t, DELETE, { ref: 'source:gc', force: true, reason: 'x' }),
        await gql(t, DEPRECATE, { ref: 'source:gc', reason: 'x' }),
        await gql(t, REINSTATE, { ref: 'source:gc' }),
      ];
      for (const answer of answers) expect(answer.errors).toEqual([expect.objectContaining({ message: 'the graph moved', extensions: { code: 'CONFLICT', requestId: expect.any(String) } })]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect((await t.http.get('/v1/assets/source/gc')).status).toBe(200);
  });
});

describe('the same operations on the embedded database (PGlite, one connection)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'depcat-busy-'));
  let app: Awaited<ReturnType<typeof buildApp>>['app'] | undefined;
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes, deprecates and reinstates while writes run, without waiting on itself', { timeout: 120_000 }, async () => {
    ({ app } = await buildApp(loadConfig({ ...TEST_ENV, DEPCAT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' })));
    await app.ready();
    const http = supertest.agent(app.server).set(ADMIN_AUTH);
    const graph = deprecationGraph('lite');
    const res = await http.post('/v1/batch').send({
      assets: [...graph, ...HELD, { ref: 'source:lite_plain' }, { ref: 'source:lite_forced' }, { ref: 'feature:lite_forced_f', dependsOn: ['source:lite_forced'] }].map(
        (a) => ({ owner: `team-${a.ref.split(':')[0]}`, ...a }),
      ),
    });
    expect(res.status).toBe(200);

    const load = writeLoad(http);
    try {
      const deprecated = await http.post('/v1/assets/source/lite/deprecate').send({ reason: 'embedded' });
      expect(deprecated.status).toBe(200);
      expectConsumers(graph, 'source:lite', deprecated.body.affectedConsumers);
      expect((await http.post('/v1/assets/source/lite/reinstate').send({})).status).toBe(200);
      expect((await http.delete('/v1/assets/source/lite_plain')).status).toBe(204);
      expect((await http.delete('/v1/assets/source/lite_forced').query({ force: 'true', reason: 'embedded' })).status).toBe(204);
      const refused = await http.delete('/v1/assets/source/held');
      expect(refused.status).toBe(409);
      expectHeldImpact(refused.body.error.details);
    } finally {
      const { failures } = await load.stop();
      expect(failures).toEqual([]);
    }
    expect((await http.get('/v1/assets/feature/lite_forced_f')).body.dependsOn).toEqual([]);
  });
});
