import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { TEST_ENV } from './helpers/test-app.js';
import { RawClient } from './helpers/raw-http.js';

// The app's admin token: the requests below are answered as they would be for a real caller.
const SECRET = `dct_secretvalue${randomBytes(12).toString('hex')}`;
const BEARER = `Bearer ${SECRET}`;

/** Where a writable's lines go, each also with its Buffers decoded (a secret can hide in their bytes). */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const decoded = () =>
    lines.map((line) =>
      JSON.stringify(
        JSON.parse(line, (_key, value: unknown) => {
          const buffer = value as { type?: string; data?: number[] } | null;
          return buffer?.type === 'Buffer' && Array.isArray(buffer.data) ? Buffer.from(buffer.data).toString('latin1') : value;
        }),
      ),
    );
  return { lines, destination, decoded };
}

let db: TestDatabase;
let built: BuiltApp;
let log: ReturnType<typeof capture>;
let http: ReturnType<typeof supertest>;
beforeAll(async () => {
  db = await createTestDatabase();
  log = capture();
  built = await buildApp(loadConfig({ ...TEST_ENV, DEPCAT_ADMIN_TOKEN: SECRET, DATABASE_URL: db.url, LOG_LEVEL: 'trace' }), { logDestination: log.destination });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  http = supertest(built.app.server);
});
afterAll(async () => {
  await built?.app.close();
  await db?.drop();
});

describe('secrets in logs', () => {
  it('a bearer token is on no line, whatever the request became: an answer, a 404, a 400, a 401, a 500, a parser error', async () => {
    const before = log.lines.length;
    const answers = [
      await http.put('/v1/assets/source/raw').set('authorization', BEARER).send({ owner: 'data' }),
      await http.get('/v1/assets/source/raw').set('authorization', BEARER),
      await http.get('/v1/assets/source/nope').set('authorization', BEARER),
      await http.get('/nowhere').set('authorization', BEARER),
      await http.put('/v1/assets/source/bad').set('authorization', BEARER).send({ owner: 5 }),
      await http.post('/v1/batch').set('authorization', BEARER).set('content-type', 'application/json').send('{"assets": ['),
      await http.post('/graphql').set('authorization', BEARER).send({ query: '{ asset(ref: ' }),
      // A token that is not known (the secret is in it, so the check below would find it).
      await http.put('/v1/assets/source/raw').set('authorization', `${BEARER}0`).send({ owner: 'data' }),
    ];
    expect(answers.map((res) => res.status)).toEqual([201, 200, 404, 404, 400, 400, 200, 401]);
    // The router's refusals (framework-errors.ts) log no line of their own; sent all the same.
    expect((await http.get('/v1/assets/source/%E0%A4%A').set('authorization', BEARER)).status).toBe(400);

    vi.spyOn(built.container.assets, 'get').mockRejectedValueOnce(new Error('the disk is on fire'));
    expect((await http.get('/v1/assets/source/raw').set('authorization', BEARER)).status).toBe(500);

    // Node's parser refuses the bytes; its error carries them (rawPacket), headers and all.
    const client = await RawClient.connect((built.app.server.address() as AddressInfo).port);
    await client.write(`GET /v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: ${BEARER}\r\nContent-Length: nope\r\n\r\n`);
    expect((await client.response()).status).toBe(400);
    client.destroy();

    const lines = log.lines.slice(before);
    // The requests were logged (one line each at least, the errors with their error)...
    const logged = answers.map((res) => lines.some((line) => line.includes(`"requestId":"${res.headers['x-request-id']}"`)));
    expect(logged).toEqual(answers.map(() => true));
    expect(lines.some((line) => line.includes('"unexpected error"') && line.includes('the disk is on fire'))).toBe(true);
    const parserError = lines.map((line) => JSON.parse(line) as { msg: string; err?: { rawPacket?: unknown } }).find((line) => line.msg === 'client error');
    expect(parserError?.err?.rawPacket).toBe('[redacted]');
    // ...and none of them has the secret, in text or in bytes.
    for (const line of log.decoded().slice(before)) expect(line).not.toContain(SECRET);
  });

  it('censors the headers of a request, a Node request or an error, whoever logs them whole', () => {
    const out = capture();
    const logger = createLogger({ logLevel: 'trace' }, { destination: out.destination });
    const headers = { authorization: BEARER, cookie: `session=${SECRET}`, accept: 'application/json' };
    logger.info({ req: { method: 'GET', headers, raw: { headers, rawHeaders: ['Authorization', BEARER] } } }, 'a request');
    logger.info({ headers }, 'headers');
    logger.child({ requestId: 'x' }).warn({ request: { headers } }, 'in a child');
    logger.error({ err: Object.assign(new Error('refused'), { headers, rawPacket: Buffer.from(`Authorization: ${BEARER}`) }) }, 'an error');
    expect(out.lines).toHaveLength(4);
    for (const line of out.decoded()) expect(line).not.toContain(SECRET);
    const [request, bare, child, error] = out.lines.map((line) => JSON.parse(line));
    expect(request.req).toEqual({
      method: 'GET',
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' },
      raw: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' }, rawHeaders: '[redacted]' },
    });
    expect(bare.headers.authorization).toBe('[redacted]');
    expect(child.request.headers.authorization).toBe('[redacted]');
    expect(error.err).toMatchObject({ message: 'refused', headers: { authorization: '[redacted]' }, rawPacket: '[redacted]' });
  });
});
