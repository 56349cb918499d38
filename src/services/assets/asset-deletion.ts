import { ConflictError, InputError, NotFoundError } from '../../domain/errors.js';
import { formatRef, type Ref } from '../../domain/model.js';
import type { HistoryEntry } from '../../domain/history.js';
import type { Policy } from '../../domain/policy.js';
import { actorOf, type Caller } from '../../domain/principal.js';
import { consumerNotices, type OutboxDelivery } from '../consumer-notices.js';
import type { ImpactReport, LineageService } from '../lineage-service.js';
import { checkPrecondition } from './write-rules.js';

export interface DeleteOptions {
  /** Delete although others depend on it, dropping their edges to it. */
  force: boolean;
  /** Why, recorded in the history; required with `force`. */
  reason?: string;
  caller: Caller;
  /** The revision the client last saw (`*`: any): a deletion of a changed asset is refused, as a stale write is. */
  ifMatch?: number | '*';
}

/** Dependents listed in a refused deletion's impact report; its cursor pages the rest. */
const REFUSAL_LISTED = 100;

/** Deleting assets, and what that does to their dependents. */
export class AssetDeletion {
  constructor(
    private readonly lineage: LineageService,
    private readonly policy: Policy,
    private readonly delivery: OutboxDelivery,
  ) {}

  /**
   * Deletes an asset. While anything depends on it the answer is a conflict carrying
   * the impact report, unless `force` is given with a reason, which is recorded; then
   * every consumer downstream with an `sla.notify` webhook is sent an `asset.deleted`
   * notice, queued in the deletion's transaction.
   */
  async delete(ref: Ref, options: DeleteOptions): Promise<void> {
    if (options.force && !options.reason?.trim())
      throw InputError.field('reason', 'is required to force a deletion: say why the dependents may break', 'query');
    // Who depends on the asset comes from the index (`dependencies` has no index by
    // dependency), read under the graph lock: exact, whatever else is being written.
    const outcome = await this.lineage.lockedWrite<{ refused: ImpactReport } | { queued: number }>(async (store, lineage) => {
      const asset = await store.assets.findByRef(ref);
      // A missing asset is a 404 whatever the precondition: without one it would not be deleted either.
      if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
      const dependentIds = lineage.dependentsOf(asset.id);
      // Judged on the stored owner, under the lock; forcing only means anything with dependents.
      this.policy.deleteAsset(options.caller.principal, asset, options.force && dependentIds.length > 0);
      // Checked on the row read under the lock: no write can slip in between the check and the deletion.
      if (options.ifMatch !== undefined) checkPrecondition(asset.ref, asset, options.ifMatch);
      // A refusal's impact report comes from the same exact graph, contacts included.
      if (dependentIds.length > 0 && !options.force)
        return { value: { refused: await lineage.impact(asset.id, { limit: REFUSAL_LISTED }) }, committed: [] };
      // The consumers and their paths as they stand before the deletion (the index takes it after the commit).
      const consumers = dependentIds.length > 0 ? await lineage.consumersOf(asset.id) : [];
      const dependents = await store.assets.findByIds(dependentIds);
      const reason = options.reason?.trim() || null;
      const actor = actorOf(options.caller);
      // Each dependent as the log will record it: without its edge to the asset.
      const after = dependentIds.map((id) => {
        const state = lineage.stateOf(id);
        return { ...state, dependsOn: state.dependsOn.filter((dependency) => dependency !== asset.id) };
      });
      await store.assets.delete(asset.id, dependentIds);
      // A forced deletion changes each direct dependent's dependsOn: record that too.
      const touched = new Map((await store.assets.touch(dependents.map((d) => d.id))).map((row) => [row.id, row]));
      const [deletedAt, ...dependentsAt] = await store.graph.appendChanges([asset.id, ...dependentIds]);
      const { id: _id, ref: _ref, kind: _kind, name: _name, revision, createdAt: _c, updatedAt: _u, ...fields } = asset;
      await store.history.append([
        {
          assetId: asset.id,
          kind: asset.kind,
          name: asset.name,
          action: 'delete',
          ...actor,
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
            ...actor,
            revision: touched.get(d.id)!.revision,
            changes: [{ field: 'dependsOn', before: d.dependsOn, after: d.dependsOn.filter((e) => e.ref !== asset.ref) }],
            reason: `forced deletion of ${asset.ref}: ${reason}`,
          }),
        ),
      ]);
      const notices = consumerNotices(
        { event: 'asset.deleted', asset: asset.ref, details: { reason, revision }, actor },
        consumers,
      );
      await store.outbox.enqueue(notices);
      return {
        value: { queued: notices.length },
        committed: [
          { seq: deletedAt, id: asset.id, kind: null, name: null, owner: null, dependsOn: [] },
          ...after.map((state, i) => ({ ...state, seq: dependentsAt[i] })),
        ],
      };
    });
    if ('queued' in outcome) {
      if (outcome.queued > 0) this.delivery.wake();
      return;
    }
    const { refused } = outcome;
    const key = formatRef(ref);
    throw new ConflictError(
      `${key} has ${refused.total} dependent${refused.total === 1 ? '' : 's'}; delete them first, or force the deletion with a reason`,
      refused,
      { operation: 'forceDelete', ref: key },
    );
  }
}
