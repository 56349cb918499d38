import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { fixtures, register } from './helpers/fixtures.js';
import { Scrape } from './helpers/prometheus.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
const statements: string[] = [];
beforeAll(async () => {
  t = await startTestApp(
    // A failed delivery stays `failing` for the test's length; a lock wait gives up soon.
    { DEPCAT_WEBHOOK_BACKOFF_MS: '600000', DEPCAT_WRITE_LOCK_TIMEOUT_MS: '200' },
    { onQuery: (sql) => statements.push(sql) },
  );
});
afterAll(async () => {
  await t?.close();
});

async function scrape(): Promise<Scrape> {
  const res = await t.http.get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(res.text);
}

/** Runs SQL on the test's database, on a connection of its own. */
async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('/metrics', () => {
  it('counts requests by method, route pattern and status, never by raw URL', async () => {
    await register(t, fixtures.diamond);
    for (let i = 0; i < 3; i++) await t.http.get('/v1/assets/source/raw/downstream').expect(200);
    await t.http.get('/v1/assets/source/nope/downstream').expect(404);
    await t.http.get('/no/such/route').expect(404);
    const m = await scrape();
    const name = 'depcat_http_request_duration_seconds';
    expect(m.types.get(name)).toBe('histogram');
    const route = '/v1/assets/:kind/:name/downstream';
    expect(m.value(`${name}_count`, { method: 'GET', route, status: '200' })).toBe(3);
    expect(m.value(`${name}_count`, { method: 'GET', route, status: '404' })).toBe(1);
    expect(m.value(`${name}_count`, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(m.value(`${name}_count`, { method: 'POST', route: '/v1/batch', status: '200' })).toBe(1);
    // Three requests took a positive time, each under the largest bucket.
    const sum = m.value(`${name}_sum`, { method: 'GET', route, status: '200' })!;
    expect(sum).toBeGreaterThan(0);
    expect(m.value(`${name}_bucket`, { method: 'GET', route, status: '200', le: '+Inf' })).toBe(3);
    expect(m.value(`${name}_bucket`, { method: 'GET', route, status: '200', le: '30' })).toBe(3);
    expect(m.text).not.toContain('source/raw');
    expect(m.text).not.toContain('/no/such/route');
  });

  it('records each closure with the size of its search and its time, by kind', async () => {
    const before = await scrape();
    const count = (m: Scrape, kind: string) => m.value('depcat_closure_size_count', { kind }) ?? 0;
    const sum = (m: Scrape, kind: string) => m.value('depcat_closure_size_sum', { kind }) ?? 0;
    // diamond: consumer:app → model:m → feature:left, feature:right → source:raw
    await t.http.get('/v1/assets/consumer/app/upstream').expect(200); // 4
    await t.http.get('/v1/assets/feature/left/upstream').expect(200); // 1
    await t.http.get('/v1/assets/source/raw/downstream').query({ depth: 1 }).expect(200); // 2
    await t.http.get('/v1/assets/feature/left/consumers').expect(200); // the search: model:m, consumer:app
    await t.http.get('/v1/assets/source/raw/impact').query({ limit: 1 }).expect(200); // 4, whatever the page
    const after = await scrape();
    expect(count(after, 'upstream') - count(before, 'upstream')).toBe(2);
    expect(sum(after, 'upstream') - sum(before, 'upstream')).toBe(5);
    expect(count(after, 'downstream') - count(before, 'downstream')).toBe(1);
    expect(sum(after, 'downstream') - sum(before, 'downstream')).toBe(2);
    expect(sum(after, 'consumers') - sum(before, 'consumers')).toBe(2);
    expect(sum(after, 'impact') - sum(before, 'impact')).toBe(4);
    // The size-1 search fell in the bucket of 1, the size-4 one above it.
    expect(after.value('depcat_closure_size_bucket', { kind: 'upstream', le: '1' })! - (before.value('depcat_closure_size_bucket', { kind: 'upstream', le: '1' }) ?? 0)).toBe(1);
    for (const kind of ['upstream', 'downstream', 'consumers', 'impact']) {
      expect(after.value('depcat_closure_duration_seconds_count', { kind })).toBe(count(after, kind));
      const seconds = after.value('depcat_closure_duration_seconds_sum', { kind })!;
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(1);
    }
  });

  it('times every wait for the graph write lock, and tells a wait that gave up', async () => {
    const acquired = async () => (await scrape()).value('depcat_graph_write_lock_wait_seconds_count', { outcome: 'acquired' }) ?? 0;
    const before = await acquired();
    await t.http.put('/v1/assets/source/locked_a').send({ owner: 'o' }).expect(201);
    await t.http.put('/v1/assets/source/locked_b').send({ owner: 'o' }).expect(201);
    expect((await acquired()) - before).toBe(2);

    // Another session holds the lock: the write waits its 200 ms, then is refused.
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [0x67726170]);
      const refused = await t.http.put('/v1/assets/source/locked_c').send({ owner: 'o' });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('BUSY');
    } finally {
      await holder.end();
    }
    const m = await scrape();
    expect(m.value('depcat_graph_write_lock_wait_seconds_count', { outcome: 'timed_out' })).toBe(1);
    const waited = m.value('depcat_graph_write_lock_wait_seconds_sum', { outcome: 'timed_out' })!;
    expect(waited).toBeGreaterThanOrEqual(0.2);
    expect(waited).toBeLessThan(5);
    expect(m.value('depcat_graph_write_lock_wait_seconds_bucket', { outcome: 'timed_out', le: '0.1' })).toBe(0);
  });

  it("reports the index's size and its lag behind the change log", async () => {
    const assets = Number((await sql<{ n: string }>('SELECT count(*) AS n FROM assets'))[0].n);
    let m = await scrape();
    expect(m.value('depcat_graph_index_loaded')).toBe(1);
    expect(m.value('depcat_graph_index_assets')).toBe(assets);
    expect(m.value('depcat_graph_index_lag_entries')).toBe(0);
    expect(m.value('depcat_graph_index_lag_seconds')).toBe(0);

    // Entries another process committed, not yet read by this one (its catch-up paused).
    t.container.graph.stopFollowing();
    try {
      await sql(
        `INSERT INTO graph_changes (asset_id, changed_at)
         SELECT id, now() - interval '30 seconds' FROM assets WHERE kind = 'source' AND name = 'raw'
         UNION ALL SELECT id, now() FROM assets WHERE kind = 'source' AND name = 'raw'`,
      );
      m = await scrape();
      expect(m.value('depcat_graph_index_lag_entries')).toBe(2);
      const lag = m.value('depcat_graph_index_lag_seconds')!;
      expect(lag).toBeGreaterThanOrEqual(30);
      expect(lag).toBeLessThan(60);
      // A read catches the index up.
      await t.http.get('/v1/assets/source/raw/downstream').expect(200);
      m = await scrape();
      expect(m.value('depcat_graph_index_lag_entries')).toBe(0);
      expect(m.value('depcat_graph_index_lag_seconds')).toBe(0);
    } finally {
      t.container.graph.follow(1000, () => {});
    }
  });

  it('reports the outbox backlog by state, deliveries, and delivery failures by reason', async () => {
    const receiver: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/ok' ? 200 : 500).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      await register(t, [
        { ref: 'feature:noticed' },
        { ref: 'consumer:listens', dependsOn: ['feature:noticed'], sla: { notify: `${url}/ok` } },
        { ref: 'consumer:broken', dependsOn: ['feature:noticed'], sla: { notify: `${url}/fail` } },
      ]);
      // Rows no worker will take yet, and rows done with.
      await sql(
        `INSERT INTO notification_outbox (event, asset, consumer, url, payload, state, next_attempt_at, delivered_at)
         VALUES ('asset.deprecated', 'feature:x', 'consumer:a', $1, '{}', 'pending', now() + interval '1 hour', NULL),
                ('asset.deprecated', 'feature:x', 'consumer:b', $1, '{}', 'pending', now() + interval '1 hour', NULL),
                ('asset.deprecated', 'feature:x', 'consumer:c', $1, '{}', 'given_up', NULL, NULL),
                ('asset.deprecated', 'feature:x', 'consumer:d', $1, '{}', 'delivered', NULL, now())`,
        [`${url}/ok`],
      );
      await t.http.post('/v1/assets/feature/noticed/deprecate').send({ reason: 'replaced' }).expect(200);
      let m: Scrape;
      const deadline = Date.now() + 15_000;
      for (;;) {
        m = await scrape();
        const failed = m.value('depcat_outbox_delivery_failures_total', { reason: 'http_status', given_up: 'false' });
        if (m.value('depcat_outbox_deliveries_total') === 1 && failed === 1 && m.value('depcat_outbox_backlog', { state: 'failing' }) === 1) break;
        if (Date.now() > deadline) throw new Error(`deliveries not recorded:\n${m.all('depcat_outbox_backlog').map((s) => JSON.stringify(s)).join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Each counted once its outcome is stored: the delivered row has left the backlog.
      expect(m.value('depcat_outbox_backlog', { state: 'pending' })).toBe(2);
      expect(m.value('depcat_outbox_backlog', { state: 'given_up' })).toBe(1);
      expect(m.all('depcat_outbox_backlog', { state: 'delivered' })).toEqual([]);
      expect(m.types.get('depcat_outbox_delivery_failures_total')).toBe('counter');
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("reports the pool's use and Node's event-loop delay", async () => {
    const m = await scrape();
    expect(m.value('depcat_db_pool_size')).toBe(10);
    const open = m.value('depcat_db_pool_connections')!;
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(10);
    expect(m.value('depcat_db_pool_idle_connections')).toBeLessThanOrEqual(open);
    expect(m.value('depcat_db_pool_waiting')).toBe(0);
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds']) {
      const delay = m.value(name)!;
      expect(delay, name).toBeGreaterThanOrEqual(0);
      expect(delay, name).toBeLessThan(10);
    }
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('costs at most two statements a scrape, shared by scrapes at the same time', async () => {
    statements.length = 0;
    await scrape();
    expect(statements.length).toBeLessThanOrEqual(2);
    statements.length = 0;
    await Promise.all(Array.from({ length: 5 }, () => t.container.scraper.scrape()));
    expect(statements).toHaveLength(2);
    expect(statements.filter((s) => s.includes('notification_outbox'))).toHaveLength(1);
  });

  it('answers when the database cannot be read, with what is in memory and NaN for the rest', async () => {
    t.container.graph.stopFollowing();
    await sql('ALTER TABLE notification_outbox RENAME TO notification_outbox_away');
    await sql('ALTER TABLE graph_changes RENAME TO graph_changes_away');
    try {
      const m = await scrape();
      expect(m.value('depcat_graph_index_lag_entries')).toBeNaN();
      expect(m.value('depcat_graph_index_lag_seconds')).toBeNaN();
      for (const state of ['pending', 'failing', 'given_up']) expect(m.value('depcat_outbox_backlog', { state })).toBeNaN();
      expect(m.value('depcat_graph_index_assets')).toBeGreaterThan(0);
      expect(m.value('depcat_db_pool_size')).toBe(10);
    } finally {
      await sql('ALTER TABLE notification_outbox_away RENAME TO notification_outbox');
      await sql('ALTER TABLE graph_changes_away RENAME TO graph_changes');
      t.container.graph.follow(1000, () => {});
    }
    const m = await scrape();
    expect(m.value('depcat_graph_index_lag_entries')).toBe(0);
    expect(m.value('depcat_outbox_backlog', { state: 'pending' })).toBe(2);
  });
});

describe('pool use on the embedded database', () => {
  it('is its one connection: idle, or in use with the work queued behind it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'depcat-metrics-'));
    const db = openDatabase({ dataDir });
    try {
      await db.query('SELECT 1');
      expect(db.poolStats()).toEqual({ max: 1, total: 1, idle: 1, waiting: 0 });
      let during: unknown;
      let queued: Promise<unknown> = Promise.resolve();
      await db.transaction(async (query) => {
        queued = db.query('SELECT 2');
        during = db.poolStats();
        await query('SELECT 1');
      });
      await queued;
      expect(during).toEqual({ max: 1, total: 1, idle: 0, waiting: 1 });
      expect(db.poolStats()).toEqual({ max: 1, total: 1, idle: 1, waiting: 0 });
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
