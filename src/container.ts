import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrator.js';
import { GraphSync } from './graph/graph-sync.js';
import { AccessRepository } from './repositories/access-repository.js';
import { UnitOfWork } from './repositories/store.js';
import { AccessService } from './services/access-service.js';
import { ApiKeyService } from './services/api-key-service.js';
import { AssetService } from './services/asset-service.js';
import { DeprecationService } from './services/deprecation-service.js';
import { FindingsService } from './services/findings-service.js';
import { parseRef } from './domain/model.js';
import { HealthService } from './services/health-service.js';
import { HistoryService } from './services/history-service.js';
import { LineageService } from './services/lineage-service.js';
import { NotificationService } from './services/notification-service.js';
import { OutboxWorker } from './services/outbox-worker.js';
import { ReadBuffer } from './services/read-buffer.js';
import { UsageService } from './services/usage-service.js';

/** Everything the adapters need, built once and shared by REST and GraphQL. */
export interface Container {
  config: Config;
  db: Database;
  graph: GraphSync;
  assets: AssetService;
  lineage: LineageService;
  findings: FindingsService;
  health: HealthService;
  deprecations: DeprecationService;
  history: HistoryService;
  notifications: NotificationService;
  /** Delivers the notification outbox; started here, stopped by close(). */
  outboxWorker: OutboxWorker;
  usage: UsageService;
  apiKeys: ApiKeyService;
  access: AccessService;
  /** Reads recorded by access checks, waiting to be written. */
  reads: ReadBuffer;
  close(): Promise<void>;
}

/** The composition root: opens the database, applies migrations, wires the services. */
export async function createContainer(
  config: Config,
  options: { onQuery?: (sql: string) => void } = {},
): Promise<Container> {
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onQuery: options.onQuery });
  try {
    const session = await db.session();
    try {
      await migrate(session);
    } finally {
      await session.release();
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  const uow = new UnitOfWork(db, config.writeLockTimeoutMs);
  const graph = new GraphSync(db.prisma, uow.read.graph);
  const lineage = new LineageService(graph, uow);
  const assets = new AssetService(uow, lineage, graph);
  const health = new HealthService(uow, graph);
  const outboxWorker = new OutboxWorker(uow.read.outbox, {
    backoffMs: config.webhookBackoffMs,
    requestTimeoutMs: config.webhookTimeoutMs,
  });
  const deprecations = new DeprecationService(uow, lineage, assets, outboxWorker);
  const history = new HistoryService(uow);
  const notifications = new NotificationService(uow);
  outboxWorker.start();
  const reads = new ReadBuffer((rows) => uow.read.usage.add(rows));
  const usage = new UsageService(uow, reads);
  lineage.setUndeclaredReaders(usage);
  const apiKeys = new ApiKeyService(uow);
  const access = new AccessService(new AccessRepository(db.query), reads, config);
  const findings = new FindingsService(graph, uow, db.prisma, { importanceEpsilon: config.importanceEpsilon });
  findings.setUndeclaredReads({
    all: () => usage.allUndeclared(),
    forAsset: (ref) => {
      const parsed = parseRef(ref);
      return typeof parsed === 'string' ? Promise.resolve([]) : usage.undeclaredOfRef(parsed);
    },
  });
  return {
    config,
    db,
    graph,
    assets,
    lineage,
    findings,
    health,
    deprecations,
    history,
    notifications,
    outboxWorker,
    usage,
    apiKeys,
    access,
    reads,
    async close() {
      graph.stopFollowing();
      await outboxWorker.stop();
      await reads.stop().catch(() => {});
      await db.close();
    },
  };
}
