import { CATCH_UP_CHUNK } from '../repositories/graph-repository.js';
import { COLLECT_AFTER_ASSETS, collectGarbageSoon } from '../heap.js';
import { ClosureIndex } from './closure-index.js';
import { BehindHorizonError, type GraphLog } from './graph-log.js';
import type { NodeState } from './node-state.js';

export type { GraphLog } from './graph-log.js';

export interface GraphSyncStats {
  assets: number;
  appliedSeq: number;
  loadMs: number;
  /** Snapshots loaded again since start-up because the index fell behind the pruned log. */
  reloads: number;
}

/**
 * Keeps this process's ClosureIndex exact. Start-up loads a snapshot together with the
 * change-log position it corresponds to; every read then first applies the log entries
 * committed since. Because writers serialise on one lock, each read of the log sees a
 * prefix of it, so a read that starts after any write (through any process) has
 * returned sees that write. The log is pruned behind a horizon; an index that fell behind
 * it (a process paused for longer than the log is kept) loads the snapshot again, and
 * reads wait for that as they wait at start-up.
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
  /** A reload through the pool, shared by the reads that found the index behind. */
  private reloading: Promise<void> | null = null;
  /** A writer's reload, through its own transaction. */
  private reloadingUnderLock: Promise<void> | null = null;
  private reloads = 0;

  constructor(private readonly log: GraphLog) {}

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

  /** Loading the snapshot again, after falling behind the change log's horizon. */
  get isReloading(): boolean {
    return this.reloading !== null || this.reloadingUnderLock !== null;
  }

  stats(): GraphSyncStats {
    return { assets: this.index.size, appliedSeq: this.appliedSeq, loadMs: Math.round(this.loadMs), reloads: this.reloads };
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
    await Promise.allSettled([this.loaded, this.inFlight, this.reloading, this.reloadingUnderLock]);
  }

  /**
   * Catches the index up through `log`, which a write transaction holding the graph write
   * lock gives: nothing can commit after what it reads, so the index is exact until that
   * transaction ends. A writer that read through the pool instead could wait for a
   * connection held by writers waiting for its lock; for the same reason, an index behind
   * the horizon is reloaded through `log` too, never by waiting for a reload through the
   * pool.
   */
  async freshUnderLock(log: GraphLog): Promise<void> {
    await this.start();
    await this.pull(log);
  }

  private async pull(log: GraphLog = this.log): Promise<void> {
    for (;;) {
      let changes: NodeState[];
      try {
        changes = await log.changesSince(this.appliedSeq, CATCH_UP_CHUNK);
      } catch (error) {
        if (!(error instanceof BehindHorizonError)) throw error;
        // Another read may have moved the index on, or reloaded it, meanwhile.
        if (this.appliedSeq < error.horizon) await this.reload(log);
        continue;
      }
      for (const change of changes) {
        // Entries only move forward; a slower, older answer may arrive after a newer one.
        if (change.seq <= this.appliedSeq) continue;
        this.index.apply(change);
        this.appliedSeq = change.seq;
      }
      if (changes.length < CATCH_UP_CHUNK) return;
    }
  }

  /**
   * Loads the snapshot again. Reads through the pool share one reload, or wait for a
   * writer's if one is under way (it ends at the newest position). A writer holding the
   * lock reloads through its own transaction and waits for nothing else: a reload through
   * the pool may itself be waiting for a connection (or, on PGlite, for the writer's
   * transaction to end).
   */
  private reload(log: GraphLog): Promise<void> {
    if (log !== this.log) {
      const run: Promise<void> = this.loadAgain(log).finally(() => {
        if (this.reloadingUnderLock === run) this.reloadingUnderLock = null;
      });
      this.reloadingUnderLock = run;
      return run;
    }
    if (this.reloadingUnderLock) return this.reloadingUnderLock.catch(() => {});
    this.reloading ??= this.loadAgain(log).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  /**
   * The snapshot, into a new index swapped in at once, so that the index is at every
   * moment exact at its position: the old one until the swap, the new one after. The swap
   * happens only if it moves the position forward: with two reloads under way (a read's
   * and a writer's), or a catch-up that ran meanwhile, the index may already stand
   * further on, and a writer holding the lock must never see its index go back.
   */
  private async loadAgain(log: GraphLog): Promise<void> {
    const fresh = new ClosureIndex();
    const position = await log.snapshot((nodes) => {
      for (const node of nodes) fresh.apply(node);
    });
    if (position > this.appliedSeq) {
      this.index.replaceWith(fresh);
      this.appliedSeq = position;
      this.reloads++;
    }
    if (this.index.size >= COLLECT_AFTER_ASSETS) collectGarbageSoon();
  }
}
