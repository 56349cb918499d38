import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { OutboxRepository } from '../src/repositories/outbox-repository.js';
import { OutboxWorker, retryDelay } from '../src/services/outbox-worker.js';
import { createTestDatabase } from './helpers/database.js';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp, ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';
import { startReceiver, until } from './helpers/webhook-receiver.js';

type Notice = { id: number; consumer: string; url: string; state: string; attempts: number; lastError: string | null; nextAttemptAt: string | null; deliveredAt: string | null };

const flakyThenOk = (path: string, count: number) => (path === '/hang' ? null : path.startsWith('/flaky') && count <= 2 ? 500 : 200);

describe('deprecation notices', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver(flakyThenOk);
    t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '50' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const notices = async (query: Record<string, string>): Promise<Notice[]> => {
    const res = await t.http.get('/v1/notifications').query(query);
    expect(res.status).toBe(200);
    return res.body.items;
  };

  it('POSTs the deprecation to each consumer with a webhook, retries a failing one with backoff, and shows the state', async () => {
    await register(t, [
      { ref: 'source:clicks' },
      { ref: 'source:clicks_v2' },
      { ref: 'feature:ctr', dependsOn: ['source:clicks'] },
      { ref: 'model:ranker', dependsOn: ['feature:ctr'] },
      { ref: 'consumer:bidder', dependsOn: ['model:ranker'], sla: { notify: `${receiver.url}/ok` } },
      { ref: 'consumer:report', dependsOn: ['feature:ctr'], sla: { notify: `${receiver.url}/flaky` } },
      { ref: 'consumer:quiet', dependsOn: ['feature:ctr'] },
    ]);
    const res = await t.http
      .post('/v1/assets/source/clicks/deprecate')
      .set('x-actor', 'data-eng')
      .send({ reason: 'replaced by the deduplicated stream', replacedBy: 'source:clicks_v2', sunsetAt: '2099-12-31' });
    expect(res.status).toBe(200);
    expect(res.body.notificationsQueued).toBe(2);
    expect(res.body.affectedConsumers.map((c: { ref: string }) => c.ref).sort()).toEqual(['consumer:bidder', 'consumer:quiet', 'consumer:report']);

    const delivered = await until(async () => {
      const items = await notices({ asset: 'source:clicks', state: 'delivered' });
      return items.length === 2 && items;
    }, 'both notices to be delivered');
    const byConsumer = Object.fromEntries(delivered.map((n) => [n.consumer, n]));
    expect(byConsumer['consumer:bidder']).toMatchObject({ attempts: 1, lastError: null, url: `${receiver.url}/ok`, nextAttemptAt: null });
    expect(byConsumer['consumer:report']).toMatchObject({ attempts: 3, lastError: null });
    expect(byConsumer['consumer:report'].deliveredAt).not.toBeNull();

    const ok = receiver.received.filter((r) => r.path === '/ok');
    expect(ok).toHaveLength(1);
    expect(ok[0].body).toEqual({
      id: byConsumer['consumer:bidder'].id,
      event: 'asset.deprecated',
      asset: 'source:clicks',
      reason: 'replaced by the deduplicated stream',
      replacedBy: 'source:clicks_v2',
      sunsetAt: '2099-12-31',
      deprecatedAt: res.body.asset.deprecation.deprecatedAt,
      revision: res.body.asset.revision,
      // The token's name, and whom it said it acted for.
      actor: 'admin',
      onBehalfOf: 'data-eng',
      consumer: 'consumer:bidder',
      contact: 'bidder@example.com',
      distance: 3,
      path: ['source:clicks', 'feature:ctr', 'model:ranker', 'consumer:bidder'],
    });
    expect(ok[0].headers['x-depcat-delivery']).toBe(String(byConsumer['consumer:bidder'].id));

    // The flaky receiver saw three tries; the waits between them grew (50 ms, then 100 ms).
    const flaky = receiver.received.filter((r) => r.path === '/flaky');
    expect(flaky).toHaveLength(3);
    expect(flaky.every((r) => r.body.id === byConsumer['consumer:report'].id)).toBe(true);
    expect(flaky[1].at - flaky[0].at).toBeGreaterThanOrEqual(45);
    expect(flaky[2].at - flaky[1].at).toBeGreaterThanOrEqual(95);
  });

  it('keeps answering requests while a receiver hangs, and re-deprecating with the same values notifies nobody', async () => {
    await register(t, [{ ref: 'feature:slow_dep' }, { ref: 'consumer:sleepy', dependsOn: ['feature:slow_dep'], sla: { notify: `${receiver.url}/hang` } }]);
    const first = await t.http.post('/v1/assets/feature/slow_dep/deprecate').send({ reason: 'r' });
    expect(first.body.notificationsQueued).toBe(1);
    await until(async () => receiver.received.some((r) => r.path === '/hang'), 'the hanging receiver to be called');
    const started = Date.now();
    expect((await t.http.get('/v1/assets/consumer/sleepy')).status).toBe(200);
    expect((await t.http.put('/v1/assets/feature/another').send({ owner: 'x' })).status).toBe(201);
    expect(Date.now() - started).toBeLessThan(5_000);
    const again = await t.http.post('/v1/assets/feature/slow_dep/deprecate').send({ reason: 'r' });
    expect(again.body.notificationsQueued).toBe(0);
    expect(await notices({ asset: 'feature:slow_dep' })).toHaveLength(1);
  });

  it('refuses bad filters with 400', async () => {
    expect((await t.http.get('/v1/notifications?state=lost')).status).toBe(400);
    expect((await t.http.get('/v1/notifications?asset=nokind')).status).toBe(400);
    expect((await t.http.get('/v1/notifications?cursor=zzz')).status).toBe(400);
  });
});

