/**
 * `npm run bench -- [--scale 1] [--check]`: the closure engine at the reference scale.
 *
 * Generates the reference graph, loads it through POST /v1/import into a service running
 * as its own process on a fresh PostgreSQL database, then measures every figure of the
 * scale issue against a plain recursive CTE and a bare Fastify route measured in the
 * same run. With --check (the default below scale 0.05) every sampled answer is also
 * compared with the recursive CTE and the benchmark's own BFS, and a mismatch fails.
 */
import autocannon from 'autocannon';

import { referenceGraphSize } from './reference-graph.js';
import { ReferenceGraph } from './reference-closure.js';
import { BENCH_AUTH, createDatabase, fmt, getJson, importReferenceGraph, percentile, postgresCpuSeconds, sleep, startProcess, timed, type Service } from './support.js';
import { CteBaseline } from './cte-baseline.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const scale = Number(option('scale', '1'));
const check = args.includes('--check') || scale < 0.05;
const seconds = Number(option('seconds', scale < 0.05 ? '3' : '10'));
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');

const rows: [string, string, string][] = [];
const report = (figure: string, value: string, note = '') => {
  rows.push([figure, value, note]);
  console.log(`  ${figure}: ${value}${note ? `  (${note})` : ''}`);
};
const failures: string[] = [];
const expectEqual = (what: string, actual: unknown, expected: unknown) => {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) failures.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
};

const random = (() => {
  let a = 7;
  return () => {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    return a / 0x7fffffff;
  };
})();
const sample = <T>(list: T[], n: number) => Array.from({ length: n }, () => list[Math.floor(random() * list.length)]);
const path = (ref: string) => ref.replace(':', '/');

