import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrator.js';
import { GraphSync } from './graph/graph-sync.js';
import { UnitOfWork } from './repositories/store.js';
import { AssetService } from './services/asset-service.js';
import { FindingsService } from './services/findings-service.js';
import { HealthService } from './services/health-service.js';
import { LineageService } from './services/lineage-service.js';

/** Everything the adapters need, built once and shared by REST and GraphQL. */
export interface Container {
  config: Config;
  db: Database;
  graph: GraphSync;
  assets: AssetService;
  lineage: LineageService;
  findings: FindingsService;
  health: HealthService;
  close(): Promise<void>;
}

/** The composition root: opens the database, applies migrations, wires the services. */
export async function createContainer(config: Config): Promise<Container> {
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
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
  const uow = new UnitOfWork(db.prisma);
  const graph = new GraphSync(db.prisma, uow.read.graph);
  const lineage = new LineageService(graph, uow);
  const assets = new AssetService(uow, lineage);
  const health = new HealthService(uow, graph);
  const findings = new FindingsService(graph, uow, db.prisma, { importanceEpsilon: config.importanceEpsilon });
  return {
    config,
    db,
    graph,
    assets,
    lineage,
    findings,
    health,
    close: () => db.close(),
  };
}
