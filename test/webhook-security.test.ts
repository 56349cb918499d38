import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createTestDatabase } from './helpers/database.js';
import { register } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { Scrape } from './helpers/prometheus.js';
import { ADMIN_AUTH, startTestApp, TEST_ENV, type TestApp } from './helpers/test-app.js';
import { startReceiver, until, type Received } from './helpers/webhook-receiver.js';

// Webhooks that cannot reach inside (issue 13): sla.notify URLs are refused at registration
// and at delivery when they point at internal addresses, unless DEPCAT_WEBHOOK_ALLOW lists
// them; redirects are not followed; every delivery is signed (Standard Webhooks).

type Notice = { id: number; consumer: string; state: string; attempts: number; lastError: string | null };
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const consumer = (notify: string) => ({ owner: 'app', contact: 'app@example.com', sla: { notify } });
const headersOf = (r: Received) => r.headers as Record<string, string>;

async function noticesOf(http: ReturnType<typeof supertest>, asset: string): Promise<Notice[]> {
  const res = await http.get('/v1/notifications').query({ asset, limit: 100 });
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('sla.notify at registration, with an empty allow-list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DEPCAT_WEBHOOK_ALLOW: '', DEPCAT_IMPORT_CHUNK: '2' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['loopback', 'http://127.0.0.1:9/hook', /^points at 127\.0\.0\.1, a loopback address; webhooks may reach only global addresses/],
    ['IPv6 loopback', 'http://[::1]:9/hook', /^points at ::1, a loopback address/],
    ['a host name that resolves to loopback', 'http://localhost:9/hook', /^localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ['a hex-encoded loopback', 'http://0x7f000001/hook', /^points at 127\.0\.0\.1, a loopback address/],
    ['private 10/8', 'http://10.0.0.1/hook', /10\.0\.0\.1, a private \(RFC 1918\) address/],
    ['private 172.16/12', 'http://172.16.5.4/hook', /private \(RFC 1918\)/],
    ['private 192.168/16', 'https://192.168.1.1/hook', /private \(RFC 1918\)/],
    ['IPv6 unique-local', 'http://[fd12:3456::1]/hook', /fd12:3456::1, a unique-local address/],
    ['link-local', 'http://169.254.10.10/hook', /169\.254\.10\.10, a link-local address/],
    ['the cloud metadata service', 'http://169.254.169.254/latest/meta-data/', /link-local address \(a cloud metadata service\)/],
    ["AWS's IPv6 metadata service", 'http://[fd00:ec2::254]/latest/meta-data/', /unique-local address \(a cloud metadata service\)/],
    ['IPv6 link-local', 'http://[fe80::1]/hook', /fe80::1, a link-local address/],
    ['carrier-grade NAT', 'http://100.64.0.1/hook', /100\.64\.0\.1, a carrier-grade NAT address/],
    ['multicast', 'http://224.0.0.251/hook', /a multicast address/],
    ['IPv6 multicast', 'http://[ff02::1]/hook', /a multicast address/],
    ['unspecified', 'http://0.0.0.0:9/hook', /^points at 0\.0\.0\.0, an unspecified address/],
    ['IPv6 unspecified', 'http://[::]/hook', /^points at ::, an unspecified address/],
    ['broadcast', 'http://255.255.255.255/hook', /a broadcast address/],
    ['reserved (documentation)', 'http://192.0.2.1/hook', /192\.0\.2\.1, a reserved address/],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook', /a loopback address \(it carries 127\.0\.0\.1\)/],
    ['NAT64 of the metadata service', 'http://[64:ff9b::a9fe:a9fe]/hook', /link-local address \(it carries 169\.254\.169\.254\)/],
    ['6to4 of a private address', 'http://[2002:c0a8:101::1]/hook', /private \(RFC 1918\) address \(it carries 192\.168\.1\.1\)/],
  ])('refuses %s with a 400 naming sla.notify, and stores nothing', async (_what, url, message) => {
    const res = await t.http.put('/v1/assets/consumer/refused').send(consumer(url));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(res.body.error.details).toEqual([{ in: 'body', field: 'sla.notify', message: expect.stringMatching(message) }]);
    expect((await t.http.get('/v1/assets/consumer/refused')).status).toBe(404);
  });

  it('accepts a global address, and a host that does not resolve (it cannot be judged; delivery checks again)', async () => {
    await t.http.put('/v1/assets/consumer/global').send(consumer('https://93.184.215.14/hook')).expect(201);
    await t.http.put('/v1/assets/consumer/unresolved').send(consumer('https://hooks.depcat.invalid/hook')).expect(201);
  });

  it('refuses an update to an internal URL and keeps the stored one', async () => {
    await t.http.put('/v1/assets/consumer/moving').send(consumer('https://93.184.215.14/hook')).expect(201);
    const res = await t.http.put('/v1/assets/consumer/moving').send(consumer('http://169.254.169.254/'));
    expect(res.status).toBe(400);
    expect((await t.http.get('/v1/assets/consumer/moving')).body).toMatchObject({ revision: 1, sla: { notify: 'https://93.184.215.14/hook' } });
  });

  it('names the item in a batch, together with its other problems', async () => {
    const res = await t.http.post('/v1/batch').send({
      assets: [
        { ref: 'source:b_src', owner: 'data' },
        { ref: 'consumer:b_bad', ...consumer('http://10.1.1.1/hook'), dependsOn: ['source:b_src'] },
        { ref: 'consumer:b_ok', ...consumer('https://93.184.215.14/hook'), dependsOn: ['source:nowhere'] },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { in: 'body', field: 'assets[1].sla.notify', message: expect.stringMatching(/^points at 10\.1\.1\.1, a private/) },
      { in: 'body', field: 'assets[2].dependsOn[0]', message: 'source:nowhere does not exist' },
    ]);
    expect((await t.http.get('/v1/assets/source/b_src')).status).toBe(404);
  });

  it('names the line in an import (checked chunk by chunk), which stores nothing', async () => {
    const lines = [
      { ref: 'source:i_src', owner: 'data' },
      { ref: 'consumer:i_ok', ...consumer('https://93.184.215.14/hook'), dependsOn: ['source:i_src'] },
      { ref: 'consumer:i_bad', ...consumer('http://[::1]:8080/hook'), dependsOn: ['source:i_src'] },
    ];
    const res = await t.http
      .post('/v1/import')
      .set('content-type', 'application/x-ndjson')
      .send(lines.map((l) => JSON.stringify(l)).join('\n'));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { in: 'body', field: 'lines[3].sla.notify', message: expect.stringMatching(/^points at ::1, a loopback address/) },
    ]);
    expect((await t.http.get('/v1/assets/source/i_src')).status).toBe(404);
  });

  it('refuses through GraphQL too, naming input.sla.notify', async () => {
    const res = await gql(
      t,
      `mutation { upsertAsset(ref: "consumer:g_bad", input: { owner: "app", contact: "c", sla: { notify: "http://127.0.0.1:9/x" } }) { status } }`,
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.issues).toEqual([
      { in: 'body', field: 'input.sla.notify', message: expect.stringMatching(/^points at 127\.0\.0\.1, a loopback address/) },
    ]);
  });
});

