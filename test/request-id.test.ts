import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import type { AddressInfo } from 'node:net';
import { RawClient } from './helpers/raw-http.js';
import { ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  [key: string]: unknown;
}
const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 };

/** An app whose log lines (at `level`) are kept, parsed, for the test to read. */
async function loggedApp(db: TestDatabase, level: string) {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const built: BuiltApp = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, LOG_LEVEL: level }), { logDestination: destination });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...built, lines, http: supertest.agent(built.app.server).set(ADMIN_AUTH) };
}

let db: TestDatabase;
let debug: Awaited<ReturnType<typeof loggedApp>>;
let info: Awaited<ReturnType<typeof loggedApp>>;
beforeAll(async () => {
  db = await createTestDatabase();
  debug = await loggedApp(db, 'debug');
  info = await loggedApp(db, 'info');
  await debug.http.put('/v1/assets/source/raw').send({ owner: 'data' }).expect(201);
});
afterAll(async () => {
  await debug?.app.close();
  await info?.app.close();
  await db?.drop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const linesOf = (lines: LogLine[], id: string) => lines.filter((line) => line.requestId === id);

describe('request ids', () => {
  it("honours a valid X-Request-Id: in the answer's header, its error body and every line it logs", async () => {
    const id = 'trace-4bf92f3577b34da6 a3ce929d0e0e4736';
    const res = await debug.http.get('/v1/assets/source/nope').set('x-request-id', id);
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'source:nope does not exist', requestId: id } });
    expect(linesOf(debug.lines, id).map((line) => line.msg)).toEqual(['request completed']);
    expect(linesOf(debug.lines, id)[0]).toMatchObject({ level: LEVEL.debug, route: '/v1/assets/:kind/:name', statusCode: 404 });
  });

  it('makes up a random UUID when there is none, or the one given is not printable ASCII of at most 128 characters', async () => {
    const given = [undefined, 'x'.repeat(129), 'tab\there', 'caf\u00e9', ''];
    const ids: string[] = [];
    for (const header of given) {
      const request = debug.http.get('/v1/assets/source/raw');
      if (header !== undefined) request.set('x-request-id', header);
      const res = await request;
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
      ids.push(res.headers['x-request-id']);
    }
    expect(new Set(ids).size).toBe(given.length);
    const longest = 'y'.repeat(128);
    expect((await debug.http.get('/v1/assets/source/raw').set('x-request-id', longest)).headers['x-request-id']).toBe(longest);
  });

  it('is in every error body, whoever answers: the handler, the router, the parsers, the guards', async () => {
    const id = 'errors-everywhere';
    const answers = [
      await debug.http.put('/v1/assets/source/x').set('x-request-id', id).send({ owner: 5 }), // schema: 400
      await debug.http.get(`/v1/assets/source/${'n'.repeat(1100)}`).set('x-request-id', id), // router: 414
      await debug.http.get('/v1/assets/source/%E0%A4%A').set('x-request-id', id), // router: 400
      await debug.http.post('/v1/batch').set('x-request-id', id).set('content-type', 'application/json').send('{"assets": ['), // parser: 400
      await debug.http.post('/graphql').set('x-request-id', id).set('content-type', 'text/plain').send('{}'), // yoga: 415
      await debug.http.get('/nowhere').set('x-request-id', id), // not found: 404
    ];
    expect(answers.map((res) => res.status)).toEqual([400, 414, 400, 400, 415, 404]);
    for (const res of answers) {
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.body.error.requestId).toBe(id);
    }
    // Node's parser refuses before there is a request: the answer gets an id of its own.
    const client = await RawClient.connect((debug.app.server.address() as AddressInfo).port);
    await client.write('GET /v1/assets HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    const raw = await client.response();
    client.destroy();
    expect(raw.status).toBe(400);
    expect(raw.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(raw.body).error.requestId).toBe(raw.headers['x-request-id']);
  });

  it('is on the lines an unexpected error logs, and in its 500 body', async () => {
    vi.spyOn(debug.container.assets, 'get').mockRejectedValueOnce(new Error('the disk is on fire'));
    const res = await debug.http.get('/v1/assets/source/raw').set('x-request-id', 'on-fire');
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({ code: 'INTERNAL', message: 'internal error; it has been logged', requestId: 'on-fire' });
    const lines = linesOf(debug.lines, 'on-fire');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [LEVEL.error, 'unexpected error'],
      [LEVEL.warn, 'request answered with a server error'],
    ]);
    expect((lines[0].err as { message: string }).message).toBe('the disk is on fire');
  });

  it("is in each GraphQL error's extensions, and on the line that logs a masked one", async () => {
    const query = { query: '{ missing: asset(ref: "source:nope") { ref } raw: asset(ref: "source:raw") { ref } }' };
    const found = await debug.http.post('/graphql').set('x-request-id', 'gql-1').send(query);
    expect(found.body.errors.map((e: { extensions: object }) => e.extensions)).toEqual([{ code: 'NOT_FOUND', requestId: 'gql-1' }]);

    const generated = await debug.http.post('/graphql').send({ query: '{ asset(ref: ' });
    expect(generated.body.errors[0].extensions).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED', requestId: generated.headers['x-request-id'] });
    expect(generated.headers['x-request-id']).toMatch(UUID);

    vi.spyOn(debug.container.assets, 'get').mockRejectedValueOnce(new Error('secret connection string'));
    const masked = await debug.http.post('/graphql').set('x-request-id', 'gql-2').send({ query: '{ asset(ref: "source:raw") { ref } }' });
    expect(masked.body.errors).toHaveLength(1);
    expect(masked.body.errors[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'gql-2' } });
    expect(JSON.stringify(masked.body)).not.toContain('secret');
    const logged = linesOf(debug.lines, 'gql-2').filter((line) => line.level === LEVEL.error);
    expect(logged.map((line) => line.msg)).toEqual(['unexpected error in a GraphQL operation']);
    expect((logged[0].err as { message: string }).message).toBe('secret connection string');
    // Logged once: not by yoga as well, without the id.
    expect(debug.lines.filter((line) => (line.err as { message?: string } | undefined)?.message === 'secret connection string')).toHaveLength(1);
  });
});

