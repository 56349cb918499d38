import type { UsageAggregate } from '../repositories/usage-repository.js';

export interface BufferLog {
  error(object: object, message: string): void;
}

/** Flush at least this often... */
const FLUSH_INTERVAL_MS = 200;
/** ...and as soon as this many distinct (asset, identity) pairs are waiting. */
const FLUSH_AT_PAIRS = 5_000;

/**
 * Counts the reads that access checks record, in memory, and adds them to the usage
 * table in one set-based upsert every FLUSH_INTERVAL_MS. A synchronous write per check
 * would serialise every check of the same (consumer, asset) on one row lock and one
 * commit; summed here, a busy pair costs one row update per flush. Readers of usage in
 * this process flush first, so they see every check that has answered; a crash loses at
 * most the last interval's counts.
 */
export class ReadBuffer {
  private pending = new Map<string, UsageAggregate>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (rows: UsageAggregate[]) => Promise<void>,
    private readonly log: BufferLog = { error: () => {} },
  ) {}

  /** Flushes every FLUSH_INTERVAL_MS from now on; until then only readers and a full buffer flush. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  add(assetId: number, identity: string, at: Date): void {
    const key = `${assetId}\u0000${identity}`;
    const row = this.pending.get(key);
    if (row) {
      row.count++;
      if (at > row.lastSeen) row.lastSeen = at;
    } else {
      this.pending.set(key, { assetId, identity, firstSeen: at, lastSeen: at, count: 1 });
      if (this.pending.size >= FLUSH_AT_PAIRS) void this.flush();
    }
  }

  /** Writes everything counted so far; resolves once it is stored (or kept for a retry). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.drain());
    return this.flushing;
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async drain(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.write([...batch.values()]);
    } catch (error) {
      // Keep the counts for the next flush rather than lose them to a passing outage.
      for (const [key, row] of batch) {
        const newer = this.pending.get(key);
        if (!newer) this.pending.set(key, row);
        else {
          newer.count += row.count;
          if (row.firstSeen < newer.firstSeen) newer.firstSeen = row.firstSeen;
          if (row.lastSeen > newer.lastSeen) newer.lastSeen = row.lastSeen;
        }
      }
      this.log.error({ err: error }, 'recording access-check reads failed; will retry');
    }
  }
}
