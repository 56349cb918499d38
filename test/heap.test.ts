import { PerformanceObserver, constants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbageSoon } from '../src/heap.js';

/**
 * What the collection frees depends on the machine and on V8: `npm run bench:heap` prints
 * it. What is checked here does not: V8 reports each full collection that was asked for
 * (a major GC flagged "forced") to a performance observer, and nothing else sets that flag.
 */
let forced: number[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind, flags } = (entry as PerformanceEntry & { detail: NodeGCPerformanceDetail }).detail;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR && flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)
      forced.push(entry.startTime);
  }
});
beforeEach(() => {
  forced = [];
  observer.observe({ entryTypes: ['gc'] });
});
afterEach(() => observer.disconnect());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('collectGarbageSoon', () => {
  it('runs two full collections once the current work has returned, the second a second after the first, and can be asked again', async () => {
    collectGarbageSoon();
    collectGarbageSoon(); // scheduled once
    const returned = performance.now();
    await expect.poll(() => forced.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await sleep(300); // no third one
    expect(forced).toHaveLength(2);
    expect(forced[0]).toBeGreaterThanOrEqual(returned);
    expect(forced[1] - forced[0]).toBeGreaterThanOrEqual(990);

    collectGarbageSoon();
    await expect.poll(() => forced.length, { timeout: 5000 }).toBe(4);
  });
});