describe('the allow-list (DEPCAT_WEBHOOK_ALLOW)', () => {
  let t: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(() => 200);
    t = await startTestApp({ DEPCAT_WEBHOOK_ALLOW: 'localhost, 10.0.0.0/8' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('allows a listed host and the addresses of a listed network, and nothing else', async () => {
    await t.http.put('/v1/assets/consumer/by_host').send(consumer('http://localhost:9/hook')).expect(201);
    await t.http.put('/v1/assets/consumer/by_cidr').send(consumer('http://10.20.30.40/hook')).expect(201);
    // The host's name is listed, not its address.
    const literal = await t.http.put('/v1/assets/consumer/by_address').send(consumer('http://127.0.0.1:9/hook'));
    expect(literal.status).toBe(400);
    expect(literal.body.error.details[0]).toMatchObject({ field: 'sla.notify', message: expect.stringMatching(/loopback/) });
    expect((await t.http.put('/v1/assets/consumer/outside').send(consumer('http://192.168.0.1/hook'))).status).toBe(400);
  });

  it('delivers to a listed host although it resolves to loopback', async () => {
    const port = new URL(receiver.url).port;
    await register(t, [{ ref: 'source:allowed' }, { ref: 'consumer:listed', dependsOn: ['source:allowed'], sla: { notify: `http://localhost:${port}/listed` } }]);
    await t.http.post('/v1/assets/source/allowed/deprecate').send({ reason: 'r' }).expect(200);
    const [notice] = await until(async () => {
      const found = await noticesOf(t.http, 'source:allowed');
      return found[0]?.state === 'delivered' && found;
    }, 'the delivery to localhost');
    expect(notice).toMatchObject({ attempts: 1, lastError: null });
    expect(receiver.received.map((r) => r.path)).toEqual(['/listed']);
  });
});

describe('delivery checks the address again', () => {
  let t: TestApp;
  let strict: BuiltApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(() => 200);
    t = await startTestApp({ DEPCAT_WEBHOOK_ALLOW: '127.0.0.1,localhost' });
  });
  afterAll(async () => {
    await strict?.app.close();
    await t?.close();
    await receiver?.close();
  });

  it('refuses at delivery what was allowed at registration: a process with another allow-list delivers nothing inside', async () => {
    const port = new URL(receiver.url).port;
    await register(t, [
      { ref: 'source:moved' },
      { ref: 'consumer:literal', dependsOn: ['source:moved'], sla: { notify: `${receiver.url}/literal` } },
      { ref: 'consumer:named', dependsOn: ['source:moved'], sla: { notify: `http://localhost:${port}/named` } },
    ]);
    // Only the strict process, on the same database, delivers.
    await t.container.outboxWorker.stop();
    strict = await buildApp(
      loadConfig({ ...TEST_ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent', DEPCAT_WEBHOOK_ALLOW: '', DEPCAT_WEBHOOK_BACKOFF_MS: '60000' }),
    );
    await strict.app.ready();
    await t.http.post('/v1/assets/source/moved/deprecate').send({ reason: 'r' }).expect(200);

    const notices = await until(async () => {
      const found = await noticesOf(t.http, 'source:moved');
      return found.length === 2 && found.every((n) => n.attempts === 1) && found;
    }, 'both deliveries to be tried');
    const byConsumer = Object.fromEntries(notices.map((n) => [n.consumer, n]));
    expect(byConsumer['consumer:literal']).toMatchObject({ state: 'failing', lastError: 'refused: 127.0.0.1, a loopback address' });
    expect(byConsumer['consumer:named']).toMatchObject({
      state: 'failing',
      lastError: expect.stringMatching(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/),
    });
    expect(receiver.received).toEqual([]);

    const metrics = new Scrape((await supertest(strict.app.server).get('/metrics').expect(200)).text);
    expect(metrics.value('depcat_outbox_delivery_failures_total', { reason: 'refused_address', given_up: 'false' })).toBe(2);
  });
});

describe('redirects', () => {
  let t: TestApp;
  let target: Receiver;
  let redirecting: Receiver;
  beforeAll(async () => {
    target = await startReceiver(() => 200);
    redirecting = await startReceiver(() => ({ status: 302, headers: { location: `${target.url}/landed` } }));
    t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '60000' });
  });
  afterAll(async () => {
    await t?.close();
    await target?.close();
    await redirecting?.close();
  });

  it('are not followed: a 302 is a failed attempt and its target never hears of it', async () => {
    await register(t, [{ ref: 'source:r' }, { ref: 'consumer:redirected', dependsOn: ['source:r'], sla: { notify: `${redirecting.url}/hook` } }]);
    await t.http.post('/v1/assets/source/r/deprecate').send({ reason: 'r' }).expect(200);
    const [notice] = await until(async () => {
      const found = await noticesOf(t.http, 'source:r');
      return found[0]?.attempts === 1 && found;
    }, 'the redirected attempt');
    expect(notice).toMatchObject({ state: 'failing', lastError: 'HTTP 302' });
    expect(redirecting.received).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.received).toEqual([]);
  });
});

