import { describe, expect, it } from 'vitest';
import { GraphSync, type GraphLog } from './graph-sync.js';
import { BehindHorizonError } from './graph-log.js';
import type { NodeState } from './node-state.js';

/**
 * GraphSync's reload against a change log held in memory, with gates that hold a
 * snapshot back, so that what happens during a reload can be watched. The SQL side
 * (the horizon read with the entries, the pruning) is tested on PostgreSQL in
 * test/change-log-pruning.test.ts.
 */
class MemoryLog implements GraphLog {
  private entries: { seq: number; id: number }[] = [];
  private assets = new Map<number, Omit<NodeState, 'seq'>>();
  private last = 0;
  horizon = 0;
  snapshots = 0;
  /** While set, a snapshot waits for it after choosing its position. */
  hold: Promise<void> | null = null;
  /** While set, a read of the log answers once it resolves, with what it found when called. */
  delay: Promise<void> | null = null;

  write(id: number, dependsOn: number[] = [], kind: NodeState['kind'] = 'source'): void {
    if (kind === null) this.assets.delete(id);
    else this.assets.set(id, { id, kind, name: `n${id}`, owner: 'o', dependsOn });
    this.entries.push({ seq: ++this.last, id });
  }

  prune(): void {
    this.horizon = this.last - 1;
    this.entries = this.entries.filter((e) => e.seq > this.horizon);
  }

  private state(id: number, seq: number): NodeState {
    return { seq, ...(this.assets.get(id) ?? { id, kind: null, name: null, owner: null, dependsOn: [] }) };
  }

  async changesSince(seq: number, limit: number): Promise<NodeState[]> {
    const behind = this.horizon > seq ? new BehindHorizonError(seq, this.horizon) : null;
    const answer = this.entries.filter((e) => e.seq > seq).slice(0, limit).map((e) => this.state(e.id, e.seq));
    await this.delay;
    if (behind) throw behind;
    return answer;
  }

  async snapshot(onChunk: (nodes: NodeState[]) => void, hold = this.hold): Promise<number> {
    this.snapshots++;
    const position = this.last;
    const nodes = [...this.assets.keys()].map((id) => this.state(id, position));
    await hold;
    onChunk(nodes);
    return position;
  }
}

const gate = () => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
};

const downstream = (sync: GraphSync, id: number) => sync.index.traverse(id, 'downstream').total();

describe('GraphSync behind the horizon', () => {
  it('reloads; reads wait for the reload and then answer exactly; isReloading meanwhile (readiness reads it)', async () => {
    const log = new MemoryLog();
    log.write(1);
    const sync = new GraphSync(log);
    await sync.start();
    log.write(2, [1]);
    log.write(3, [2]);
    log.write(4, [1]);
    log.prune();

    const held = gate();
    log.hold = held.promise;
    const reads = [sync.fresh(), sync.fresh(), sync.fresh()];
    let answered = 0;
    for (const read of reads) void read.then(() => answered++);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sync.isReloading).toBe(true);
    expect(answered).toBe(0);

    held.open();
    await Promise.all(reads);
    expect(sync.isReloading).toBe(false);
    expect(log.snapshots).toBe(2); // start-up, and one reload shared by the three reads
    expect(downstream(sync, 1)).toBe(3);
    expect(sync.stats()).toMatchObject({ appliedSeq: 4, reloads: 1, assets: 4 });

    // Then it follows the log again.
    log.write(3, [], null);
    await sync.fresh();
    expect(downstream(sync, 1)).toBe(2);
    expect(log.snapshots).toBe(2);
  });

  it('a writer under the lock reloads through its own transaction, waiting for no read\'s reload; that one, ending behind, is not swapped in', async () => {
    const log = new MemoryLog();
    log.write(1);
    const sync = new GraphSync(log);
    await sync.start();
    log.write(2, [1]);
    log.write(3, [1]);
    log.prune();

    // A read's reload through the pool chooses its position (3), then is held back (it
    // would be waiting for a pool connection, or on PGlite for the writer's transaction).
    const held = gate();
    log.hold = held.promise;
    const reading = sync.fresh();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sync.isReloading).toBe(true);
    // Committed elsewhere before the writer took the lock.
    log.write(5, [3]);
    const underLock: GraphLog = {
      changesSince: (seq, limit) => log.changesSince(seq, limit),
      snapshot: (onChunk) => log.snapshot(onChunk, null),
    };
    await sync.freshUnderLock(underLock);
    expect(sync.stats()).toMatchObject({ appliedSeq: 4, reloads: 1 });
    expect(downstream(sync, 1)).toBe(3);

    const positions: number[] = [];
    const changesSince = log.changesSince.bind(log);
    log.changesSince = (seq, limit) => {
      positions.push(seq);
      return changesSince(seq, limit);
    };
    held.open();
    await reading;
    // Swapping in the read's snapshot (at 3) would have taken the index back under the writer.
    expect(sync.stats()).toMatchObject({ appliedSeq: 4, reloads: 1 });
    expect(positions.every((seq) => seq >= 4)).toBe(true);
    expect(downstream(sync, 1)).toBe(3);
    expect(log.snapshots).toBe(3);
  });

  it('a stale "behind" answer, arriving after a writer reloaded under the lock, reloads nothing more', async () => {
    const log = new MemoryLog();
    log.write(1);
    const sync = new GraphSync(log);
    await sync.start();
    log.write(2, [1]);
    log.write(3, [2]);
    log.prune();

    // The background catch-up's read ran now (the index at 1 is behind) but answers late.
    const late = gate();
    log.delay = late.promise;
    const reading = sync.fresh();
    await new Promise((resolve) => setTimeout(resolve, 10));
    log.delay = null;
    const underLock: GraphLog = { changesSince: (seq, limit) => log.changesSince(seq, limit), snapshot: (onChunk) => log.snapshot(onChunk) };
    await sync.freshUnderLock(underLock);
    expect(sync.stats()).toMatchObject({ appliedSeq: 3, reloads: 1 });

    late.open();
    await reading;
    expect(log.snapshots).toBe(2); // start-up and the writer's reload
    expect(sync.stats()).toMatchObject({ appliedSeq: 3, reloads: 1 });
    expect(downstream(sync, 1)).toBe(2);
  });
});
