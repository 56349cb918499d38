import { pgErrorCode, type Database, type SqlRunner } from '../db/database.js';
import { unrecorded, type LockMetrics } from '../observability/metrics.js';
import { AssetRepository } from './asset-repository.js';
import { AssetWriter, lockGraph } from './asset-writer.js';
import { translated } from './db-errors.js';
import { FindingsRepository } from './findings-repository.js';
import { GraphRepository } from './graph-repository.js';
import { HistoryRepository } from './history-repository.js';
import { OutboxRepository } from './outbox-repository.js';
import type { Pool, Scope } from './scope.js';
import { TokenRepository } from './token-repository.js';
import { UsageRepository } from './usage-repository.js';
import { WebhookSecretRepository } from './webhook-secret-repository.js';

/** The repositories, with their SQL on one scope (the pool, or one transaction). */
export class Store {
  readonly assets: AssetRepository;
  readonly graph: GraphRepository;
  readonly history: HistoryRepository;
  readonly outbox: OutboxRepository;
  readonly usage: UsageRepository;
  readonly tokens: TokenRepository;
  readonly findings: FindingsRepository;
  readonly webhookSecrets: WebhookSecretRepository;

  constructor(db: Scope, pool: Pool) {
    this.assets = new AssetRepository(db, pool);
    this.graph = new GraphRepository(db, pool);
    this.history = new HistoryRepository(db, pool);
    this.outbox = new OutboxRepository(db, pool);
    this.usage = new UsageRepository(db);
    this.tokens = new TokenRepository(db);
    this.findings = new FindingsRepository(db, pool);
    this.webhookSecrets = new WebhookSecretRepository(db);
  }
}

/** The methods that write, per repository: `uow.read` leaves them out. */
interface Writes {
  assets: 'touch' | 'setDeprecation' | 'delete';
  // underLock reads, but only means anything inside the write lock.
  graph: 'appendChanges' | 'prune' | 'underLock';
  history: 'append';
  outbox: 'enqueue' | 'claimDue' | 'markDelivered' | 'markFailed' | 'release' | 'retry' | 'retryGivenUp' | 'pruneDelivered';
  usage: 'add';
  tokens: 'create' | 'revoke' | 'lockBootstrap';
  findings: never;
  webhookSecrets: 'createIfMissing' | 'rotate';
}

/** The methods that always run on the pool (Prisma's, and snapshots): a transaction leaves them out. */
interface PoolOnly {
  assets: 'list';
  graph: 'snapshot';
  history: 'list';
  outbox: 'list';
  usage: never;
  tokens: never;
  findings: 'streamAnnotations';
  webhookSecrets: never;
}

/** The pool's repositories with only their reading methods. */
export type Reads = { readonly [K in keyof Writes]: Omit<Store[K], Writes[K]> };

/** The repositories inside a write transaction: every method runs on its connection. */
export type TransactionStore = { readonly [K in keyof PoolOnly]: Omit<Store[K], PoolOnly[K]> };

/**
 * How services reach the database:
 * - `read`: reads on the pool, each statement by itself (Prisma's typed reads among them);
 * - `autocommit`: the pool for writes that need no graph lock, each statement committed by
 *   itself (usage counts, token revocations, the outbox worker's claims);
 * - `transaction`: one transaction without the graph lock (the token bootstrap);
 * - `write` / `writeAssets`: one transaction holding the graph write lock.
 * Every transaction goes through Database.transaction, on the driver.
 */
export class UnitOfWork {
  readonly read: Reads;
  readonly autocommit: Store;
  private readonly pool: Pool;

  constructor(
    private readonly db: Pick<Database, 'prisma' | 'query' | 'transaction'>,
    /** How long a write waits for the graph write lock before it fails (503 BUSY). */
    private readonly lockTimeoutMs = 30_000,
    private readonly metrics: LockMetrics = unrecorded,
  ) {
    this.pool = {
      query: db.query,
      prisma: db.prisma,
      snapshot: (work) => db.transaction(work, { isolation: 'repeatable read', readOnly: true }),
    };
    this.autocommit = new Store(this.pool, this.pool);
    this.read = this.autocommit;
  }

  /** Runs `work` in one transaction holding the graph write lock, with the asset write path's statements. */
  writeAssets<T>(work: (writer: AssetWriter) => Promise<T>): Promise<T> {
    return this.locked((query) => work(new AssetWriter(query)));
  }

  /** Runs `work` in one transaction holding the graph write lock; a throw rolls it all back. */
  write<T>(work: (store: TransactionStore) => Promise<T>): Promise<T> {
    return this.locked((query) => work(new Store({ query }, this.pool)));
  }

  /** Runs `work` in one transaction that does not take the graph write lock; a throw rolls it all back. */
  transaction<T>(work: (store: TransactionStore) => Promise<T>): Promise<T> {
    return translated(this.db.transaction((query) => work(new Store({ query }, this.pool))));
  }

  /** Readiness: the applied migration versions, or an error when the database is unreachable. */
  async appliedMigrations(): Promise<number[]> {
    const rows = await this.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((row) => row.version);
  }

  /**
   * The graph write lock is queued ahead of the work's first statement, which runs once it
   * is held. The wait recorded runs from the call, so it includes the wait for a
   * connection: on PGlite writers queue for its one connection rather than for the lock.
   */
  private locked<T>(work: (query: SqlRunner) => Promise<T>): Promise<T> {
    const asked = performance.now();
    const waited = () => (performance.now() - asked) / 1000;
    return translated(
      this.db.transaction(async (query) => {
        const locked = lockGraph(query, this.lockTimeoutMs).then(
          () => this.metrics.lockWaited(waited(), 'acquired'),
          (error: unknown) => {
            this.metrics.lockWaited(waited(), pgErrorCode(error) === '55P03' ? 'timed_out' : 'failed');
            throw error;
          },
        );
        locked.catch(() => {});
        const result = await work(query);
        await locked;
        return result;
      }),
    );
  }
}
