import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectGarbageSoon } from '../src/heap.js';

const used = () => v8.getHeapStatistics().used_heap_size;

describe('collectGarbageSoon', () => {
  it('frees what a finished bulk job left in the old generation, once the current work has returned', async () => {
    // Kept alive long enough to reach the old generation, then dropped: only a full
    // collection frees it, and V8 does not run one while the heap is not growing.
    let garbage: { id: number; name: string }[] | null = Array.from({ length: 2_000_000 }, (_, id) => ({ id, name: `asset_${id}` }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(garbage.length).toBe(2_000_000);
    garbage = null;
    const before = used();
    collectGarbageSoon();
    collectGarbageSoon(); // scheduled once
    expect(used()).toBeGreaterThan(before - 50e6); // not during the current work
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(used()).toBeLessThan(before - 100e6);
  });
});
