import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, sleep } from './helpers/raw-http.js';
import { ADMIN_AUTH, startTestApp, type TestApp } from './helpers/test-app.js';

// Through a real socket: what inject cannot show (slow bytes, a body the server stops
// reading, connections closed or kept).

const MiB = 1024 * 1024;
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startTestApp({
    DEPCAT_BODY_LIMIT: String(MiB),
    DEPCAT_HEADERS_TIMEOUT_MS: '400',
    DEPCAT_REQUEST_TIMEOUT_MS: '600',
    DEPCAT_IMPORT_IDLE_MS: '700',
    DEPCAT_IMPORT_MAX_MS: '2500',
    DEPCAT_WRITE_LOCK_TIMEOUT_MS: '1500',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(() => t?.close());

const clients: RawClient[] = [];
const connect = async () => {
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
};
afterEach(() => clients.splice(0).forEach((c) => c.destroy()));

const head = (method: string, url: string, headers: Record<string, string | number>) =>
  `${method} ${url} HTTP/1.1\r\nHost: depcat\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
/** A write's head: with the admin token, since a write route without one answers 401 before reading the body. */
const writeHead = (url: string, headers: Record<string, string | number>) => head('POST', url, { ...ADMIN_AUTH, ...headers });
const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
const errorShape = (code: string) => ({ error: expect.objectContaining({ code, message: expect.any(String) }) });

describe("what Node's HTTP parser refuses", () => {
  it.each([
    ['a URL longer than the header limit', `GET /v1/assets/source/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: depcat\r\n\r\n`, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE'],
    ['a request that is not HTTP', 'HELLO\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a NUL in a header', 'GET /healthz HTTP/1.1\r\nHost: depcat\r\nX-Actor: a\u0000b\r\n\r\n', 400, 'BAD_REQUEST'],
  ])('%s: answered in the error shape, then closed', async (_, request, status, code) => {
    const client = await connect();
    await client.write(request);
    const answer = await client.response();
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toEqual(errorShape(code));
    expect(await client.closedWithin(1000)).toBe(true);
  });
});

describe('a body over the limit', () => {
  it.each([
    ['with a Content-Length', { 'content-length': 3 * MiB }, (b: Buffer) => b],
    ['chunked', { 'transfer-encoding': 'chunked' }, (b: Buffer) => Buffer.from(chunk(b.toString()) + '0\r\n\r\n')],
  ])('%s: the client sends it all without EPIPE, reads a 413, and the connection serves the next request', async (_, headers, frame) => {
    const client = await connect();
    await client.write(writeHead('/v1/batch', { 'content-type': 'application/json', ...headers }));
    await client.writeAll(frame(Buffer.alloc(3 * MiB, ' ')));
    expect(client.error).toBeUndefined();
    const tooLarge = await client.response();
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toEqual(errorShape('PAYLOAD_TOO_LARGE'));

    await client.write(head('GET', '/healthz', {}));
    expect((await client.response()).status).toBe(200);
  });
});

describe('slow clients', () => {
  it('headers sent slowly: the connection is closed at the headers timeout', async () => {
    const client = await connect();
    await client.write('GET /healthz HTTP/1.1\r\nHost: depcat\r\n');
    const started = Date.now();
    for (let i = 0; i < 30 && !client.closed; i++) {
      await client.write(`X-Slow-${i}: still coming\r\n`).catch(() => {});
      await sleep(100);
    }
    expect(client.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('a connection that sends nothing is closed at the headers timeout', async () => {
    const client = await connect();
    expect(await client.closedWithin(2500)).toBe(true);
  });

  it('a body sent slowly: a 408 in the error shape at the request timeout, and the connection is closed', async () => {
    const client = await connect();
    await client.write(writeHead('/v1/batch', { 'content-type': 'application/json', 'content-length': 1000 }));
    const trickle = (async () => {
      for (let i = 0; i < 40 && !client.closed; i++) {
        await client.write('          ').catch(() => {});
        await sleep(100);
      }
    })();
    const answer = await client.response(3000);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual(errorShape('REQUEST_TIMEOUT'));
    expect(await client.closedWithin(1000)).toBe(true);
    await trickle;
  });
});

describe('imports', () => {
  const startImport = async () => {
    const client = await connect();
    await client.write(writeHead('/v1/import', { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' }));
    return client;
  };
  const line = (name: string) => chunk(`{"ref":"source:${name}","owner":"o"}\n`);
  const status = async (name: string) => (await t.http.get(`/v1/assets/source/${name}`)).status;

  it('sending a line every 200 ms, longer than the idle and request timeouts, is stored', async () => {
    const client = await startImport();
    for (let i = 0; i < 9; i++) {
      await client.write(line(`steady${i}`));
      await sleep(200);
    }
    await client.write('0\r\n\r\n');
    const answer = await client.response();
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body).counts).toEqual({ created: 9, updated: 0, unchanged: 0 });
  });

  it('an import that goes idle is aborted with a 408: nothing stored, the write lock released', async () => {
    const client = await startImport();
    await client.write(line('idle0'));
    await client.write(line('idle1'));
    const answer = await client.response(3000);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual(errorShape('REQUEST_TIMEOUT'));
    expect(JSON.parse(answer.body).error.message).toMatch(/sent nothing for 700 ms/);
    expect(await client.closedWithin(1000)).toBe(true);

    expect(await status('idle0')).toBe(404);
    // A write waits at most 1.5 s for the lock here: a held lock would be a 503.
    expect((await t.http.put('/v1/assets/source/after_idle').send({ owner: 'o' })).status).toBe(201);
  });

  it('an import that keeps trickling past its total time is aborted with a 408; nothing stored', async () => {
    const client = await startImport();
    const started = Date.now();
    for (let i = 0; i < 30 && !client.closed; i++) {
      await client.write(line(`trickle${i}`)).catch(() => {});
      await sleep(200);
    }
    const answer = await client.response(1000);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error.message).toMatch(/did not end within 2500 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await status('trickle0')).toBe(404);
    expect((await t.http.put('/v1/assets/source/after_trickle').send({ owner: 'o' })).status).toBe(201);
  });
});
