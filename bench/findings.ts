/**
 * Findings benchmark: loads the reference graph through POST /v1/import into a fresh
 * database, then times the full findings pass and per-asset findings.
 *
 *   npm run bench:findings -- --scale 0.01 [--seed 42] [--keep]
 *
 * Uses DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres) and
 * creates a database of its own there, dropped at the end unless --keep.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { prng, referenceGraphSize } from './reference-graph.js';
import { adminQuery, BENCH_ADMIN_TOKEN, BENCH_AUTH, createDatabase, importReferenceGraph } from './support.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'boolean', default: false },
  },
});
const scale = Number(values.scale);
const seed = Number(values.seed);
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');

const ms = (start: number) => performance.now() - start;
const fmt = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const db = await createDatabase();
const { app } = await buildApp(loadConfig({ ...process.env, DEPCAT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, DATABASE_URL: db.url, LOG_LEVEL: 'warn', PORT: '0' }));
try {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(base + path);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ items: unknown[]; total: number; nextCursor: string | null }>;
  };

  const size = referenceGraphSize(scale);
  console.log(`reference graph at scale ${scale} (seed ${seed}): ${JSON.stringify(size)}`);
  let loaded = 0;
  let edges = 0;
  const loadStart = performance.now();
  await importReferenceGraph(base, { scale, seed }, (batch) => {
    loaded += batch.length;
    for (const asset of batch) edges += asset.dependsOn?.length ?? 0;
    process.stdout.write(`\rloading ${loaded} assets, ${edges} dependencies`);
  });
  console.log(`\nload: ${(ms(loadStart) / 1000).toFixed(1)} s`);
  // Give the planner statistics, as autovacuum would soon after a bulk load: without
  // them it plans the per-asset edge lookups for a table it believes is tiny.
  await adminQuery('ANALYZE', db.url);

  // Bring the in-memory index up to date first: that catch-up is not part of the pass.
  let start = performance.now();
  await get('/v1/assets/source/s0/upstream?limit=1');
  console.log(`index catch-up after the load: ${fmt(ms(start))}`);
  start = performance.now();
  const first = await get('/v1/findings?limit=100');
  const cold = ms(start);
  start = performance.now();
  await get('/v1/findings?limit=100');
  const cached = ms(start);
  console.log(`full pass (first page, computed): ${fmt(cold)}; ${first.total} findings`);
  console.log(`next request (cached pass, change-log position and annotations unchanged): ${fmt(cached)}`);

  // A write invalidates the cache: time a second full pass, now with a warm JIT.
  const touched = await fetch(`${base}/v1/assets/source/s0`, {
    method: 'PUT',
    headers: { ...BENCH_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ owner: 'team-0', description: 'touched by the benchmark', stability: 'volatile' }),
  });
  if (!touched.ok) throw new Error(`PUT /v1/assets/source/s0: ${touched.status} ${await touched.text()}`);
  start = performance.now();
  await get('/v1/findings?limit=100');
  console.log(`full pass after a write (recomputed): ${fmt(ms(start))}`);

  const counts: Record<string, number> = {};
  for (const type of [
    'feedback_loop', 'past_sunset_in_use', 'deprecated_in_use', 'platform_mismatch', 'correction_cascade',
    'undeclared_consumer', 'unpinned_volatile', 'legacy_feature', 'experimental_in_production', 'domain_mismatch',
    'negligible_importance', 'unused', 'missing_annotations',
  ])
    counts[type] = (await get(`/v1/findings?type=${type}&limit=1`)).total;
  console.log('findings by type:', JSON.stringify(counts));

  const random = prng(seed + 1);
  const kinds = ['source', 'feature', 'model', 'consumer'] as const;
  const times: number[] = [];
  const perKind: Record<string, number[]> = { source: [], feature: [], model: [], consumer: [] };
  for (let i = 0; i < 200; i++) {
    const kind = kinds[i % 4];
    const count = size[`${kind}s` as keyof typeof size];
    // Half uniformly random, half among the most popular (the heavy cases).
    const n = i % 8 < 4 ? Math.floor(random() * count) : Math.floor(count * random() ** 3);
    const ref = `${kind}:${kind[0]}${n}`;
    start = performance.now();
    await get(`/v1/findings?asset=${ref}&limit=1000`);
    const took = ms(start);
    times.push(took);
    perKind[kind].push(took);
  }
  times.sort((a, b) => a - b);
  console.log(
    `per-asset findings over 200 assets: p50 ${fmt(quantile(times, 0.5))}, p95 ${fmt(quantile(times, 0.95))}, max ${fmt(times[times.length - 1])}`,
  );
  for (const kind of kinds) {
    const sorted = perKind[kind].sort((a, b) => a - b);
    console.log(`  ${kind}: p50 ${fmt(quantile(sorted, 0.5))}, max ${fmt(sorted[sorted.length - 1])}`);
  }
} finally {
  await app.close();
  if (values.keep) console.log(`kept database ${db.url}`);
  else await db.drop();
}