describe('signatures (Standard Webhooks)', () => {
  let t: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(() => 200);
    t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '50' });
    await register(t, [
      { ref: 'source:a' },
      { ref: 'source:b' },
      { ref: 'source:c' },
      { ref: 'source:d' },
      { ref: 'consumer:signed', dependsOn: ['source:a', 'source:b', 'source:c'], sla: { notify: `${receiver.url}/signed` } },
      { ref: 'consumer:lazy', dependsOn: ['source:d'], sla: { notify: `${receiver.url}/lazy` } },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Deprecates `source`, and answers what `path` received for it. */
  async function deliveredFor(source: string, path: string): Promise<Received> {
    await t.http.post(`/v1/assets/source/${source}/deprecate`).send({ reason: 'r' }).expect(200);
    return until(async () => receiver.received.find((r) => r.path === path && r.body.asset === `source:${source}`), `the notice about ${source}`);
  }

  const rotate = async (name: string) => {
    const res = await t.http.post(`/v1/assets/consumer/${name}/webhook-secret`);
    expect(res.status).toBe(201);
    return res.body as { consumer: string; secret: string; createdAt: string; previousValidUntil?: string };
  };

  it('signs each delivery; the receiver verifies it with the secret, before and after a rotation (both during the overlap)', async () => {
    const first = await rotate('signed');
    expect(first).toEqual({ consumer: 'signed', secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), createdAt: expect.any(String) });

    const one = await deliveredFor('a', '/signed');
    const headers = headersOf(one);
    expect(new Webhook(first.secret).verify(one.raw, headers)).toEqual(one.body);
    expect(headers['webhook-id']).toBe(String(one.body.id));
    expect(headers['x-depcat-delivery']).toBe(String(one.body.id));
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // Not signed with anything else, nor over another body.
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(one.raw, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(first.secret).verify(one.raw.replace('source:a', 'source:x'), headers)).toThrow(/No matching signature/);

    const second = await rotate('signed');
    expect(second.secret).not.toBe(first.secret);
    expect(new Date(second.previousValidUntil!).getTime() - new Date(second.createdAt).getTime()).toBe(24 * 60 * 60_000);
    const two = await deliveredFor('b', '/signed');
    expect(headersOf(two)['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(second.secret).verify(two.raw, headersOf(two))).toEqual(two.body);
    expect(new Webhook(first.secret).verify(two.raw, headersOf(two))).toEqual(two.body);

    // Once the overlap is over, only the new secret signs.
    await t.container.db.query(`UPDATE webhook_secrets SET previous_valid_until = now() - interval '1 second'`);
    const three = await deliveredFor('c', '/signed');
    expect(headersOf(three)['webhook-signature'].split(' ')).toHaveLength(1);
    expect(new Webhook(second.secret).verify(three.raw, headersOf(three))).toEqual(three.body);
    expect(() => new Webhook(first.secret).verify(three.raw, headersOf(three))).toThrow(/No matching signature/);
  });

  it('gives a consumer that never rotated a secret at its first delivery, and a rotation then overlaps with it', async () => {
    const before = await t.container.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_secrets s JOIN assets a ON a.id = s.consumer_id WHERE a.name = 'lazy'`,
    );
    expect(before[0].n).toBe(0);
    const lazy = await deliveredFor('d', '/lazy');
    expect(headersOf(lazy)['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const rotated = await rotate('lazy');
    expect(rotated.previousValidUntil).toEqual(expect.any(String));
  });

  it('makes one first secret however many deliveries ask at once', async () => {
    await register(t, [{ ref: 'consumer:racing', sla: { notify: `${receiver.url}/racing` } }]);
    const answers = await Promise.all(Array.from({ length: 10 }, () => t.container.webhookSecrets.signingSecrets('consumer:racing')));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toHaveLength(1);
    expect(await t.container.webhookSecrets.signingSecrets('consumer:nobody')).toBeNull();
  });

  it('rotates only the secret of a consumer that exists', async () => {
    const unknown = await t.http.post('/v1/assets/consumer/nobody/webhook-secret');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect((await t.http.post('/v1/assets/consumer/bad%20name/webhook-secret')).status).toBe(400);
  });

  it('fails a delivery to a consumer deleted since, which has no secret left', async () => {
    await t.container.outboxWorker.stop();
    try {
      await register(t, [{ ref: 'source:e' }, { ref: 'consumer:gone', dependsOn: ['source:e'], sla: { notify: `${receiver.url}/gone` } }]);
      await t.http.post('/v1/assets/source/e/deprecate').send({ reason: 'r' }).expect(200);
      await t.http.delete('/v1/assets/consumer/gone').expect(204);
    } finally {
      t.container.outboxWorker.start();
    }
    const [notice] = await until(async () => {
      const found = await noticesOf(t.http, 'source:e');
      return found[0]?.attempts >= 1 && found;
    }, 'the delivery to the deleted consumer');
    expect(notice.lastError).toBe('consumer:gone no longer exists: no secret to sign with');
    expect(receiver.received.filter((r) => r.path === '/gone')).toEqual([]);
  });
});

describe('the secret stays secret', () => {
  it('appears in no log line (even at trace, even when a delivery fails) and in no read of the asset', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const receiver = await startReceiver((_path, count) => (count === 1 ? 500 : 200));
    const db = await createTestDatabase();
    const built = await buildApp(
      loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, LOG_LEVEL: 'trace', DEPCAT_WEBHOOK_ALLOW: '127.0.0.1', DEPCAT_WEBHOOK_BACKOFF_MS: '50' }),
      { logDestination: destination },
    );
    try {
      await built.app.ready();
      const http = supertest.agent(built.app.server).set(ADMIN_AUTH);
      const t = { http } as unknown as TestApp;
      await register(t, [{ ref: 'source:s' }, { ref: 'consumer:quiet', dependsOn: ['source:s'], sla: { notify: `${receiver.url}/quiet` } }]);
      const rotated = await http.post('/v1/assets/consumer/quiet/webhook-secret').expect(201);
      const secret: string = rotated.body.secret;
      const key = secret.slice('whsec_'.length);
      await http.post('/v1/assets/source/s/deprecate').send({ reason: 'r' }).expect(200);
      await until(async () => {
        const found = await noticesOf(http, 'source:s');
        return found[0]?.state === 'delivered' && found;
      }, 'the delivery after one failure');
      expect(receiver.received).toHaveLength(2);

      const reads = [
        await http.get('/v1/assets/consumer/quiet').expect(200),
        await http.get('/v1/assets').query({ kind: 'consumer' }).expect(200),
        await http.get('/v1/assets/source/s/consumers').expect(200),
        await http.get('/v1/assets/consumer/quiet/history').expect(200),
        await http.get('/v1/notifications').expect(200),
        await http.post('/graphql').send({ query: '{ asset(ref: "consumer:quiet") { ref sla { notify } } }' }).expect(200),
      ];
      for (const read of reads) expect(read.text).not.toContain(key);

      expect(lines.some((line) => line.includes('notification delivery failed'))).toBe(true);
      expect(lines.some((line) => line.includes('webhook-secret'))).toBe(true); // the rotation's request was logged
      for (const line of lines) {
        expect(line).not.toContain(key);
        expect(line).not.toContain('whsec_');
      }
    } finally {
      await built.app.close();
      await db.drop();
      await receiver.close();
    }
  });
});
