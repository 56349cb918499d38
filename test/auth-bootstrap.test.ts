import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { TEST_ADMIN_TOKEN } from './helpers/test-app.js';
import { bearer, rowsOf } from './helpers/tokens.js';

// Issue 13, "Bootstrap": DEPCAT_ADMIN_TOKEN, or else a first admin token created once,
// printed once, and on the embedded database written to $DEPCAT_DATA_DIR/admin-token.

const SECRET = /dct_[A-Za-z0-9_-]{43}/;
const BOOTSTRAP_NAME = /^bootstrap-admin-[A-Za-z0-9_-]{8}$/;

const databases: TestDatabase[] = [];
const apps: BuiltApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((built) => built.app.close()));
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

/** An app on `db`, with DEPCAT_ADMIN_TOKEN only if `adminToken` is given. */
async function start(db: TestDatabase, adminToken?: string): Promise<BuiltApp> {
  const env: Record<string, string> = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  if (adminToken) env.DEPCAT_ADMIN_TOKEN = adminToken;
  const built = await buildApp(loadConfig(env));
  apps.push(built);
  await built.app.ready();
  return built;
}

const storedTokens = (db: TestDatabase) =>
  rowsOf(db.url, 'SELECT id, name, team, consumer_id, scopes, revoked_at, expires_at FROM tokens ORDER BY id');

describe('bootstrap on PostgreSQL', () => {
  it('with DEPCAT_ADMIN_TOKEN set, stores no token: that one is the admin, named "admin"', async () => {
    const db = await freshDatabase();
    const built = await start(db, TEST_ADMIN_TOKEN);
    expect(built.container.bootstrap).toEqual({ created: false });
    expect(await storedTokens(db)).toEqual([]);
    const http = supertest(built.app.server);
    expect((await http.get('/v1/tokens').set(bearer(TEST_ADMIN_TOKEN))).body).toEqual({ items: [], nextCursor: null });
    const put = await http.put('/v1/assets/source/bs_raw').set(bearer(TEST_ADMIN_TOKEN)).send({ owner: 'data' });
    expect(put.status).toBe(201);
    const history = await http.get('/v1/assets/source/bs_raw/history');
    expect(history.body.items[0]).toMatchObject({ actor: 'admin', onBehalfOf: null });
  });

  it('without it, the first start on an empty database creates exactly one admin token, and a second start none', async () => {
    const db = await freshDatabase();
    const first = await start(db);
    const { bootstrap } = first.container;
    expect(bootstrap.created).toBe(true);
    if (!bootstrap.created) return;
    expect(bootstrap.name).toMatch(BOOTSTRAP_NAME);
    expect(bootstrap.secret).toMatch(new RegExp(`^${SECRET.source}$`));
    const stored = await storedTokens(db);
    expect(stored).toEqual([
      expect.objectContaining({ name: bootstrap.name, team: null, consumer_id: null, scopes: ['read', 'write', 'ingest', 'admin'], revoked_at: null, expires_at: null }),
    ]);

    // It works, as an admin: it issues a token, and the history names it.
    const http = supertest(first.app.server);
    const issued = await http.post('/v1/tokens').set(bearer(bootstrap.secret)).send({ name: 'bs-team', team: 'data', scopes: ['write'] });
    expect(issued.status).toBe(201);
    expect((await http.put('/v1/assets/source/bs_first').set(bearer(bootstrap.secret)).send({ owner: 'data' })).status).toBe(201);
    expect((await http.get('/v1/assets/source/bs_first/history')).body.items[0].actor).toBe(bootstrap.name);

    await first.app.close();
    apps.splice(apps.indexOf(first), 1);
    const second = await start(db);
    expect(second.container.bootstrap).toEqual({ created: false });
    expect((await storedTokens(db)).map((row) => row.name)).toEqual([bootstrap.name, 'bs-team']);
    // The first start's token still works for the second.
    expect((await supertest(second.app.server).get('/v1/tokens').set(bearer(bootstrap.secret))).status).toBe(200);
  });

  it('two apps starting together on one fresh database create one admin token between them', async () => {
    const db = await freshDatabase();
    const [a, b] = await Promise.all([start(db), start(db)]);
    const created = [a, b].filter((built) => built.container.bootstrap.created);
    expect(created).toHaveLength(1);
    expect(await storedTokens(db)).toHaveLength(1);
    const secret = (created[0].container.bootstrap as { secret: string }).secret;
    // Either app accepts it: it is stored, not held by the one that made it.
    for (const built of [a, b]) expect((await supertest(built.app.server).get('/v1/tokens').set(bearer(secret))).status).toBe(200);
  });

  it('once every admin token is revoked, the next start creates a new one; a team token does not count', async () => {
    const db = await freshDatabase();
    const first = await start(db);
    const firstBootstrap = first.container.bootstrap as { created: true; secret: string; name: string };
    const http = supertest(first.app.server).post('/v1/tokens').set(bearer(firstBootstrap.secret));
    const spare = (await http.send({ name: 'bs-spare-admin', scopes: ['admin'] })).body;
    // Not an admin token for the bootstrap's purpose: a team's, and an admin one without the admin scope.
    await supertest(first.app.server).post('/v1/tokens').set(bearer(firstBootstrap.secret)).send({ name: 'bs-team', team: 'data', scopes: ['read'] }).expect(201);
    await supertest(first.app.server).post('/v1/tokens').set(bearer(firstBootstrap.secret)).send({ name: 'bs-reader', scopes: ['read'] }).expect(201);
    await first.app.close();
    apps.splice(apps.indexOf(first), 1);

    // One live admin token left: nothing new.
    const firstRow = (await storedTokens(db)).find((row) => row.name === firstBootstrap.name)!;
    const second = await start(db);
    expect(second.container.bootstrap).toEqual({ created: false });
    const admin = supertest(second.app.server);
    await admin.delete(`/v1/tokens/${firstRow.id}`).set(bearer(spare.secret)).expect(204);
    expect(second.container.bootstrap).toEqual({ created: false });
    await admin.delete(`/v1/tokens/${spare.id}`).set(bearer(spare.secret)).expect(204);
    // Revoking itself took effect at once.
    expect((await admin.get('/v1/tokens').set(bearer(spare.secret))).status).toBe(401);
    await second.app.close();
    apps.splice(apps.indexOf(second), 1);

    const third = await start(db);
    const again = third.container.bootstrap;
    expect(again.created).toBe(true);
    if (!again.created) return;
    expect(again.name).toMatch(BOOTSTRAP_NAME);
    expect(again.name).not.toBe(firstBootstrap.name);
    expect(again.secret).not.toBe(firstBootstrap.secret);
    const live = (await storedTokens(db)).filter((row) => row.revoked_at === null && (row.scopes as string[]).includes('admin'));
    expect(live.map((row) => row.name)).toEqual([again.name]);
    const thirdHttp = supertest(third.app.server);
    expect((await thirdHttp.get('/v1/tokens').set(bearer(again.secret))).status).toBe(200);
    expect((await thirdHttp.get('/v1/tokens').set(bearer(firstBootstrap.secret))).status).toBe(401);
  });

  it('an expired admin token is no live admin either', async () => {
    const db = await freshDatabase();
    const first = await start(db);
    const { secret, name } = first.container.bootstrap as { created: true; secret: string; name: string };
    const http = supertest(first.app.server);
    const expiresAt = new Date(Date.now() + 2500).toISOString();
    const brief = await http.post('/v1/tokens').set(bearer(secret)).send({ name: 'bs-brief-admin', scopes: ['admin'], expiresAt });
    expect(brief.status).toBe(201);
    const id = (await storedTokens(db)).find((row) => row.name === name)!.id;
    await http.delete(`/v1/tokens/${id}`).set(bearer(secret)).expect(204);
    await first.app.close();
    apps.splice(apps.indexOf(first), 1);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 300));
    const second = await start(db);
    expect(second.container.bootstrap.created).toBe(true);
  });
});

