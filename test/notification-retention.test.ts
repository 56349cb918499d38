import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnitOfWork } from '../src/repositories/store.js';
import { Pruner } from '../src/services/pruner.js';
import { register } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The outbox's retention and retries: delivered notices are deleted after
 * DEPCAT_OUTBOX_KEEP_MS, given_up ones are kept until retried, and a retry puts them back
 * to pending through REST or GraphQL (one service method). The app's worker is stopped
 * while states are arranged, so nothing moves under the assertions.
 */
let t: TestApp;
let receiver: Server;
let receiverUrl: string;
const received: number[] = [];
let db: pg.Client;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body).id);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  t = await startTestApp({ DEPCAT_OUTBOX_KEEP_MS: String(24 * 60 * 60_000) });
  await t.container.outboxWorker.stop();
  db = new pg.Client({ connectionString: t.db.url });
  await db.connect();
  await register(t, [
    { ref: 'source:a' },
    { ref: 'source:b' },
    ...['c1', 'c2', 'c3'].map((name) => ({ ref: `consumer:${name}`, dependsOn: ['source:a', 'source:b'], sla: { notify: receiverUrl } })),
  ]);
});
afterAll(async () => {
  await db?.end();
  await t?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

type Notice = { id: number; asset: string; consumer: string; state: string; attempts: number; lastError: string | null; nextAttemptAt: string | null };

/** Deprecates `asset` again (a new reason each time): one pending notice per consumer. */
let round = 0;
async function notify(asset: string): Promise<Notice[]> {
  const before = new Set((await list()).map((n) => n.id));
  await t.http.post(`/v1/assets/${asset.replace(':', '/')}/deprecate`).send({ reason: `round ${++round}` }).expect(200);
  return (await list()).filter((n) => !before.has(n.id) && n.asset === asset);
}

const list = async (query: Record<string, string> = {}): Promise<Notice[]> =>
  (await t.http.get('/v1/notifications').query({ limit: '1000', ...query }).expect(200)).body.items;

/** As the worker leaves a notice after its last failed attempt, `ageDays` ago. */
const giveUp = (ids: number[], ageDays = 0) =>
  db.query(
    `UPDATE notification_outbox SET state = 'given_up', attempts = 10, last_error = 'HTTP 500', next_attempt_at = NULL,
            created_at = now() - make_interval(days => $2) WHERE id = ANY($1)`,
    [ids, ageDays],
  );
const deliver = (ids: number[], ageDays: number) =>
  db.query(
    `UPDATE notification_outbox SET state = 'delivered', attempts = 1, next_attempt_at = NULL,
            delivered_at = now() - make_interval(days => $2) WHERE id = ANY($1)`,
    [ids, ageDays],
  );

describe('outbox retention', () => {
  beforeEach(async () => {
    await db.query('DELETE FROM notification_outbox');
  });

  it('deletes delivered notices older than DEPCAT_OUTBOX_KEEP_MS and keeps given_up, pending and young ones', async () => {
    const [oldDelivered, youngDelivered, oldGivenUp] = await notify('source:a');
    const [pending] = await notify('source:b');
    await deliver([oldDelivered.id], 2);
    await deliver([youngDelivered.id], 0);
    await giveUp([oldGivenUp.id], 30);

    const result = await t.container.pruner.run();
    expect(result.notices).toBe(1);
    const left = await list();
    expect(left.map((n) => n.id).sort((x, y) => x - y)).not.toContain(oldDelivered.id);
    expect(left.find((n) => n.id === youngDelivered.id)?.state).toBe('delivered');
    expect(left.find((n) => n.id === oldGivenUp.id)?.state).toBe('given_up');
    expect(left.find((n) => n.id === pending.id)?.state).toBe('pending');
    expect(left).toHaveLength(5);
  });

  it('deletes in bounded batches, a bounded number per pass', async () => {
    const notices = [...(await notify('source:a')), ...(await notify('source:b'))];
    await deliver(
      notices.map((n) => n.id),
      3,
    );
    const pruner = new Pruner(
      new UnitOfWork(t.container.db),
      { intervalMs: 60_000, changeLogKeepMs: 60_000, changeLogKeepCount: 1000, outboxKeepMs: 24 * 60 * 60_000, batch: 2, batchesPerRun: 2 },
      { debug: () => {}, warn: () => {} },
    );
    expect((await pruner.run()).notices).toBe(4);
    expect(await list()).toHaveLength(2);
    expect((await pruner.run()).notices).toBe(2);
    expect(await list()).toHaveLength(0);
  });
});

describe('retrying given_up notices', () => {
  beforeEach(async () => {
    await t.container.outboxWorker.stop();
    await db.query('DELETE FROM notification_outbox');
  });

  it('POST /v1/notifications/{id}/retry puts it back to pending, due now, attempts reset; the worker delivers it', async () => {
    const [notice] = await notify('source:a');
    await giveUp([notice.id]);
    const res = await t.http.post(`/v1/notifications/${notice.id}/retry`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: notice.id, state: 'pending', attempts: 0, lastError: null, consumer: notice.consumer });
    const [{ now }] = (await db.query<{ now: Date }>('SELECT now()')).rows;
    expect(Math.abs(new Date(res.body.nextAttemptAt).getTime() - now.getTime())).toBeLessThan(5_000);
    expect((await list()).find((n) => n.id === notice.id)).toEqual(res.body);

    t.container.outboxWorker.start();
    await expect.poll(async () => (await list()).find((n) => n.id === notice.id)?.state, { timeout: 10_000 }).toBe('delivered');
    expect(received).toContain(notice.id);
    expect((await list()).find((n) => n.id === notice.id)).toMatchObject({ attempts: 1, lastError: null });
  });

  it('404 for an unknown id, 409 for a notice that is not given_up, 400 for an id that is no id', async () => {
    const [pending, delivered] = await notify('source:a');
    await deliver([delivered.id], 0);
    const unknown = await t.http.post('/v1/notifications/999999/retry');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'NOT_FOUND', message: 'notice 999999 does not exist' });
    for (const [notice, state] of [
      [pending, 'pending'],
      [delivered, 'delivered'],
    ] as const) {
      const res = await t.http.post(`/v1/notifications/${notice.id}/retry`);
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'CONFLICT',
        message: `notice ${notice.id} is ${state}: only a given_up notice can be retried`,
        details: { state },
      });
    }
    // Retried once, the second retry finds it pending.
    await giveUp([pending.id]);
    await t.http.post(`/v1/notifications/${pending.id}/retry`).expect(200);
    await t.http.post(`/v1/notifications/${pending.id}/retry`).expect(409);
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await t.http.post(`/v1/notifications/${id}/retry`);
      expect(res.status, id).toBe(400);
      expect(res.body.error.details).toEqual([{ in: 'params', field: 'id', message: 'must be a notice id: a whole number from 1' }]);
    }
  });

  it('POST /v1/notifications/retry retries the given_up notices of a consumer or an asset, and only those', async () => {
    const aNotices = await notify('source:a');
    const bNotices = await notify('source:b');
    const [pendingA] = await notify('source:a');
    const all = [...aNotices, ...bNotices];
    await giveUp(all.map((n) => n.id));

    const c1 = await t.http.post('/v1/notifications/retry').query({ consumer: 'c1' });
    expect(c1.status).toBe(200);
    const c1Ids = all.filter((n) => n.consumer === 'consumer:c1').map((n) => n.id).sort((x, y) => x - y);
    expect(c1.body.items.map((n: Notice) => n.id)).toEqual(c1Ids);
    expect(c1.body.items.every((n: Notice) => n.state === 'pending' && n.attempts === 0)).toBe(true);
    expect(c1.body.remaining).toBe(0);

    // By asset, a page at a time: `remaining` says how many are left.
    const first = await t.http.post('/v1/notifications/retry').query({ asset: 'source:b', limit: '1' }).expect(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.remaining).toBe(1);
    const second = await t.http.post('/v1/notifications/retry').query({ asset: 'source:b', limit: '1' }).expect(200);
    expect(second.body).toMatchObject({ remaining: 0 });
    expect(await t.http.post('/v1/notifications/retry').query({ asset: 'source:b' }).expect(200)).toMatchObject({
      body: { items: [], remaining: 0 },
    });

    const states = new Map((await list()).map((n) => [n.id, n.state]));
    const untouched = aNotices.filter((n) => n.consumer !== 'consumer:c1');
    expect(untouched.map((n) => states.get(n.id))).toEqual(['given_up', 'given_up']);
    expect(states.get(pendingA.id)).toBe('pending');
    expect(bNotices.map((n) => states.get(n.id))).toEqual(['pending', 'pending', 'pending']);

    // Without a filter: every given_up notice left.
    const rest = await t.http.post('/v1/notifications/retry').expect(200);
    expect(rest.body.items.map((n: Notice) => n.id).sort()).toEqual(untouched.map((n) => n.id).sort());
    expect((await list({ state: 'given_up' })).length).toBe(0);

    for (const query of [{ asset: 'nokind' }, { consumer: 'source:x' }, { limit: '0' }, { state: 'given_up' }]) {
      expect((await t.http.post('/v1/notifications/retry').query(query)).status, JSON.stringify(query)).toBe(400);
    }
  });

  it('GraphQL retryNotification and retryNotifications do the same, with NOT_FOUND and CONFLICT', async () => {
    const notices = await notify('source:a');
    await giveUp(notices.map((n) => n.id));
    const one = `mutation ($id: Int!) { retryNotification(id: $id) { id state attempts lastError consumer } }`;
    const res = await gql(t, one, { id: notices[0].id });
    expect(res.errors).toBeUndefined();
    expect(res.data.retryNotification).toEqual({ id: notices[0].id, state: 'pending', attempts: 0, lastError: null, consumer: notices[0].consumer });

    const again = await gql(t, one, { id: notices[0].id });
    expect(again.errors?.[0]).toMatchObject({
      message: `notice ${notices[0].id} is pending: only a given_up notice can be retried`,
      extensions: { code: 'CONFLICT', details: { state: 'pending' } },
    });
    const unknown = await gql(t, one, { id: 999999 });
    expect(unknown.errors?.[0]).toMatchObject({ message: 'notice 999999 does not exist', extensions: { code: 'NOT_FOUND' } });
    const bad = await gql(t, one, { id: 0 });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'id' }] });

    const many = `mutation ($filter: NotificationRetryFilter, $first: Int) {
      retryNotifications(filter: $filter, first: $first) { items { id state } remaining }
    }`;
    const byConsumer = await gql(t, many, { filter: { consumer: notices[1].consumer } });
    expect(byConsumer.data.retryNotifications).toEqual({ items: [{ id: notices[1].id, state: 'pending' }], remaining: 0 });
    const rest = await gql(t, many, { filter: { asset: 'source:a' }, first: 5 });
    expect(rest.data.retryNotifications).toEqual({ items: [{ id: notices[2].id, state: 'pending' }], remaining: 0 });
    const badFilter = await gql(t, many, { filter: { asset: 'nokind' } });
    expect(badFilter.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'filter.asset' }] });
  });
});
