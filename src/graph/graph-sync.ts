import { CATCH_UP_CHUNK, type GraphRepository } from '../repositories/graph-repository.js';
import { COLLECT_AFTER_ASSETS, collectGarbageSoon } from '../heap.js';
import { ClosureIndex } from './closure-index.js';
import type { NodeState } from './node-state.js';

export interface GraphSyncStats {
  assets: number;
  appliedSeq: number;
  loadMs: number;
}

/**
 * Keeps this process's ClosureIndex exact. Start-up loads a snapshot together with the
 * change-log position it corresponds to; every read then first applies the log entries
 * committed since. Because writers serialise on one lock, each read of the log sees a
 * prefix of it, so a read that starts after any write (through any process) has
 * returned sees that write.
 */
export class GraphSync {
  readonly index = new ClosureIndex();
  private appliedSeq = 0;
  private loaded: Promise<void> | null = null;
  private loadMs = 0;
  private ready = false;
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Pick<GraphRepository, 'snapshot' | 'changesSince'>) {}

  /** Loads the snapshot once; later calls wait for the same load, or retry a failed one. */
  start(): Promise<void> {
    this.loaded ??= (async () => {
      const started = performance.now();
      this.appliedSeq = await this.log.snapshot((nodes) => {
        for (const node of nodes) this.index.apply(node);
      });
      this.loadMs = performance.now() - started;
      this.ready = true;
      if (this.index.size >= COLLECT_AFTER_ASSETS) collectGarbageSoon();
    })().catch((error: unknown) => {
      this.loaded = null;
      this.index.clear();
      throw error;
    });
    return this.loaded;
  }

  get isLoaded(): boolean {
    return this.ready;
  }

  stats(): GraphSyncStats {
    return { assets: this.index.size, appliedSeq: this.appliedSeq, loadMs: Math.round(this.loadMs) };
  }

  /** The index, caught up with every change committed before this call. */
  async fresh(): Promise<ClosureIndex> {
    await this.start();
    await this.catchUp();
    return this.index;
  }

  /**
   * Concurrent reads share log queries: a read may use any query sent after it began.
   * The one in flight was sent earlier and may miss a write that returned just before
   * this read, so later arrivals wait for the next query, which they all share. However
   * many reads arrive at once, at most two queries are under way.
   */
  private catchUp(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.pull().finally(() => {
        this.inFlight = null;
      });
      return this.inFlight;
    }
    this.queued ??= this.inFlight
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.catchUp();
      });
    return this.queued;
  }

  /**
   * Applies a write this process has just committed, given as the log entries it made
   * (consecutive sequence numbers). Only when the index stands right before them: if
   * anything else committed in between, or a read already caught up, the log decides.
   */
  applyCommitted(nodes: NodeState[]): void {
    if (!this.ready || nodes.length === 0) return;
    const sorted = [...nodes].sort((a, b) => a.seq - b.seq);
    if (sorted[0].seq !== this.appliedSeq + 1) return;
    for (let i = 1; i < sorted.length; i++) if (sorted[i].seq !== sorted[i - 1].seq + 1) return;
    for (const node of sorted) this.index.apply(node);
    this.appliedSeq = sorted[sorted.length - 1].seq;
  }

  /**
   * Catches up in the background every `intervalMs`, so that a read rarely has more than
   * a few entries to apply, even after another process wrote a million assets.
   */
  follow(intervalMs: number, onError: (error: unknown) => void): void {
    this.stopFollowing();
    this.timer = setInterval(() => {
      if (this.ready && !this.inFlight) this.catchUp().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stopFollowing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Stops following and waits for the load or catch-up under way (its failure is reported
   * where it was started), so that the pool closes under no query of ours.
   */
  async stop(): Promise<void> {
    this.stopFollowing();
    await Promise.allSettled([this.loaded, this.inFlight]);
  }

  /**
   * Catches the index up through `read`, which a write transaction holding the graph write
   * lock gives: nothing can commit after what it reads, so the index is exact until that
   * transaction ends. A writer that read through the pool instead could wait for a
   * connection held by writers waiting for its lock.
   */
  async freshUnderLock(read: (seq: number, limit: number) => Promise<NodeState[]>): Promise<void> {
    await this.start();
    await this.pull(read);
  }

  private async pull(read = (seq: number, limit: number) => this.log.changesSince(seq, limit)): Promise<void> {
    for (;;) {
      const changes = await read(this.appliedSeq, CATCH_UP_CHUNK);
      for (const change of changes) {
        // Entries only move forward; a slower, older answer may arrive after a newer one.
        if (change.seq <= this.appliedSeq) continue;
        this.index.apply(change);
        this.appliedSeq = change.seq;
      }
      if (changes.length < CATCH_UP_CHUNK) return;
    }
  }

}