describe('bootstrap of a spawned server on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'depcat-bootstrap-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const base = `http://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `src/server.ts` with no DATABASE_URL and no DEPCAT_ADMIN_TOKEN, as a new user starts it; its stdout kept. */
  async function startServer(): Promise<{ stdout: () => string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DEPCAT_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    delete env.DEPCAT_ADMIN_TOKEN;
    delete env.DEPCAT_AUTH;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    server = child;
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${out}`);
      try {
        if ((await fetch(`${base}/readyz`)).status === 200) return { stdout: () => out };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the service did not become ready');
  }

  async function stopServer(): Promise<void> {
    const child = server!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    expect(child.exitCode).toBe(0);
  }

  it('prints the first admin token once on stdout, never on a log line, and writes it to admin-token (0600)', { timeout: 150_000 }, async () => {
    const first = await startServer();
    const out = first.stdout();
    const secrets = out.match(new RegExp(SECRET.source, 'g')) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    const logLines = out.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain(secret);
    expect(logLines.some((line) => JSON.parse(line).msg === 'created the first admin token')).toBe(true);

    const file = join(dataDir, 'admin-token');
    expect(readFileSync(file, 'utf8')).toBe(`${secret}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(out).toContain(file);

    // It works: an admin token that issues others.
    const listed = await fetch(`${base}/v1/tokens`, { headers: bearer(secret) });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { items: { name: string }[] };
    expect(body.items).toHaveLength(1);
    expect(body.items[0].name).toMatch(BOOTSTRAP_NAME);
    expect((await fetch(`${base}/v1/tokens`)).status).toBe(401);
    await stopServer();

    // A restart prints nothing new and leaves the file alone; the token still works.
    const second = await startServer();
    expect(second.stdout()).not.toMatch(SECRET);
    expect(readFileSync(file, 'utf8')).toBe(`${secret}\n`);
    expect((await fetch(`${base}/v1/tokens`, { headers: bearer(secret) })).status).toBe(200);
    await stopServer();
  });
});
