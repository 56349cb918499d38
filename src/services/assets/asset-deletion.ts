import { ConflictError, InputError, NotFoundError } from '../../domain/errors.js';
import { formatRef, type Ref } from '../../domain/model.js';
import type { GraphSync } from '../../graph/graph-sync.js';
import type { HistoryEntry } from '../../domain/history.js';
import type { UnitOfWork } from '../../repositories/store.js';
import { GRAPH_MOVED, MAX_GRAPH_RETRIES } from '../graph-retry.js';
import type { ImpactReport, LineageService } from '../lineage-service.js';

export interface DeleteOptions {
  /** Delete although others depend on it, dropping their edges to it. */
  force: boolean;
  /** Why, recorded in the history; required with `force`. */
  reason?: string;
  actor: string;
}

/** Deleting assets, and what that does to their dependents. */
export class AssetDeletion {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lineage: LineageService,
    private readonly graph: GraphSync,
  ) {}

  /**
   * Deletes an asset. While anything depends on it the answer is a conflict carrying
   * the impact report, unless `force` is given with a reason, which is recorded.
   */
  async delete(ref: Ref, options: DeleteOptions): Promise<void> {
    if (options.force && !options.reason?.trim())
      throw InputError.field('reason', 'is required to force a deletion: say why the dependents may break', 'query');
    // Who depends on the asset comes from the index: `dependencies` has no index by
    // dependency. See graph-retry.ts on why it is read before the transaction.
    let blocked: boolean | typeof GRAPH_MOVED = GRAPH_MOVED;
    for (let attempt = 0; attempt < MAX_GRAPH_RETRIES && blocked === GRAPH_MOVED; attempt++) {
      const index = await this.graph.fresh();
      const seq = this.graph.stats().appliedSeq;
      const known = index.idOf(ref.kind, ref.name);
      const dependentIds = known === undefined ? [] : [...index.dependentsOf(known)];
      blocked = await this.uow.write(async (store) => {
        if ((await store.graph.lastSeq()) !== seq) return GRAPH_MOVED;
        const asset = await store.assets.findByRef(ref);
        if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
        const dependents = await store.assets.findByIds(dependentIds);
        if (dependents.length > 0 && !options.force) return true;
        const reason = options.reason?.trim() || null;
        await store.assets.delete(asset.id, dependentIds);
        // A forced deletion changes each direct dependent's dependsOn: record that too.
        const touched = new Map((await store.assets.touch(dependents.map((d) => d.id))).map((row) => [row.id, row]));
        await store.graph.appendChanges([asset.id, ...dependents.map((d) => d.id)]);
        const { id: _id, ref: _ref, kind: _kind, name: _name, revision, createdAt: _c, updatedAt: _u, ...fields } = asset;
        await store.history.append([
          {
            assetId: asset.id,
            kind: asset.kind,
            name: asset.name,
            action: 'delete',
            actor: options.actor,
            revision,
            changes: Object.entries(fields)
              .filter(([, value]) => value !== null)
              .map(([field, value]) => ({ field, before: value, after: null })),
            reason,
          },
          ...dependents.map(
            (d): HistoryEntry => ({
              assetId: d.id,
              kind: d.kind,
              name: d.name,
              action: 'update',
              actor: options.actor,
              revision: touched.get(d.id)!.revision,
              changes: [{ field: 'dependsOn', before: d.dependsOn, after: d.dependsOn.filter((e) => e.ref !== asset.ref) }],
              reason: `forced deletion of ${asset.ref}: ${reason}`,
            }),
          ),
        ]);
        return false;
      });
    }
    if (blocked === GRAPH_MOVED) throw new ConflictError(`the graph around ${formatRef(ref)} kept changing while deleting it; try again`);
    if (blocked) {
      const key = formatRef(ref);
      const impact: ImpactReport = await this.lineage.impact(ref, { limit: 100 });
      throw new ConflictError(
        `${key} has ${impact.total} dependent${impact.total === 1 ? '' : 's'}; delete them first, or force the deletion with a reason`,
        impact,
        { operation: 'forceDelete', ref: key },
      );
    }
  }
}
