import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import supertest from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { UnitOfWork } from '../src/repositories/store.js';
import { Pruner } from '../src/services/pruner.js';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp, ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

/** Direct SQL on a test database, beside the app. */
async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const logState = async (url: string) => {
  const [row] = await sql<{ count: number; min: string | null; max: string | null; horizon: string }>(
    url,
    `SELECT count(*)::int AS count, min(seq)::text AS min, max(seq)::text AS max,
            (SELECT seq FROM graph_log_horizon)::text AS horizon FROM graph_changes`,
  );
  return { count: row.count, min: Number(row.min), max: Number(row.max), horizon: Number(row.horizon) };
};

/** Sources s0..s(n-1): one change-log entry each. */
const sources = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => ({ ref: `source:${prefix}${i}` }));

/** A second service process on the same database that has loaded its index and stopped following the log. */
async function pausedReplica(url: string): Promise<BuiltApp> {
  const built = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: url, LOG_LEVEL: 'silent' }));
  await built.app.ready();
  await built.container.graph.fresh();
  built.container.graph.stopFollowing();
  return built;
}

describe('pruning the change log', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  it('keeps the newest DEPCAT_CHANGE_LOG_KEEP_COUNT entries and moves the horizon to the last one deleted', async () => {
    t = await startTestApp({ DEPCAT_CHANGE_LOG_KEEP_COUNT: '5', DEPCAT_CHANGE_LOG_KEEP_MS: '0' });
    await register(t, sources(20));
    const before = await logState(t.db.url);
    expect(before).toMatchObject({ count: 20, horizon: 0 });

    const result = await t.container.pruner.run();
    const after = await logState(t.db.url);
    expect(result).toMatchObject({ changes: 15, horizon: before.max - 5 });
    expect(after).toEqual({ count: 5, min: before.max - 4, max: before.max, horizon: before.max - 5 });
    // Nothing more to do: the five newest stay, however old.
    expect((await t.container.pruner.run()).changes).toBe(0);
    expect(await logState(t.db.url)).toEqual(after);
  });

  it('keeps every entry younger than DEPCAT_CHANGE_LOG_KEEP_MS, and stops at the first young one', async () => {
    t = await startTestApp({ DEPCAT_CHANGE_LOG_KEEP_COUNT: '1', DEPCAT_CHANGE_LOG_KEEP_MS: String(60 * 60_000) });
    await register(t, sources(10));
    const { min } = await logState(t.db.url);
    expect((await t.container.pruner.run()).changes).toBe(0);
    // The first six are two days old; the seventh is young, and so is everything after it.
    await sql(t.db.url, `UPDATE graph_changes SET changed_at = now() - interval '2 days' WHERE seq < $1`, [min + 6]);
    await sql(t.db.url, `UPDATE graph_changes SET changed_at = now() - interval '2 days' WHERE seq = $1`, [min + 8]);
    const result = await t.container.pruner.run();
    expect(result).toMatchObject({ changes: 6, horizon: min + 5 });
    expect(await logState(t.db.url)).toMatchObject({ count: 4, min: min + 6 });
  });

  it('deletes in bounded batches, a bounded number per pass, however many entries are due', async () => {
    const deletes: string[] = [];
    t = await startTestApp(
      { DEPCAT_CHANGE_LOG_KEEP_COUNT: '1', DEPCAT_CHANGE_LOG_KEEP_MS: '0' },
      { onQuery: (text) => text.includes('DELETE FROM graph_changes') && deletes.push(text) },
    );
    await register(t, sources(30));
    const pruner = new Pruner(
      new UnitOfWork(t.container.db),
      { intervalMs: 60_000, changeLogKeepMs: 0, changeLogKeepCount: 1, outboxKeepMs: 0, batch: 4, batchesPerRun: 3 },
      { debug: () => {}, warn: () => {} },
    );
    expect((await pruner.run()).changes).toBe(12);
    expect(deletes).toHaveLength(3);
    expect((await logState(t.db.url)).count).toBe(18);
    // The next passes carry on from the horizon until only the newest entry is left.
    expect((await pruner.run()).changes).toBe(12);
    expect((await pruner.run()).changes).toBe(5);
    expect(await logState(t.db.url)).toMatchObject({ count: 1 });
  });

  it('runs by itself every DEPCAT_PRUNE_INTERVAL_MS once the app is started', async () => {
    t = await startTestApp({ DEPCAT_CHANGE_LOG_KEEP_COUNT: '2', DEPCAT_CHANGE_LOG_KEEP_MS: '0', DEPCAT_PRUNE_INTERVAL_MS: '50' });
    await register(t, sources(8));
    await expect.poll(async () => (await logState(t.db.url)).count, { timeout: 5000 }).toBe(2);
  });

  it('is safe beside concurrent writers: no entry a reader needs goes missing', async () => {
    t = await startTestApp({ DEPCAT_CHANGE_LOG_KEEP_COUNT: '1', DEPCAT_CHANGE_LOG_KEEP_MS: '0' });
    const replica = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent' }));
    try {
      await replica.app.ready();
      const other = supertest.agent(replica.app.server).set(ADMIN_AUTH);
      await t.http.put('/v1/assets/source/root').send({ owner: 'o' }).expect(201);
      let pruning = true;
      const pruner = (async () => {
        let passes = 0;
        while (pruning) {
          await t.container.pruner.run();
          passes++;
        }
        return passes;
      })();
      for (let i = 0; i < 25; i++) {
        // Writes alternate between the processes; each read sees every write before it.
        const via = i % 2 === 0 ? t.http : other;
        await via.put(`/v1/assets/feature/f${i}`).send({ owner: 'o', dependsOn: ['source:root'] }).expect(201);
        expect((await (i % 2 === 0 ? other : t.http).get('/v1/assets/source/root/downstream')).body.total).toBe(i + 1);
      }
      pruning = false;
      expect(await pruner).toBeGreaterThan(0);
      const state = await logState(t.db.url);
      expect(state.horizon).toBeGreaterThan(0);
      expect(state.count).toBeGreaterThanOrEqual(1);
    } finally {
      await replica.app.close();
    }
  });
});