async function main(): Promise<void> {
  const shape = referenceGraphSize(scale);
  console.log(`depcat benchmark, scale ${scale}: ${JSON.stringify(shape)}${check ? ', checking answers' : ''}`);
  const db = await createDatabase();
  const env = { DATABASE_URL: db.url };
  const port = 31_000 + Math.floor(Math.random() * 1000);
  let service: Service | undefined;
  let other: Service | undefined;
  let bare: Service | undefined;
  const cte = new CteBaseline(db.url);
  try {
    service = await startProcess('src/server.ts', env, port);

    // ---- bulk load through the public API ----
    console.log('loading...');
    const graph = new ReferenceGraph();
    let assets = 0;
    let edges = 0;
    const serviceCpu = service.cpuSeconds();
    const databaseCpu = postgresCpuSeconds();
    const clientCpu = process.cpuUsage();
    const load = await timed(() =>
      importReferenceGraph(service!.base, { scale }, (batch) => {
        for (const asset of batch) graph.add(asset);
        assets += batch.length;
        edges += batch.reduce((n, a) => n + (a.dependsOn?.length ?? 0), 0);
      }),
    );
    if (load.value.counts.created !== assets) failures.push(`import created ${load.value.counts.created} of ${assets} assets`);
    report('bulk load through POST /v1/import', `${(load.ms / 1000).toFixed(1)} s`, `${assets} assets, ${edges} dependencies; target ≤ 120 s at scale 1`);
    const used = process.cpuUsage(clientCpu);
    report(
      'CPU used by the load: service / PostgreSQL / this client',
      `${(service.cpuSeconds() - serviceCpu).toFixed(0)} / ${(postgresCpuSeconds() - databaseCpu).toFixed(0)} / ${((used.user + used.system) / 1e6).toFixed(0)} s`,
      'on the same two cores',
    );

    // The recursive CTE gets the reverse-edge index it needs (the service has none), and
    // statistics as autovacuum would have them after such a load: it is planned badly
    // without them. Not part of any figure.
    await cte.prepare();

    // ---- the roots worth measuring ----
    const ids = Array.from({ length: graph.size }, (_, i) => i);
    const candidates = ids
      .filter((id) => graph.refs[id].startsWith('source:') || graph.refs[id].startsWith('feature:'))
      .sort((a, b) => graph.inDegree(b) - graph.inDegree(a))
      .slice(0, 60);
    const largest = candidates
      .map((id) => ({ ref: graph.refs[id], size: graph.closure(graph.refs[id], 'downstream').size }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 10);
    const consumers = graph.refs.filter((r) => r.startsWith('consumer:'));
    const deepest = sample(consumers, Math.min(3000, consumers.length))
      .map((ref) => ({ ref, depth: Math.max(0, ...graph.closure(ref, 'upstream').values()) }))
      .sort((a, b) => b.depth - a.depth)
      .slice(0, 10);
    const randomRoots = sample(graph.refs, 1000);
    console.log(`largest closure: ${largest[0].ref} with ${largest[0].size} dependents; deepest consumer: ${deepest[0].depth} hops`);

    // ---- latency over 1,000 random assets ----
    for (const what of ['downstream', 'consumers', 'impact'] as const) {
      const samples: number[] = [];
      for (const ref of randomRoots) {
        const { ms, value } = await timed(() => getJson(`${service!.base}/v1/assets/${path(ref)}/${what}`));
        if (value.status !== 200) throw new Error(`${what} ${ref}: ${value.status}`);
        samples.push(ms);
      }
      report(`${what}, 1,000 random assets`, `p50 ${fmt(percentile(samples, 50))} ms, p99 ${fmt(percentile(samples, 99))} ms`, 'target p50 ≤ 5 ms');
    }

    // ---- the 10 largest closures, against the recursive CTE ----
    const worst: Record<string, number> = { downstream: 0, consumers: 0, impact: 0 };
    let cteWorst = 0;
    let cteTotal = 0;
    let ourTotal = 0;
    for (const { ref, size } of largest) {
      for (const what of ['downstream', 'consumers', 'impact'] as const) {
        await getJson(`${service.base}/v1/assets/${path(ref)}/${what}`); // warm
        const { ms, value } = await timed(() => getJson(`${service!.base}/v1/assets/${path(ref)}/${what}`));
        worst[what] = Math.max(worst[what], ms);
        if (what === 'downstream') {
          ourTotal += ms;
          expectEqual(`downstream total of ${ref}`, value.body.total, size);
        }
      }
      const baseline = await timed(() => cte.downstreamCounts(ref));
      cteWorst = Math.max(cteWorst, baseline.ms);
      cteTotal += baseline.ms;
      expectEqual(`CTE total of ${ref}`, baseline.value.total, size);
    }
    for (const what of Object.keys(worst))
      report(`${what}, slowest of the 10 largest closures`, `${fmt(worst[what])} ms`, 'target ≤ 150 ms');
    report('recursive CTE, slowest of the 10 largest closures', `${fmt(cteWorst)} ms`, 'counts only, same tables, same run');
    report('speed-up over the recursive CTE (10 largest, downstream)', `${(cteTotal / ourTotal).toFixed(1)}×`, 'target ≥ 20×');

    // ---- upstream of the deepest consumers ----
    const upstream: number[] = [];
    for (const { ref } of deepest) {
      const { ms, value } = await timed(() => getJson(`${service!.base}/v1/assets/${path(ref)}/upstream`));
      upstream.push(ms);
      expectEqual(`upstream total of ${ref}`, value.body.total, graph.closure(ref, 'upstream').size);
    }
    report(`upstream of the 10 deepest consumers (${deepest[0].depth} hops)`, `p50 ${fmt(percentile(upstream, 50))} ms, max ${fmt(Math.max(...upstream))} ms`);

    // ---- answers against the recursive CTE (CI-sized runs) ----
    if (check) {
      let checked = 0;
      for (const ref of sample(graph.refs, 200)) {
        const [ours, theirs] = await Promise.all([getJson(`${service.base}/v1/assets/${path(ref)}/downstream?limit=1`), cte.downstreamCounts(ref)]);
        expectEqual(`downstream counts of ${ref}`, { total: ours.body.total, ...ours.body.countsByKind }, { total: theirs.total, ...theirs.countsByKind });
        const up = await getJson(`${service.base}/v1/assets/${path(ref)}/upstream?limit=1000`);
        const expected = graph.closure(ref, 'upstream');
        expectEqual(
          `upstream of ${ref}`,
          Object.fromEntries(up.body.items.map((i: { ref: string; distance: number }) => [i.ref, i.distance]).sort()),
          Object.fromEntries([...expected].map(([id, d]) => [graph.refs[id], d]).sort()),
        );
        checked++;
      }
      report('answers checked against the recursive CTE and a reference BFS', `${checked} roots`, failures.length === 0 ? 'all equal' : `${failures.length} mismatches`);
    }

    // ---- writes while reads run: a steady background load, then readers flat out ----
    const features = graph.refs.filter((r) => r.startsWith('feature:'));
    let writeRound = 0;
    const writesWhileReading = async (readers: number, pauseMs: number) => {
      let reading = true;
      let reads = 0;
      const loops = Array.from({ length: readers }, async () => {
        while (reading) {
          await getJson(`${service!.base}/v1/assets/${path(sample(randomRoots, 1)[0])}/downstream`);
          reads++;
          if (pauseMs > 0) await sleep(pauseMs);
        }
      });
      const started = performance.now();
      const writes: number[] = [];
      for (let i = 0; i < 200; i++) {
        const body = JSON.stringify({ owner: 'bench', dependsOn: [...new Set(sample(features, 10))] });
        const { ms, value } = await timed(() =>
          fetch(`${service!.base}/v1/assets/model/bench_write_${writeRound}_${i}`, { method: 'PUT', headers: { ...BENCH_AUTH, 'content-type': 'application/json' }, body }),
        );
        if (value.status !== 201) throw new Error(`PUT failed: ${value.status}`);
        await value.arrayBuffer();
        writes.push(ms);
      }
      reading = false;
      await Promise.all(loops);
      writeRound++;
      return { writes, readRate: reads / ((performance.now() - started) / 1000) };
    };
    const steady = await writesWhileReading(2, 10);
    report(
      `single PUT with 10 dependencies, ${Math.round(steady.readRate)} reads/s running`,
      `p50 ${fmt(percentile(steady.writes, 50))} ms, p99 ${fmt(percentile(steady.writes, 99))} ms`,
      'target p50 ≤ 10 ms',
    );
    const flatOut = await writesWhileReading(4, 0);
    report(
      `single PUT with 10 dependencies, 4 readers flat out (${Math.round(flatOut.readRate)} reads/s)`,
      `p50 ${fmt(percentile(flatOut.writes, 50))} ms, p99 ${fmt(percentile(flatOut.writes, 99))} ms`,
      'the event loop is saturated by reads',
    );

    // ---- exact across processes ----
    other = await startProcess('src/server.ts', env, port + 1);
    let exact = 0;
    const rounds = 50;
    for (let i = 0; i < rounds; i++) {
      const feature = sample(features, 1)[0];
      const before = (await getJson(`${other.base}/v1/assets/${path(feature)}/downstream?limit=1`)).body.total;
      const res = await fetch(`${service.base}/v1/assets/model/bench_exact_${i}`, {
        method: 'PUT',
        headers: { ...BENCH_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ owner: 'bench', dependsOn: [feature] }),
      });
      if (res.status !== 201) throw new Error(`PUT failed: ${res.status}`);
      await res.arrayBuffer();
      const after = (await getJson(`${other.base}/v1/assets/${path(feature)}/downstream?limit=1`)).body.total;
      if (after === before + 1) exact++;
    }
    report('write through one process, next read through another', `${exact}/${rounds} exact`);
    expectEqual('cross-process exactness', exact, rounds);
    await other.stop();
    other = undefined;

    // ---- throughput against a bare Fastify route ----
    bare = await startProcess('bench/bare-server.ts', {}, port + 2);
    const cannon = (url: string, requests?: autocannon.Request[]) =>
      autocannon({ url, connections: 32, duration: seconds, requests });
    const bareRun = await cannon(`${bare.base}/constant`);
    const paths = randomRoots.map((ref) => `/v1/assets/${path(ref)}/consumers`);
    let next = 0;
    const ourRun = await cannon(service.base, [{ setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }]);
    report('bare Fastify route, 32 connections', `${Math.round(bareRun.requests.average)} req/s`, `p50 ${bareRun.latency.p50} ms, p99 ${bareRun.latency.p99} ms`);
    report('consumers of random assets, 32 connections', `${Math.round(ourRun.requests.average)} req/s`, `p50 ${ourRun.latency.p50} ms, p99 ${ourRun.latency.p99} ms, ${ourRun.non2xx} non-2xx`);
    report('consumers throughput / bare route', `${(ourRun.requests.average / bareRun.requests.average).toFixed(2)}`);
    await bare.stop();
    bare = undefined;

    // ---- memory and start-up ----
    report('service RSS with the graph loaded', `${service.rssMb().toFixed(0)} MB`, 'target ≤ 1,536 MB');
    await service.stop();
    service = await startProcess('src/server.ts', env, port);
    report('start-up to ready (graph loaded)', `${(service.readyMs / 1000).toFixed(1)} s`, 'target ≤ 30 s');
    report('service RSS right after start-up', `${service.rssMb().toFixed(0)} MB`);
  } finally {
    await Promise.all([service?.stop(), other?.stop(), bare?.stop()]);
    await cte.close();
    await db.drop();
  }

  console.log('\n| figure | value | note |\n| --- | --- | --- |');
  for (const [figure, value, note] of rows) console.log(`| ${figure} | ${value} | ${note} |`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} answers differ:\n${failures.slice(0, 20).join('\n')}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

