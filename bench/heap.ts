/**
 * `npm run bench:heap -- [--objects 2000000]`: what `collectGarbageSoon` (src/heap.ts) gives
 * back after a bulk job. Builds the garbage such a job leaves (small objects kept alive
 * long enough to reach the old generation), drops it, asks for the collection, and prints
 * the heap and the resident set before, after the first collection, and after the second.
 * The figures depend on the machine and on V8; the test (test/heap.test.ts) only checks
 * that the collections run when they should.
 */
import { PerformanceObserver, constants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import v8 from 'node:v8';
import { collectGarbageSoon } from '../src/heap.js';

const at = process.argv.indexOf('--objects');
const objects = at >= 0 ? Number(process.argv[at + 1]) : 2_000_000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const sample = () => ({ heapUsed: v8.getHeapStatistics().used_heap_size, rss: process.memoryUsage().rss });

let forced = 0;
const collected: (() => void)[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { detail } = entry as PerformanceEntry & { detail: NodeGCPerformanceDetail };
    if (detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) {
      forced++;
      collected.shift()?.();
    }
  }
}).observe({ entryTypes: ['gc'] });
const nextCollection = () => new Promise<void>((resolve) => collected.push(resolve));

/** What a bulk job leaves behind: kept alive long enough to reach the old generation, then dropped. */
async function leaveGarbage(): Promise<ReturnType<typeof sample>> {
  const started = performance.now();
  const garbage = Array.from({ length: objects }, (_, id) => ({ id, name: `asset_${id}` }));
  await new Promise((resolve) => setTimeout(resolve, 10));
  console.log(`${garbage.length} objects built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return sample();
}
const built = await leaveGarbage();

const first = nextCollection();
const second = nextCollection();
// collectGarbageSoon's timers do not keep a process alive; this one does, until the end.
const alive = setInterval(() => {}, 1000);
collectGarbageSoon();
const dropped = sample();
await first;
const afterFirst = sample();
await second;
const afterSecond = sample();
clearInterval(alive);

const rows: [string, ReturnType<typeof sample>][] = [
  ['garbage alive', built],
  ['dropped, not yet collected', dropped],
  ['after the first collection', afterFirst],
  ['after the second (1 s later)', afterSecond],
];
console.log(`${'when'.padEnd(30)} ${'heap used'.padStart(10)} ${'rss'.padStart(10)}`);
for (const [when, s] of rows) console.log(`${when.padEnd(30)} ${mb(s.heapUsed).padStart(10)} ${mb(s.rss).padStart(10)}`);
console.log(`freed: heap ${mb(dropped.heapUsed - afterSecond.heapUsed)}, rss ${mb(dropped.rss - afterSecond.rss)}; forced full collections: ${forced}`);
