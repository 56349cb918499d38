import { readMigrations } from '../db/migrator.js';
import type { GraphSync } from '../graph/graph-sync.js';
import type { UnitOfWork } from '../repositories/store.js';

export interface Readiness {
  ready: boolean;
  checks: { database: string; migrations: string; graph: string };
}

export class HealthService {
  private readonly expected = readMigrations().map((m) => m.version);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly graph: GraphSync,
  ) {}

  /** Ready when the database answers, every migration is applied and the graph is loaded. */
  async readiness(): Promise<Readiness> {
    let database = 'ok';
    let migrations = 'ok';
    try {
      const applied = new Set(await this.uow.appliedMigrations());
      const pending = this.expected.filter((v) => !applied.has(v));
      if (pending.length > 0) migrations = `pending: ${pending.join(', ')}`;
    } catch (error) {
      database = `unreachable: ${(error as Error).message.split('\n')[0]}`;
      migrations = 'unknown';
    }
    const stats = this.graph.stats();
    // A reload (the index fell behind the pruned change log) makes reads wait, as the
    // first load does: out of the load balancer's rotation meanwhile.
    const graph = !this.graph.isLoaded ? 'loading' : this.graph.isReloading ? 'reloading' : `loaded: ${stats.assets} assets`;
    return {
      ready: database === 'ok' && migrations === 'ok' && this.graph.isLoaded && !this.graph.isReloading,
      checks: { database, migrations, graph },
    };
  }
}
