// Access-check throughput through HTTP, against a bare Fastify route in the same run.
//
//   npm run bench:access                  (DATABASE_URL, else the local default server)
//   BENCH_SECONDS=4 BENCH_ROUNDS=1 npm run bench:access  (shorter)
//
// Builds the real app on a fresh database of its own (dropped at the end), registers a
// few hundred assets and consumers with API keys, then loads POST /v1/access-check at 32
// concurrent connections with a mix of declared, undeclared, unregistered and keyed
// checks, and loads a bare Fastify route that parses the same body and returns a
// constant. The load generator runs in a child process. The two alternate over a few
// rounds, so that a burst of other work on the machine weighs on both alike.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { BENCH_ADMIN_TOKEN, BENCH_AUTH, createDatabase } from './support.js';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SOURCES = 100;
const FEATURES = 300;
const MODELS = 60;
const CONSUMERS = 200;
const KEYS = 40;


interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const loadScript = fileURLToPath(new URL('./load.ts', import.meta.url));

async function load(url: string, requests: { path: string; headers: Record<string, string>; body: string }[]): Promise<LoadResult> {
  const options = {
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: requests.map((r) => ({ method: 'POST' as const, ...r })),
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', loadScript, JSON.stringify(options)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as LoadResult;
}

/** Throughput over all rounds; the worst round's latency percentiles. */
function combine(runs: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((acc, r) => acc + f(r), 0);
  return {
    requestsPerSecond: sum((r) => r.requestsPerSecond) / runs.length,
    total: sum((r) => r.total),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

/** A deterministic pseudo-random sequence, so every run checks the same mix. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

async function main(): Promise<void> {
  const db = await createDatabase();
  const { app } = await buildApp(
    loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', DEPCAT_ACCESS_POLICY: 'enforce', DEPCAT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN }),
    { logger: false },
  );
  const bare = Fastify({ logger: false });
  try {
    const random = prng(42);
    const pick = (n: number) => Math.floor(random() * n);
    const assets: object[] = [];
    for (let i = 0; i < SOURCES; i++) assets.push({ ref: `source:s${i}`, owner: 'data' });
    for (let i = 0; i < FEATURES; i++)
      assets.push({ ref: `feature:f${i}`, owner: 'features', dependsOn: [`source:s${i % SOURCES}`] });
    for (let i = 0; i < MODELS; i++)
      assets.push({
        ref: `model:m${i}`,
        owner: 'models',
        dependsOn: [...new Set(Array.from({ length: 5 }, () => `feature:f${pick(FEATURES)}`))],
      });
    const declared: string[][] = [];
    for (let i = 0; i < CONSUMERS; i++) {
      const deps = [...new Set([`model:m${pick(MODELS)}`, `feature:f${pick(FEATURES)}`, `feature:f${pick(FEATURES)}`])];
      declared.push(deps);
      assets.push({ ref: `consumer:c${i}`, owner: 'apps', contact: `c${i}@example.com`, dependsOn: deps });
    }
    // Registered with the admin token; the checks below are a consumer's (by key) or anyone's (by name).
    const batch = await app.inject({ method: 'POST', url: '/v1/batch', headers: BENCH_AUTH, payload: { assets } });
    if (batch.statusCode !== 200) throw new Error(`registration failed: ${batch.body}`);
    const secrets: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const res = await app.inject({ method: 'POST', url: `/v1/assets/consumer/c${i}/keys`, headers: BENCH_AUTH });
      if (res.statusCode !== 201) throw new Error(`key issuance failed: ${res.body}`);
      secrets.push(res.json<{ secret: string }>().secret);
    }

    // A quarter each: declared by name, undeclared by name, unregistered names, by key.
    const json = { 'content-type': 'application/json' };
    const requests = Array.from({ length: 400 }, (_, i) => {
      const c = pick(CONSUMERS);
      const asset = i % 4 === 1 ? `feature:f${pick(FEATURES)}` : declared[c][pick(declared[c].length)];
      if (i % 4 === 3) {
        const k = pick(KEYS);
        return {
          path: '/v1/access-check',
          headers: { ...json, authorization: `Bearer ${secrets[k]}` },
          body: JSON.stringify({ asset: declared[k][0] }),
        };
      }
      const consumer = i % 4 === 2 ? `svc-${pick(50)}` : `c${c}`;
      return { path: '/v1/access-check', headers: json, body: JSON.stringify({ consumer, asset }) };
    });

    const constant = { allowed: true, mode: 'open', reason: 'open', message: 'constant', warnings: [] };
    bare.post('/check', async () => constant);
    const appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

    // Warm both up (JIT, connection pool), then measure each in turn.
    const bareRequests = requests.map((r) => ({ ...r, path: '/check' }));
    await load(bareUrl, bareRequests.slice(0, 50)).catch(() => undefined);
    const probe = await app.inject({ method: 'POST', url: '/v1/access-check', headers: requests[0].headers, payload: requests[0].body });
    if (probe.statusCode !== 200) throw new Error(`access check failed: ${probe.body}`);
    process.stderr.write(`warming up, then ${ROUNDS} rounds of ${SECONDS} s per route at ${CONNECTIONS} connections...\n`);
    await load(appUrl, requests.slice(0, 100));
    const baselines: LoadResult[] = [];
    const checks: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baselines.push(await load(bareUrl, bareRequests));
      checks.push(await load(appUrl, requests));
    }
    const baseline = combine(baselines);
    const check = combine(checks);

    const row = (name: string, r: LoadResult) =>
      `| ${name.padEnd(34)} | ${Math.round(r.requestsPerSecond).toString().padStart(8)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99
        .toFixed(1)
        .padStart(6)} | ${(r.non2xx + r.errors + r.timeouts).toString().padStart(6)} |`;
    console.log(
      `\naccess check vs bare route: ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s each, ` +
        `${SOURCES + FEATURES + MODELS + CONSUMERS} assets, ${KEYS} keys\n`,
    );
    console.log('| route                              |    req/s | p50 ms | p99 ms | errors |');
    console.log('| ---------------------------------- | -------: | -----: | -----: | -----: |');
    console.log(row('bare Fastify (constant)', baseline));
    console.log(row('POST /v1/access-check', check));
    const ratios = checks.map((c, i) => (c.requestsPerSecond / baselines[i].requestsPerSecond).toFixed(2));
    console.log(
      `\nratio: ${(check.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)} of the bare route's throughput` +
        ` (per round: ${ratios.join(', ')}); latencies are the worst round's`,
    );
  } finally {
    await bare.close();
    await app.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
