import { pgErrorCode, type Database } from '../db/database.js';
import { BusyError } from '../domain/errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { ApiKeyRepository } from './api-key-repository.js';
import { AssetRepository } from './asset-repository.js';
import { AssetWriter, lockStatement } from './asset-writer.js';
import type { DbClient } from './db-client.js';
import { FindingsRepository } from './findings-repository.js';
import { GraphRepository } from './graph-repository.js';
import { HistoryRepository } from './history-repository.js';
import { OutboxRepository } from './outbox-repository.js';
import { UsageRepository } from './usage-repository.js';

/** The repositories, bound to one client: the pool for reads, a transaction for writes. */
export class Store {
  readonly assets: AssetRepository;
  readonly graph: GraphRepository;
  readonly history: HistoryRepository;
  readonly outbox: OutboxRepository;
  readonly usage: UsageRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly findings: FindingsRepository;

  constructor(db: DbClient) {
    this.assets = new AssetRepository(db);
    this.graph = new GraphRepository(db);
    this.history = new HistoryRepository(db);
    this.outbox = new OutboxRepository(db);
    this.usage = new UsageRepository(db);
    this.apiKeys = new ApiKeyRepository(db);
    this.findings = new FindingsRepository(db);
  }
}

/** PostgreSQL's lock_timeout (55P03) as the domain knows it: the graph is busy. */
async function busyOnLockTimeout<T>(transaction: Promise<T>): Promise<T> {
  try {
    return await transaction;
  } catch (error) {
    if (pgErrorCode(error) === '55P03')
      throw new BusyError('another write holds the graph for longer than this one may wait (an import, say); retry shortly');
    throw error;
  }
}

export class UnitOfWork {
  readonly read: Store;
  private readonly prisma: PrismaClient;

  constructor(
    private readonly db: Pick<Database, 'prisma' | 'transaction'>,
    /** How long a write waits for the graph write lock before it fails (503 BUSY). */
    private readonly lockTimeoutMs = 30_000,
  ) {
    this.prisma = db.prisma;
    this.read = new Store(db.prisma);
  }

  /**
   * Runs `work` in one transaction holding the graph write lock, with the statements of
   * the asset write path on the driver directly; a throw rolls it all back.
   */
  writeAssets<T>(work: (writer: AssetWriter) => Promise<T>): Promise<T> {
    return busyOnLockTimeout(
      this.db.transaction(async (query) => {
        const writer = new AssetWriter(query);
        // Queued ahead of the work's first statement, which runs once the lock is held.
        const locked = writer.lock(this.lockTimeoutMs);
        locked.catch(() => {});
        const result = await work(writer);
        await locked;
        return result;
      }),
    );
  }

  /** Runs `work` in one transaction holding the graph write lock; a throw rolls it all back. */
  write<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return busyOnLockTimeout(
      this.prisma.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(lockStatement(this.lockTimeoutMs));
          return work(new Store(tx));
        },
        { timeout: 300_000, maxWait: 30_000 },
      ),
    );
  }

  /** Readiness: the applied migration versions, or an error when the database is unreachable. */
  async appliedMigrations(): Promise<number[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ version: number }[]>(
      "SELECT version FROM schema_migrations ORDER BY version",
    );
    return rows.map((row) => row.version);
  }
}