describe('the outbox across a restart', () => {
  it('delivers after the service restarts between attempts', async () => {
    const receiver = await startReceiver(flakyThenOk);
    const db = await createTestDatabase();
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, LOG_LEVEL: 'silent', DEPCAT_WEBHOOK_BACKOFF_MS: '400' });
    try {
      const first = await buildApp(config);
      await first.app.ready();
      const http = supertest.agent(first.app.server).set(ADMIN_AUTH);
      await http
        .post('/v1/batch')
        .send({
          assets: [
            { ref: 'feature:f', owner: 'ml' },
            { ref: 'consumer:c', owner: 'app', contact: 'c@example.com', dependsOn: ['feature:f'], sla: { notify: `${receiver.url}/flaky` } },
          ],
        })
        .expect(200);
      await http.post('/v1/assets/feature/f/deprecate').send({ reason: 'restart test' }).expect(200);
      const failing = await until(async () => {
        const [notice] = (await http.get('/v1/notifications')).body.items as Notice[];
        return notice?.attempts >= 1 && notice;
      }, 'a first failed attempt');
      expect(failing).toMatchObject({ state: 'failing', lastError: 'HTTP 500' });
      await first.app.close();
      const closedAt = Date.now();
      const triesBeforeRestart = receiver.received.length;
      expect(triesBeforeRestart).toBeLessThan(3);

      const second = await buildApp(config);
      try {
        await second.app.ready();
        const again = supertest.agent(second.app.server).set(ADMIN_AUTH);
        const delivered = await until(async () => {
          const [notice] = (await again.get('/v1/notifications')).body.items as Notice[];
          return notice?.state === 'delivered' && notice;
        }, 'delivery after the restart');
        expect(delivered).toMatchObject({ attempts: 3, lastError: null, consumer: 'consumer:c' });
        expect(receiver.received).toHaveLength(3);
        expect(receiver.received[2].at).toBeGreaterThanOrEqual(closedAt);
      } finally {
        await second.app.close();
      }
    } finally {
      await receiver.close();
      await db.drop();
    }
  });

  it('gives up after the last attempt, recording why; a receiver slower than the timeout counts as a failure', async () => {
    const receiver = await startReceiver(() => null);
    const t = await startTestApp();
    try {
      // Replace the app's worker by one with millisecond waits and a short timeout.
      await t.container.outboxWorker.stop();
      const worker = new OutboxWorker(
        new OutboxRepository(t.container.db, t.container.db),
        { backoffMs: 1, maxBackoffMs: 4, maxAttempts: 10, requestTimeoutMs: 100, idleMs: 20 },
        { addresses: t.container.webhookAddresses, secrets: t.container.webhookSecrets },
      );
      await register(t, [{ ref: 'feature:x' }, { ref: 'consumer:y', dependsOn: ['feature:x'], sla: { notify: `${receiver.url}/slow` } }]);
      await t.http.post('/v1/assets/feature/x/deprecate').send({ reason: 'r' }).expect(200);
      worker.start();
      try {
        const notice = await until(async () => {
          const [n] = (await t.http.get('/v1/notifications')).body.items as Notice[];
          return n?.state === 'given_up' && n;
        }, 'the notice to be given up');
        expect(notice).toMatchObject({ attempts: 10, lastError: 'no answer within 100 ms', nextAttemptAt: null, deliveredAt: null });
        expect(receiver.received).toHaveLength(10);
      } finally {
        await worker.stop();
      }
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it('waits twice as long after each failure, up to the cap', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => retryDelay(n, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  });
});
