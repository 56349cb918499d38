import { BusyError } from '../domain/errors.js';
import type { UnitOfWork } from '../repositories/store.js';

export interface PrunerOptions {
  /** How often a pass runs. */
  intervalMs: number;
  /** Change-log entries younger than this are kept. */
  changeLogKeepMs: number;
  /** The newest change-log entries kept, however old. */
  changeLogKeepCount: number;
  /** Delivered notices younger than this are kept. */
  outboxKeepMs: number;
  /** Rows one statement deletes at most (and so how long one holds the graph write lock). */
  batch?: number;
  /** Statements per table and pass at most: a pass's work is bounded; the rest waits for the next. */
  batchesPerRun?: number;
}

export interface PrunerLog {
  debug(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface PruneResult {
  /** Change-log entries deleted. */
  changes: number;
  /** The change log's horizon after the pass: entries at or below it may be gone. */
  horizon: number;
  /** Delivered notices deleted. */
  notices: number;
}

/**
 * Deletes what no one needs any more, in the background: change-log entries behind a
 * horizon (a process whose index stood below it reloads its snapshot, see GraphSync) and
 * delivered notices. Each statement deletes a bounded batch; each change-log batch is its
 * own transaction holding the graph write lock, so writes wait for one batch at most and
 * the horizon never moves while a writer holds the lock. Every replica runs one: they
 * take turns on the lock, and each batch starts from the horizon the last one left.
 */
export class Pruner {
  private readonly batch: number;
  private readonly batchesPerRun: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopping = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly options: PrunerOptions,
    private readonly log: PrunerLog,
  ) {
    this.batch = options.batch ?? 10_000;
    this.batchesPerRun = options.batchesPerRun ?? 20;
  }

  /** Runs a pass every `intervalMs`, the first one interval from now (not during start-up's load). */
  start(): void {
    if (this.timer) return;
    this.stopping = false;
    this.timer = setInterval(() => {
      if (!this.running) void this.run().catch(() => {});
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass under way, which stops after its current batch. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping = true;
    await this.running?.catch(() => {});
  }

  /** One pass over both tables; failures are logged and left for the next pass. */
  run(): Promise<PruneResult> {
    const pass = this.pass().finally(() => {
      if (this.running === pass) this.running = null;
    });
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<PruneResult> {
    const result: PruneResult = { changes: 0, horizon: 0, notices: 0 };
    try {
      for (let i = 0; i < this.batchesPerRun && !this.stopping; i++) {
        const { deleted, horizon } = await this.uow.write((store) =>
          store.graph.prune({ batch: this.batch, keepCount: this.options.changeLogKeepCount, keepMs: this.options.changeLogKeepMs }),
        );
        result.changes += deleted;
        result.horizon = horizon;
        if (deleted < this.batch) break;
      }
    } catch (error) {
      // A long import holds the lock: nothing is lost by pruning at the next pass.
      if (error instanceof BusyError) this.log.debug({ err: error }, 'change-log pruning waited too long for the write lock');
      else this.log.warn({ err: error }, 'change-log pruning failed; retrying at the next pass');
    }
    try {
      for (let i = 0; i < this.batchesPerRun && !this.stopping; i++) {
        const deleted = await this.uow.autocommit.outbox.pruneDelivered(this.options.outboxKeepMs, this.batch);
        result.notices += deleted;
        if (deleted < this.batch) break;
      }
    } catch (error) {
      this.log.warn({ err: error }, 'outbox pruning failed; retrying at the next pass');
    }
    if (result.changes > 0 || result.notices > 0)
      this.log.debug({ ...result }, 'pruned the change log and the outbox');
    return result;
  }
}
