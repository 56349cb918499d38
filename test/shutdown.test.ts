import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { ADMIN_AUTH, TEST_ADMIN_TOKEN } from './helpers/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  child: ChildProcess;
  base: string;
  port: number;
  /** Everything the process wrote, standard output (pino's JSON lines) and error. */
  stdout: () => string;
  stderr: () => string;
  /** The `msg` of every JSON log line so far, in order. */
  messages: () => string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `npm start`'s entry point as its own process, on the test's database, with the tests' admin token, and waits for /readyz. */
async function startServer(db: TestDatabase, env: Record<string, string> = {}): Promise<Server> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', DEPCAT_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: Server = {
    child,
    base: `http://127.0.0.1:${port}`,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    messages: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line).msg as string),
    exited,
  };
  started.push(server);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${server.base}/readyz`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the server did not become ready');
}

/** An NDJSON import whose lines the test sends one by one, while the server waits for them. */
function slowImport(server: Server) {
  const request = http.request(`${server.base}/v1/import`, {
    method: 'POST',
    headers: { ...ADMIN_AUTH, 'content-type': 'application/x-ndjson' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  answer.catch(() => {});
  return {
    line: (asset: object) => new Promise<void>((resolve) => request.write(`${JSON.stringify(asset)}\n`, () => resolve())),
    end: () => request.end(),
    answer,
  };
}

const refused = async (url: string): Promise<string | undefined> => {
  try {
    await fetch(url);
    return undefined;
  } catch (error) {
    return ((error as { cause?: { code?: string } }).cause?.code) ?? String(error);
  }
};

async function sql<T = Record<string, unknown>>(db: TestDatabase, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const started: Server[] = [];
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await db?.drop();
});

describe('SIGTERM', () => {
  it(
    'stops accepting, lets the request in flight finish, stores the reads just checked, stops the workers, closes the pool, exits 0',
    { timeout: 120_000 },
    async () => {
      const server = await startServer(db);
      const put = (path: string, body: object) =>
        fetch(`${server.base}${path}`, { method: 'PUT', headers: { ...ADMIN_AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await put('/v1/assets/source/events', { owner: 'data' })).status).toBe(201);

      const load = slowImport(server);
      await load.line({ ref: 'feature:sessions', owner: 'ml', dependsOn: ['source:events'] });
      await sleep(300); // the import is in its handler, holding the write lock
      // Reads counted in memory, written at the next flush: the shutdown must not lose them.
      for (let i = 0; i < 3; i++) {
        const check = await fetch(`${server.base}/v1/access-check`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ asset: 'source:events', consumer: 'notebook-7' }),
        });
        expect(check.status).toBe(200);
      }
      server.child.kill('SIGTERM');
      await sleep(500);
      expect(await refused(`${server.base}/healthz`)).toBe('ECONNREFUSED');
      expect(server.child.exitCode).toBeNull(); // still finishing the import

      await load.line({ ref: 'model:churn', owner: 'ml', dependsOn: ['feature:sessions'] });
      await sleep(200);
      await load.line({ ref: 'consumer:crm', owner: 'crm', contact: 'crm@example.com', dependsOn: ['model:churn'] });
      load.end();
      const answer = await load.answer;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).counts).toEqual({ created: 3, updated: 0, unchanged: 0 });

      expect(await server.exited).toEqual({ code: 0, signal: null });
      const messages = server.messages();
      const steps = [
        'shutting down',
        'accepting no new connections; finishing the requests in flight',
        'requests in flight finished',
        'background task stopped', // pruner
        'background task stopped', // read-flusher: the reads are written
        'background task stopped', // outbox-worker
        'background task stopped', // graph
        'database closed',
        'shut down',
      ];
      expect(messages.slice(messages.indexOf('shutting down'))).toEqual(steps);
      const tasks = server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('background task stopped'))
        .map((line) => JSON.parse(line).task);
      expect(tasks).toEqual(['pruner', 'read-flusher', 'outbox-worker', 'graph']);
      expect(server.stdout() + server.stderr()).not.toMatch(/Cannot use a pool|unexpected error/);

      const reads = await sql<{ identity: string; count: string }>(
        db,
        `SELECT identity, count::text FROM usage_reads u JOIN assets a ON a.id = u.asset_id WHERE a.name = 'events'`,
      );
      expect(reads).toEqual([{ identity: 'notebook-7', count: '3' }]);
      const names = await sql<{ name: string }>(db, 'SELECT name FROM assets ORDER BY name');
      expect(names.map((row) => row.name)).toEqual(['churn', 'crm', 'events', 'sessions']);
    },
  );

  it('closes the connections still open after the grace period, and still exits 0 with nothing lost', { timeout: 120_000 }, async () => {
    const server = await startServer(db, { DEPCAT_SHUTDOWN_GRACE_MS: '700' });
    const load = slowImport(server);
    await load.line({ ref: 'source:never', owner: 'data' });
    await sleep(300);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    // The import never ends: its connection is closed for it, and nothing of it is stored.
    await expect(load.answer).rejects.toThrow();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(10_000);
    const messages = server.messages();
    expect(messages).toContain('grace period over: closing the connections still open');
    // The import, cut off, rolls back before the database closes: nothing fails under it.
    const cut = messages.indexOf('grace period over: closing the connections still open');
    expect(messages.indexOf('requests in flight finished')).toBeGreaterThan(cut);
    expect(messages.indexOf('database closed')).toBeGreaterThan(messages.indexOf('requests in flight finished'));
    expect(server.stdout() + server.stderr()).not.toMatch(/Cannot use a pool|database unavailable|unexpected error/);
    expect(await sql(db, "SELECT 1 FROM assets WHERE name = 'never'")).toEqual([]);
  });

  it('a second signal exits at once', { timeout: 120_000 }, async () => {
    const server = await startServer(db, { DEPCAT_SHUTDOWN_GRACE_MS: '60000' });
    const load = slowImport(server);
    await load.line({ ref: 'source:held', owner: 'data' });
    await sleep(300);
    server.child.kill('SIGTERM');
    await sleep(300);
    expect(server.child.exitCode).toBeNull(); // waiting for the import, for up to a minute
    const signalled = Date.now();
    server.child.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 130, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(server.messages()).toContain('second signal: exiting now, without finishing the shutdown');
  });
});
