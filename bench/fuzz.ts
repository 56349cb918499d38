// The fuzz test's generators at scale: hostile and valid requests generated from the
// app's own /openapi.json and GraphQL schema, through the real app (app.inject) on a
// PostgreSQL database of its own (dropped at the end).
//
//   npm run bench:fuzz                       (100,000 requests; DATABASE_URL, else the local default server)
//   DEPCAT_FUZZ_RUNS=20000 DEPCAT_FUZZ_SEED=7 npm run bench:fuzz
//
// Unlike the test it does not stop at the first wrong answer: it counts every one, by
// class (5xx, error shape, stored on refusal...), and prints the first of each class and
// kind of input, then the figures: requests by kind of bad input, by status, by target,
// requests per second and the slowest answers. Exits 1 if any answer was wrong.
import { describeFailure, Fuzzer, type Figures } from '../test/fuzz/fuzzer.js';

const RUNS = Number(process.env.DEPCAT_FUZZ_RUNS ?? 100_000);
const SEED = Number(process.env.DEPCAT_FUZZ_SEED ?? Date.now() % 2 ** 31);

const table = (counts: Record<string, number>, extra?: (key: string) => string) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `  ${String(n).padStart(7)}  ${key}${extra ? extra(key) : ''}`)
    .join('\n');

function report(figures: Figures, seconds: number): void {
  const failures = Object.values(figures.failures).reduce((sum, f) => sum + f.count, 0);
  console.log(`\nfuzz: ${figures.requests} requests (+${figures.controls} control access checks) in ${seconds.toFixed(1)} s, seed ${SEED}`);
  console.log(`  ${(figures.requests / seconds).toFixed(0)} requests/s, ${failures} wrong answers\n`);
  console.log('requests by kind of input (mean ms per answer):');
  console.log(table(figures.byKind, (k) => `  (${(figures.msByKind[k] / figures.byKind[k]).toFixed(1)} ms)`));
  console.log('\nrequests by status:');
  console.log(table(figures.byStatus));
  console.log('\nstatuses by kind of input:');
  for (const [kind, statuses] of Object.entries(figures.byKindStatus).sort((a, b) => figures.byKind[b[0]] - figures.byKind[a[0]]))
    console.log(`  ${kind.padEnd(16)} ${Object.entries(statuses).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  console.log('\nrequests by target:');
  console.log(table(figures.byTarget));
  console.log('\nslowest answers:');
  for (const s of figures.slowest) console.log(`  ${String(s.ms).padStart(7)} ms  ${s.request}`);
  console.log('\nwrong answers by class:');
  console.log(failures === 0 ? '  none' : table(Object.fromEntries(Object.entries(figures.failures).map(([k, v]) => [k, v.count]))));
  if (failures === 0) return;
  console.log('\nwrong answers by class, kind of input, target and status:');
  console.log(table(Object.fromEntries(Object.entries(figures.failureKinds).map(([k, v]) => [k, v.count]))));
  // The first of each class and kind of input, as the test would report it.
  const shown = new Set<string>();
  console.log('\nthe first wrong answer of each class and kind of input:');
  for (const [key, { first }] of Object.entries(figures.failureKinds)) {
    const group = key.split(' | ').slice(0, 2).join(' | ');
    if (shown.has(group)) continue;
    shown.add(group);
    console.log(`\n[${group}]\n${describeFailure(first)}`);
  }
}

const fuzzer = await Fuzzer.start();
const started = performance.now();
try {
  let last = started;
  const figures = await fuzzer.run({
    runs: RUNS,
    seed: SEED,
    survey: true,
    onProgress: (f) => {
      const now = performance.now();
      if (now - last < 10_000) return;
      last = now;
      const wrong = Object.values(f.failures).reduce((sum, x) => sum + x.count, 0);
      console.log(`  ${f.requests} requests, ${wrong} wrong, ${(f.requests / ((now - started) / 1000)).toFixed(0)} requests/s`);
    },
  });
  report(figures, (performance.now() - started) / 1000);
  process.exitCode = Object.keys(figures.failures).length > 0 ? 1 : 0;
} finally {
  await fuzzer.close();
}
