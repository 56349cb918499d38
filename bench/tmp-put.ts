import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { generateGraph } from './graph-generator.js';
import { createDatabase, percentile } from './support.js';
const db = await createDatabase();
const queries: string[] = [];
const { app } = await buildApp(loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' }), { onQuery: (q: string) => queries.push(q) } as any);
await app.ready();
const features: string[] = [];
for (const batch of generateGraph(0.01)) { features.push(...batch.filter((a) => a.ref.startsWith('feature:')).map((a) => a.ref)); const r = await app.inject({ method: 'POST', url: '/v1/batch', payload: { assets: batch } }); if (r.statusCode !== 200) throw new Error(r.body); }
await app.inject({ method: 'GET', url: '/v1/assets/source/src_0000001/downstream' });
const times: number[] = [];
for (let i = 0; i < 200; i++) {
  queries.length = 0;
  const deps = Array.from({ length: 10 }, (_, k) => features[(i * 31 + k * 17) % features.length]);
  const t0 = performance.now();
  const r = await app.inject({ method: 'PUT', url: `/v1/assets/model/w${i}`, payload: { owner: 'o', dependsOn: [...new Set(deps)] } });
  times.push(performance.now() - t0);
  if (r.statusCode !== 201) throw new Error(r.body);
  if (i === 199) console.log(queries.map((q) => q.replace(/\s+/g, ' ').slice(0, 90)).join('\n'));
}
console.log('PUT p50', percentile(times, 50).toFixed(2), 'p99', percentile(times, 99).toFixed(2));
await app.close(); await db.drop();