describe('a process that fell behind the horizon', () => {
  let t: TestApp;
  let paused: BuiltApp;
  beforeAll(async () => {
    t = await startTestApp({ DEPCAT_CHANGE_LOG_KEEP_COUNT: '1', DEPCAT_CHANGE_LOG_KEEP_MS: '0' });
  });
  afterEach(async () => {
    await paused?.app.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * While `paused` does not follow: an asset it knows gains dependents, one loses its
   * dependency, one is deleted, and new ones appear; then the log is pruned past its
   * position, and more is written after that.
   */
  async function changeBehindItsBack(prefix: string): Promise<number> {
    await register(t, [
      { ref: `source:${prefix}_raw` },
      { ref: `source:${prefix}_gone` },
      { ref: `feature:${prefix}_a`, dependsOn: [`source:${prefix}_raw`] },
      { ref: `feature:${prefix}_b`, dependsOn: [`source:${prefix}_raw`] },
    ]);
    paused = await pausedReplica(t.db.url);
    const position = paused.container.graph.stats().appliedSeq;
    expect(paused.container.graph.stats().assets).toBeGreaterThan(0);

    await register(t, [
      { ref: `model:${prefix}_m`, dependsOn: [`feature:${prefix}_a`] },
      { ref: `consumer:${prefix}_app`, dependsOn: [`model:${prefix}_m`] },
      { ref: `feature:${prefix}_b`, dependsOn: [] },
    ]);
    await t.http.delete(`/v1/assets/source/${prefix}_gone`).expect(204);
    const pruned = await t.container.pruner.run();
    expect(pruned.horizon).toBeGreaterThan(position);
    await t.http.put(`/v1/assets/feature/${prefix}_c`).send({ owner: 'o', dependsOn: [`source:${prefix}_raw`] }).expect(201);
    return position;
  }

  it('reloads its snapshot on the next read, and answers exactly', async () => {
    await changeBehindItsBack('r');
    const other = supertest.agent(paused.app.server).set(ADMIN_AUTH);
    const down = await other.get('/v1/assets/source/r_raw/downstream').expect(200);
    expect(down.body.items.map((i: { ref: string }) => i.ref).sort()).toEqual([
      'consumer:r_app',
      'feature:r_a',
      'feature:r_c',
      'model:r_m',
    ]);
    expect((await other.get('/v1/assets/source/r_raw/consumers').expect(200)).body.consumers.map((c: { ref: string }) => c.ref)).toEqual([
      'consumer:r_app',
    ]);
    expect((await other.get('/v1/assets/feature/r_b/upstream').expect(200)).body.total).toBe(0);
    await other.get('/v1/assets/source/r_gone/downstream').expect(404);
    expect(paused.container.graph.stats()).toMatchObject({ reloads: 1, appliedSeq: (await logState(t.db.url)).max });
    expect((await paused.app.inject('/readyz')).statusCode).toBe(200);

    // From there on it follows the log again, without reloading.
    await t.http.put('/v1/assets/model/r_late').send({ owner: 'o', dependsOn: ['feature:r_c'] }).expect(201);
    expect((await other.get('/v1/assets/source/r_raw/downstream').expect(200)).body.total).toBe(5);
    expect(paused.container.graph.stats().reloads).toBe(1);
  });

  it('reloads under the write lock when a write comes first, and the write sees what it had missed', async () => {
    await changeBehindItsBack('w');
    const other = supertest.agent(paused.app.server).set(ADMIN_AUTH);
    // Its index knew neither model:w_m (created since) nor that source:w_gone is gone.
    await other.put('/v1/assets/consumer/w_dash').send({ owner: 'o', contact: 'd@example.com', dependsOn: ['model:w_m'] }).expect(201);
    const refused = await other.put('/v1/assets/model/w_old').send({ owner: 'o', dependsOn: ['source:w_gone'] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ in: 'body', field: 'dependsOn[0]', message: 'source:w_gone does not exist' }]);
    expect(paused.container.graph.stats().reloads).toBe(1);
    // A deletion through it knows the dependents it had missed.
    const blocked = await other.delete('/v1/assets/feature/w_a');
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details.total).toBe(3);
    const consumers = await t.http.get('/v1/assets/source/w_raw/consumers').expect(200);
    expect(consumers.body.consumers.map((c: { ref: string }) => c.ref).sort()).toEqual(['consumer:w_app', 'consumer:w_dash']);
  });

  it('reloads under the lock when a deletion or a deprecation comes first, and knows the dependents it had missed', async () => {
    await changeBehindItsBack('d');
    const other = supertest.agent(paused.app.server).set(ADMIN_AUTH);
    // Its index had feature:d_a with no dependents; model:d_m and consumer:d_app came since.
    const blocked = await other.delete('/v1/assets/feature/d_a');
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details.total).toBe(2);
    expect(paused.container.graph.stats().reloads).toBe(1);
    const deprecated = await other.post('/v1/assets/source/d_raw/deprecate').send({ reason: 'moving' }).expect(200);
    expect(deprecated.body.affectedConsumers.map((c: { ref: string }) => c.ref)).toEqual(['consumer:d_app']);
  });
});

describe('pruning on the embedded database', () => {
  it('prunes the change log and keeps the index exact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'depcat-prune-'));
    try {
      const { app, container } = await buildApp(
        loadConfig({ ...TEST_ENV, DEPCAT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DEPCAT_CHANGE_LOG_KEEP_COUNT: '2', DEPCAT_CHANGE_LOG_KEEP_MS: '0' }),
      );
      try {
        await app.ready();
        const http = supertest.agent(app.server).set(ADMIN_AUTH);
        await http.post('/v1/batch').send({ assets: sources(6).map((s) => ({ ...s, owner: 'o' })) }).expect(200);
        expect(await container.pruner.run()).toMatchObject({ changes: 4 });
        await http.put('/v1/assets/feature/f').send({ owner: 'o', dependsOn: ['source:s0', 'source:s5'] }).expect(201);
        expect((await http.get('/v1/assets/source/s0/downstream').expect(200)).body.total).toBe(1);
        const [{ count }] = (await container.db.query<{ count: number }>('SELECT count(*)::int AS count FROM graph_changes'));
        expect(count).toBe(3);
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
