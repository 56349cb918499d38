// Prints what read-time deprecation warnings cost on a list page and on a single read.
// Run: npx tsx bench/deprecation-warnings.ts   (needs the PostgreSQL server the tests use)
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { BENCH_ADMIN_TOKEN, BENCH_AUTH } from './support.js';

const FEATURES = 2_000;
const MODELS = 4_000;
const CONSUMERS = 10_000;

const db = await createTestDatabase();
const { app } = await buildApp(loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', DEPCAT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN }));
try {
  await app.ready();
  const batch = async (assets: object[]) => {
    for (let i = 0; i < assets.length; i += 10_000) {
      const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: BENCH_AUTH, payload: { assets: assets.slice(i, i + 10_000) } });
      if (res.statusCode !== 200) throw new Error(res.body);
    }
  };
  await batch([{ ref: 'source:raw', owner: 'data' }, { ref: 'source:raw_v2', owner: 'data' }]);
  await batch(Array.from({ length: FEATURES }, (_, i) => ({ ref: `feature:f${i}`, owner: 'ml', dependsOn: ['source:raw'] })));
  await batch(
    Array.from({ length: MODELS }, (_, i) => ({
      ref: `model:m${i}`,
      owner: 'ml',
      dependsOn: Array.from({ length: 10 }, (_, j) => `feature:f${(i * 7 + j * 13) % FEATURES}`),
    })),
  );
  await batch(
    Array.from({ length: CONSUMERS }, (_, i) => ({
      ref: `consumer:c${i}`,
      owner: 'apps',
      contact: `c${i}@example.com`,
      dependsOn: [`model:m${i % MODELS}`, `model:m${(i * 3 + 1) % MODELS}`],
    })),
  );

  const time = async (label: string, url: string, runs = 20) => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url }); // warm-up
    const started = performance.now();
    let warnings = 0;
    for (let i = 0; i < runs; i++) {
      const res = await app.inject({ method: 'GET', url });
      const body = res.json();
      warnings = (body.items ?? [body]).reduce((n: number, a: { warnings: unknown[] }) => n + a.warnings.length, 0);
    }
    console.log(`${label.padEnd(58)} ${((performance.now() - started) / runs).toFixed(1).padStart(7)} ms  (${warnings} warnings)`);
  };
  const total = 2 + FEATURES + MODELS + CONSUMERS;
  console.log(`graph: ${total} assets; every consumer is 3 hops from source:raw`);
  await time('list 1000 consumers, nothing deprecated', '/v1/assets?kind=consumer&limit=1000');
  await time('get one consumer, nothing deprecated', '/v1/assets/consumer/c42');

  const started = performance.now();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/assets/source/raw/deprecate',
    headers: BENCH_AUTH,
    payload: { reason: 'bench', replacedBy: 'source:raw_v2' },
  });
  console.log(
    `deprecate source:raw (${res.json().affectedConsumers.length} affected consumers)`.padEnd(58),
    `${(performance.now() - started).toFixed(1).padStart(7)} ms`,
  );
  await time('list 1000 consumers, source:raw deprecated', '/v1/assets?kind=consumer&limit=1000');
  await time('get one consumer, source:raw deprecated', '/v1/assets/consumer/c42');
} finally {
  await app.close();
  await db.drop();
}