describe('logging at LOG_LEVEL=info', () => {
  it('logs no line per request, only what is wrong: a 5xx at warn, with its error', async () => {
    const before = info.lines.length;
    for (let i = 0; i < 5; i++) await info.http.get('/v1/assets/source/raw').expect(200);
    await info.http.get('/v1/assets/source/nope').expect(404);
    await info.http.put('/v1/assets/source/bad').send({ owner: 5 }).expect(400);
    await info.http.post('/graphql').send({ query: '{ asset(ref: "source:raw") { ref } }' }).expect(200);
    expect(info.lines.slice(before)).toEqual([]);

    vi.spyOn(info.container.assets, 'get').mockRejectedValueOnce(new Error('boom'));
    const res = await info.http.get('/v1/assets/source/raw');
    expect(res.status).toBe(500);
    const id = res.headers['x-request-id'];
    expect(info.lines.slice(before).map((line) => [line.level, line.msg, line.requestId])).toEqual([
      [LEVEL.error, 'unexpected error', id],
      [LEVEL.warn, 'request answered with a server error', id],
    ]);
  });

  it('does not warn about a readiness probe answered "not ready"', async () => {
    vi.spyOn(info.container.health, 'readiness').mockResolvedValueOnce({
      ready: false,
      checks: { database: 'ok', migrations: 'ok', graph: 'loading' },
    });
    const before = info.lines.length;
    await info.http.get('/readyz').expect(503);
    expect(info.lines.slice(before)).toEqual([]);
  });

  it('still logs the start-up', () => {
    expect(info.lines.some((line) => line.level === LEVEL.info && /listening/i.test(line.msg))).toBe(true);
  });
});
