import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { rowsOf } from './helpers/tokens.js';

// Issue 13: DEPCAT_AUTH=off turns the checks off for local experiments only: on a
// loopback HOST, and the log says so.

describe('DEPCAT_AUTH=off is refused unless HOST is a loopback address', () => {
  it.each(['0.0.0.0', '::', '10.1.2.3', 'depcat.internal', '192.168.0.10'])('HOST=%s: a ConfigError naming DEPCAT_AUTH', (host) => {
    expect(() => loadConfig({ DEPCAT_AUTH: 'off', HOST: host })).toThrow(ConfigError);
    expect(() => loadConfig({ DEPCAT_AUTH: 'off', HOST: host })).toThrow(/DEPCAT_AUTH/);
    // With checks on, any HOST will do.
    expect(loadConfig({ DEPCAT_AUTH: 'on', HOST: host }).auth).toBe(true);
  });

  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])('HOST=%s is allowed', (host) => {
    expect(loadConfig({ DEPCAT_AUTH: 'off', HOST: host })).toMatchObject({ auth: false, host });
  });

  it('the default HOST is loopback, so DEPCAT_AUTH=off alone starts', () => {
    expect(loadConfig({ DEPCAT_AUTH: 'off' }).auth).toBe(false);
  });

  it('a spawned server with HOST=0.0.0.0 exits with 2 and says why', { timeout: 60_000 }, () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DEPCAT_AUTH: 'off', HOST: '0.0.0.0', PORT: '0' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, encoding: 'utf8', timeout: 50_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('DEPCAT_AUTH');
    expect(run.stderr).toContain('0.0.0.0');
  });
});

describe('with DEPCAT_AUTH=off on 127.0.0.1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DEPCAT_AUTH: 'off', HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes need no token, and the history names "anonymous", with onBehalfOf from X-Actor', async () => {
    expect((await t.anon.put('/v1/assets/source/off_raw').set('x-actor', 'alice').send({ owner: 'data' })).status).toBe(201);
    expect((await t.anon.put('/v1/assets/feature/off_f').send({ owner: 'ml', dependsOn: ['source:off_raw'] })).status).toBe(201);
    const res = await t.anon
      .post('/graphql')
      .set('x-actor', 'bob')
      .send({ query: 'mutation { deprecateAsset(ref: "source:off_raw", input: { reason: "moved" }) { asset { ref } } }' });
    expect(res.body.errors).toBeUndefined();
    const raw = await t.anon.get('/v1/assets/source/off_raw/history');
    expect(raw.body.items.map((i: { action: string; actor: string; onBehalfOf: string | null }) => [i.action, i.actor, i.onBehalfOf])).toEqual([
      ['deprecate', 'anonymous', 'bob'],
      ['create', 'anonymous', 'alice'],
    ]);
    const f = await t.anon.get('/v1/assets/feature/off_f/history');
    expect(f.body.items[0]).toMatchObject({ actor: 'anonymous', onBehalfOf: null });
    // Admin-only operations too: there is nothing to check.
    expect((await t.anon.delete('/v1/assets/feature/off_f')).status).toBe(204);
    expect((await t.anon.post('/v1/tokens').send({ name: 'off-token', team: 'data', scopes: ['read'] })).status).toBe(201);
  });

  it('creates no admin token on start', async () => {
    const db: TestDatabase = await createTestDatabase();
    try {
      const built = await buildApp(loadConfig({ DEPCAT_AUTH: 'off', DATABASE_URL: db.url, LOG_LEVEL: 'silent' }));
      await built.app.ready();
      expect(built.container.bootstrap).toEqual({ created: false });
      expect(await rowsOf(db.url, 'SELECT id FROM tokens')).toEqual([]);
      await built.app.close();
    } finally {
      await db.drop();
    }
  });
});

describe('a spawned server with DEPCAT_AUTH=off', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('logs a warning that nothing is checked', { timeout: 90_000 }, async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env: NodeJS.ProcessEnv = { ...process.env, DEPCAT_AUTH: 'off', PORT: String(port), DATABASE_URL: db.url, LOG_LEVEL: 'info' };
    delete env.DEPCAT_ADMIN_TOKEN;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('depcat is listening') && Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const lines = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      const warning = lines.find((line) => line.msg.includes('DEPCAT_AUTH=off'));
      expect(warning, out).toBeDefined();
      expect(warning!.level).toBe(40);
      expect(warning!.msg).toMatch(/no request is authenticated/);
      // And no admin token was made or printed.
      expect(out).not.toMatch(/dct_[A-Za-z0-9_-]{43}/);
      const put = await fetch(`http://127.0.0.1:${port}/v1/assets/source/off_spawned`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ owner: 'data' }),
      });
      expect(put.status).toBe(201);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
