import type { Config } from './config.js';
import { Lifecycle } from './lifecycle.js';
import type { Log } from './logger.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrator.js';
import { Policy } from './domain/policy.js';
import { GraphSync } from './graph/graph-sync.js';
import { Metrics } from './observability/metrics.js';
import { MetricsScraper } from './observability/metrics-scraper.js';
import { AccessRepository } from './repositories/access-repository.js';
import { UnitOfWork } from './repositories/store.js';
import { AccessService } from './services/access-service.js';
import { AssetService } from './services/assets/asset-service.js';
import { DeprecationService } from './services/deprecation-service.js';
import { FindingsService, type UndeclaredReadsSource } from './services/findings-service.js';
import { HealthService } from './services/health-service.js';
import { HistoryService } from './services/history-service.js';
import { LineageService } from './services/lineage-service.js';
import { NotificationService } from './services/notification-service.js';
import { OutboxWorker } from './services/outbox-worker.js';
import { Pruner } from './services/pruner.js';
import { ReadBuffer } from './services/read-buffer.js';
import { UndeclaredReads } from './services/undeclared-reads.js';
import { TokenService, type Bootstrap } from './services/token-service.js';
import { UsageService } from './services/usage-service.js';
import { WebhookAddresses } from './services/webhook-addresses.js';
import { WebhookSecretService } from './services/webhook-secret-service.js';

/** How often the graph catches up with the change log in the background. */
const GRAPH_FOLLOW_MS = 1000;

export interface ContainerOptions {
  log: Log;
  /** Sees every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** Where the findings read undeclared reads from, instead of the usage table (tests feed fixed reads). */
  findingsReads?: UndeclaredReadsSource;
}

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
  /** Delivers the notification outbox; runs between start() and close(). */
  outboxWorker: OutboxWorker;
  usage: UsageService;
  /** Every authorization rule (the services call it; so do the adapters' read checks). */
  policy: Policy;
  tokens: TokenService;
  /** What this start did about an admin token: the server prints a created one, once. */
  bootstrap: Bootstrap;
  /** Where webhooks may go: checked at registration and at every delivery. */
  webhookAddresses: WebhookAddresses;
  /** Consumers' webhook signing secrets. */
  webhookSecrets: WebhookSecretService;
  access: AccessService;
  /** Reads recorded by access checks, waiting to be written. */
  reads: ReadBuffer;
  /** The process's metrics: what records is given it in its constructor. */
  metrics: Metrics;
  /** Answers /metrics. */
  scraper: MetricsScraper;
  /** Deletes old change-log entries and delivered notices; runs between start() and close(). */
  pruner: Pruner;
  /** The background tasks, in start order. */
  lifecycle: Lifecycle;
  /** Starts the background tasks; called once the app is ready. */
  start(): Promise<void>;
  /** Stops the background tasks in reverse order (the pruner, then the read flusher, first), then closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the database, applies migrations, and builds every service
 * once, each given its collaborators in its constructor. Nothing runs in the background
 * until start().
 */
export async function createContainer(config: Config, options: ContainerOptions): Promise<Container> {
  const { log } = options;
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
  const metrics = new Metrics();
  const uow = new UnitOfWork(db, config.writeLockTimeoutMs, metrics);
  const policy = new Policy(config.readAccess);
  const tokens = new TokenService(uow, policy, { adminToken: config.adminToken, ttlDays: config.tokenTtlDays });
  let bootstrap: Bootstrap = { created: false };
  try {
    if (config.auth) bootstrap = await tokens.bootstrap();
  } catch (error) {
    await db.close();
    throw error;
  }
  const graph = new GraphSync(uow.read.graph);
  const reads = new ReadBuffer((rows) => uow.autocommit.usage.add(rows), log);
  const undeclared = new UndeclaredReads(uow, reads);
  const lineage = new LineageService(graph, uow, undeclared, metrics);
  const webhookAddresses = new WebhookAddresses(config.webhookAllow);
  const webhookSecrets = new WebhookSecretService(uow, policy);
  const outboxWorker = new OutboxWorker(
    uow.autocommit.outbox,
    { backoffMs: config.webhookBackoffMs, requestTimeoutMs: config.webhookTimeoutMs },
    { addresses: webhookAddresses, secrets: webhookSecrets },
    log,
    metrics,
  );
  const assets = new AssetService(uow, lineage, graph, policy, outboxWorker, webhookAddresses);
  const health = new HealthService(uow, graph);
  const deprecations = new DeprecationService(lineage, assets, outboxWorker, policy);
  const history = new HistoryService(uow);
  const notifications = new NotificationService(uow, outboxWorker, policy);
  const usage = new UsageService(uow, reads, policy);
  const access = new AccessService(new AccessRepository(db), reads, config, policy);
  const pruner = new Pruner(
    uow,
    {
      intervalMs: config.pruneIntervalMs,
      changeLogKeepMs: config.changeLogKeepMs,
      changeLogKeepCount: config.changeLogKeepCount,
      outboxKeepMs: config.outboxKeepMs,
    },
    log,
  );
  const findings = new FindingsService(graph, uow, options.findingsReads ?? undeclared, {
    importanceEpsilon: config.importanceEpsilon,
  });

  const scraper = new MetricsScraper(
    metrics,
    { graph, changeLog: uow.read.graph, pool: () => db.poolStats(), outbox: uow.read.outbox },
    log,
  );

  const lifecycle = new Lifecycle(
    [
      {
        name: 'graph',
        // The load runs in the background: /readyz says "loading" until it is done, and
        // any closure read waits for it.
        start: () => {
          graph.start().catch((error: unknown) => log.error({ err: error }, 'graph load failed; retrying on next read'));
          graph.follow(GRAPH_FOLLOW_MS, (error) => log.warn({ err: error }, 'background graph catch-up failed; retrying'));
        },
        stop: () => graph.stop(),
      },
      { name: 'outbox-worker', start: () => outboxWorker.start(), stop: () => outboxWorker.stop() },
      { name: 'read-flusher', start: () => reads.start(), stop: () => reads.stop() },
      { name: 'pruner', start: () => pruner.start(), stop: () => pruner.stop() },
    ],
    log,
  );

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
    policy,
    tokens,
    bootstrap,
    webhookAddresses,
    webhookSecrets,
    access,
    reads,
    metrics,
    scraper,
    pruner,
    lifecycle,
    start: () => lifecycle.start(),
    async close() {
      await lifecycle.stop();
      await db.close();
      log.info({}, 'database closed');
    },
  };
}
