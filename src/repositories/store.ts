import type { PrismaClient } from '../generated/prisma/client.js';
import { ApiKeyRepository } from './api-key-repository.js';
import { AssetRepository } from './asset-repository.js';
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

/** One key for every graph write: see migrations/001_core.sql on why writes are serialised. */
const GRAPH_WRITE_LOCK = 0x67726170; // "grap"

export class UnitOfWork {
  readonly read: Store;

  constructor(private readonly prisma: PrismaClient) {
    this.read = new Store(prisma);
  }

  /** Runs `work` in one transaction holding the graph write lock; a throw rolls it all back. */
  write<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${GRAPH_WRITE_LOCK})`);
        return work(new Store(tx));
      },
      { timeout: 300_000, maxWait: 30_000 },
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
