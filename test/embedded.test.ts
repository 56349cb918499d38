import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'depcat-embedded-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
let server: ChildProcess | undefined;
/** What the running server printed on standard output (its log lines, at warn, and any announcement). */
let stdout = '';

/** Starts `npm start`'s entry point with no DATABASE_URL and no admin token, as a new user would. */
async function start(): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DEPCAT_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Imports below span several chunks, pipelined on PGlite's single connection.
    DEPCAT_IMPORT_CHUNK: '2',
  };
  delete env.DATABASE_URL;
  delete env.DEPCAT_ADMIN_TOKEN;
  stdout = '';
  server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  server.stdout!.on('data', (chunk) => (stdout += chunk));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the service did not become ready');
}

async function stop(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  expect(child.exitCode).toBe(0);
}

afterAll(async () => {
  server?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded default database', () => {
  it('keeps what was written across a restart', { timeout: 120_000 }, async () => {
    await start();
    // The first start creates an admin token, prints it once and leaves it in the data folder, for its owner only.
    const tokenFile = join(dataDir, 'admin-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^dct_[A-Za-z0-9_-]{43}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // Named after the 8 characters of the secret its listing shows.
    const name = `bootstrap-admin-${token.slice(4, 12)}`;
    expect(stdout).toContain(`An admin token "${name}" was created`);
    expect(stdout).toContain(token);
    const auth = { authorization: `Bearer ${token}` };
    const put = (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/assets/source/events', { owner: 'data' })).status).toBe(201);
    expect((await put('/v1/assets/feature/sessions', { owner: 'ml', dependsOn: ['source:events'] })).status).toBe(201);
    await stop();

    await start();
    // A restart keeps the token it has: no other is created, and the file's still works (the imports below).
    expect(stdout).not.toMatch(/admin token/i);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    const history = await (await fetch(`${base}/v1/assets/source/events/history`)).json();
    expect(history.items[0]).toMatchObject({ action: 'create', actor: name, onBehalfOf: null });
    const asset = await (await fetch(`${base}/v1/assets/feature/sessions`)).json();
    expect(asset).toMatchObject({ ref: 'feature:sessions', owner: 'ml', dependsOn: [{ ref: 'source:events' }] });
    const down = await (await fetch(`${base}/v1/assets/source/events/downstream`)).json();
    expect(down.items.map((i: { ref: string }) => i.ref)).toEqual(['feature:sessions']);

    const importLines = (lines: object[]) =>
      fetch(`${base}/v1/import`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body: lines.map((line) => JSON.stringify(line)).join('\n'),
      });
    const refused = await importLines([
      { ref: 'model:churn', owner: 'ml', dependsOn: ['feature:sessions', 'feature:tenure'] },
      { ref: 'feature:tenure', owner: 'ml', dependsOn: ['source:accounts'] },
      { ref: 'consumer:crm', owner: 'crm', contact: 'crm@example.com', dependsOn: ['model:churn'] },
    ]);
    expect(refused.status).toBe(400);
    expect((await fetch(`${base}/v1/assets/model/churn`)).status).toBe(404);
    const imported = await importLines([
      { ref: 'model:churn', owner: 'ml', dependsOn: ['feature:sessions', 'feature:tenure'] },
      { ref: 'feature:tenure', owner: 'ml', dependsOn: ['source:accounts'] },
      { ref: 'consumer:crm', owner: 'crm', contact: 'crm@example.com', dependsOn: ['model:churn'] },
      { ref: 'source:accounts', owner: 'data' },
      { ref: 'feature:sessions', owner: 'ml', dependsOn: ['source:events'] },
    ]);
    expect(imported.status).toBe(200);
    expect((await imported.json()).counts).toEqual({ created: 4, updated: 0, unchanged: 1 });
    const consumers = await (await fetch(`${base}/v1/assets/source/events/consumers`)).json();
    expect(consumers.consumers.map((c: { ref: string; distance: number }) => [c.ref, c.distance])).toEqual([['consumer:crm', 3]]);

    // A second process on the same folder would see only its own writes: it is refused.
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port + 1), DEPCAT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.DEPCAT_ADMIN_TOKEN;
    const second = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`the embedded database in ${dataDir} is in use by process ${server!.pid}`);
    expect(second.stdout).not.toMatch(/admin token/i);
    expect((await fetch(`${base}/v1/assets/model/churn`)).status).toBe(200);
    await stop();
  });
});
