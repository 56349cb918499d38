import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../src/repositories/outbox-repository.js';
import { OutboxWorker } from '../src/services/outbox-worker.js';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { startReceiver, until } from './helpers/webhook-receiver.js';

/** A receiver on 127.0.0.1 that answers 200, or (hang) reads the request and never answers. */
const startHookReceiver = (hang: boolean) => startReceiver(() => (hang ? null : 200));

type Notice = { consumer: string; state: string; attempts: number; lastError: string | null };

const HANGING = 60;
const TIMEOUT_MS = 300;

describe('receivers that hang', () => {
  let t: TestApp;
  let hanging: Awaited<ReturnType<typeof startReceiver>>;
  let healthy: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hanging = await startHookReceiver(true);
    healthy = await startHookReceiver(false);
    t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '200', DEPCAT_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(async () => {
    await t?.close();
    await hanging?.close();
    await healthy?.close();
  });

  const notices = async (asset: string): Promise<Notice[]> => {
    const res = await t.http.get('/v1/notifications').query({ asset, limit: 1000 });
    expect(res.status).toBe(200);
    return res.body.items;
  };

  it(`${HANGING} hanging receivers hold up neither a healthy one nor each other; each is retried after its timeout`, async () => {
    await register(t, [
      { ref: 'source:stuck' },
      ...Array.from({ length: HANGING }, (_, i) => ({
        ref: `consumer:hang_${i}`,
        dependsOn: ['source:stuck'],
        sla: { notify: `${hanging.url}/hang_${i}` },
      })),
      { ref: 'source:fine' },
      { ref: 'consumer:ok', dependsOn: ['source:fine'], sla: { notify: `${healthy.url}/ok` } },
    ]);
    // The hanging receivers' notices are queued first, so they are claimed first.
    await t.http.post('/v1/assets/source/stuck/deprecate').send({ reason: 'moving' }).expect(200);
    await until(async () => hanging.received.length >= 20 && true, 'the first hanging deliveries');
    const queuedAt = Date.now();
    await t.http.post('/v1/assets/source/fine/deprecate').send({ reason: 'moving' }).expect(200);

    await until(async () => healthy.received.length > 0 && true, 'the healthy receiver', 10_000);
    const waited = healthy.received[0].at - queuedAt;
    console.log(`healthy receiver's notice arrived ${waited} ms after it was queued, behind ${HANGING} hanging receivers (timeout ${TIMEOUT_MS} ms)`);
    expect(waited).toBeLessThan(2_500);
    const [ok] = await until(async () => {
      const found = await notices('source:fine');
      return found[0]?.state === 'delivered' && found;
    }, 'the healthy notice to be delivered');
    expect(ok).toMatchObject({ consumer: 'consumer:ok', attempts: 1, lastError: null });

    // Every hanging delivery ended at its timeout and is retried later.
    const failing = await until(async () => {
      const found = await notices('source:stuck');
      return found.length === HANGING && found.every((n) => n.attempts >= 2) && found;
    }, 'every hanging receiver to be tried twice');
    for (const notice of failing) {
      expect(notice.state).toBe('failing');
      expect(notice.lastError).toBe(`no answer within ${TIMEOUT_MS} ms`);
    }
    expect(new Set(hanging.received.map((r) => r.path)).size).toBe(HANGING);
  });
});

describe('a delivery timeout survives garbage collection', () => {
  it('aborts a hanging request at its timeout although collections run meanwhile', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const receiver = await startHookReceiver(true);
    const t = await startTestApp();
    try {
      await t.container.outboxWorker.stop();
      const worker = new OutboxWorker(
        new OutboxRepository(t.container.db, t.container.db),
        { backoffMs: 60_000, requestTimeoutMs: 200, idleMs: 20 },
        { addresses: t.container.webhookAddresses, secrets: t.container.webhookSecrets },
      );
      await register(t, [{ ref: 'feature:gc_x' }, { ref: 'consumer:gc_y', dependsOn: ['feature:gc_x'], sla: { notify: `${receiver.url}/gc` } }]);
      await t.http.post('/v1/assets/feature/gc_x/deprecate').send({ reason: 'r' }).expect(200);
      worker.start();
      const collecting = setInterval(gc, 10);
      try {
        const notice = await until(
          async () => {
            const [n] = (await t.http.get('/v1/notifications')).body.items as Notice[];
            return n?.attempts === 1 && n;
          },
          'the hanging delivery to time out',
          5_000,
        );
        expect(notice).toMatchObject({ state: 'failing', lastError: 'no answer within 200 ms' });
      } finally {
        clearInterval(collecting);
        await worker.stop();
      }
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
