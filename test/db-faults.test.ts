import { createServer, connect, type Server, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './helpers/database.js';
import { ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

/**
 * A TCP proxy between the service and PostgreSQL, standing in for the server going away:
 * `stop()` cuts every connection and refuses new ones, as a stopped PostgreSQL would;
 * `start()` lets them through again.
 */
class FlakyLink {
  private readonly sockets = new Set<Socket>();
  private up = true;
  readonly server: Server;

  constructor(target: URL) {
    this.server = createServer((client) => {
      if (!this.up) return client.destroy();
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  stop(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  start(): void {
    this.up = true;
  }

  close(): Promise<void> {
    this.stop();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let db: TestDatabase;
let link: FlakyLink;
let app: FastifyInstance;
let http: ReturnType<typeof supertest>;

beforeAll(async () => {
  db = await createTestDatabase();
  link = new FlakyLink(new URL(db.url));
  const port = await link.listen();
  const url = new URL(db.url);
  url.host = `127.0.0.1:${port}`;
  ({ app } = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' })));
  await app.ready();
  http = supertest.agent(app.server).set(ADMIN_AUTH);
  await http.post('/v1/batch').send({
    assets: [
      { ref: 'source:raw', owner: 'data' },
      { ref: 'feature:f', owner: 'ml', dependsOn: ['source:raw'] },
      { ref: 'consumer:c', owner: 'app', contact: 'c@example.com', dependsOn: ['feature:f'] },
    ],
  }).expect(200);
});
afterAll(async () => {
  await app?.close();
  await link?.close();
  await db?.drop();
});

/** Every answer while the database is away is a success or a 503 UNAVAILABLE with Retry-After, never a 500. */
function expectServedOrUnavailable(res: supertest.Response): void {
  if (res.status < 300) return;
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body.error.code).toBe('UNAVAILABLE');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

const requests = (i: number) => [
  http.get('/v1/assets/feature/f'),
  http.get('/v1/assets/source/raw/downstream'),
  http.get('/v1/assets/source/raw/consumers'),
  http.get('/v1/assets?limit=10'),
  http.put(`/v1/assets/feature/g${i}`).send({ owner: 'ml', dependsOn: ['source:raw'] }),
];

/** GraphQL answers 200 with errors: each must say UNAVAILABLE, not INTERNAL_SERVER_ERROR. */
async function expectGraphqlServedOrUnavailable(): Promise<void> {
  const res = await http.post('/graphql').send({ query: '{ asset(ref: "feature:f") { ref owner downstream { total } } }' });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  for (const error of res.body.errors ?? []) expect(error.extensions?.code, JSON.stringify(error)).toBe('UNAVAILABLE');
}

const terminateBackends = () =>
  adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`);

describe('database faults', () => {
  it('survives connections terminated mid-read and mid-transaction, and recovers without a restart', async () => {
    for (let round = 0; round < 5; round++) {
      const inFlight = requests(round).map((r) => r.then((res) => res));
      const graphql = expectGraphqlServedOrUnavailable();
      await terminateBackends();
      for (const res of await Promise.all(inFlight)) expectServedOrUnavailable(res);
      await graphql;
    }
    // An import holds a transaction open while its body streams: terminate it mid-way.
    const importing = http
      .post('/v1/import')
      .set('content-type', 'application/x-ndjson')
      .send(Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ ref: `feature:bulk${i}`, owner: 'ml', dependsOn: ['source:raw'] })).join('\n'));
    const imported = importing.then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await terminateBackends();
    const res = await imported;
    if (res.status !== 200) expectServedOrUnavailable(res);

    // Recovered: reads and writes work again on fresh connections.
    await http.get('/v1/assets/feature/f').expect(200);
    await http.put('/v1/assets/feature/after').send({ owner: 'ml', dependsOn: ['source:raw'] }).expect(201);
    const down = await http.get('/v1/assets/source/raw/downstream?limit=1000').expect(200);
    expect(down.body.items.map((i: { ref: string }) => i.ref)).toContain('feature:after');
  });

  it('answers 503 UNAVAILABLE while PostgreSQL is stopped, and serves again once it is back', async () => {
    link.stop();
    try {
      for (const res of await Promise.all(requests(100))) {
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expectServedOrUnavailable(res);
      }
      await expectGraphqlServedOrUnavailable();
    } finally {
      link.start();
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await http.get('/v1/assets/feature/f')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    await http.put('/v1/assets/feature/back').send({ owner: 'ml', dependsOn: ['source:raw'] }).expect(201);
    await http.get('/readyz').expect(200);
  });
});
