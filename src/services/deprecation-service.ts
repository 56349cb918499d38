import type { AssetView, Deprecation } from '../domain/asset.js';
import { isDeprecated, isPastSunset, todayUtc, type DeprecateBody, type ReinstateBody } from '../domain/deprecation.js';
import { ConflictError, InputError, NotFoundError, type FieldIssue } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { FieldChange } from '../domain/history.js';
import type { Policy } from '../domain/policy.js';
import { actorOf, type Caller } from '../domain/principal.js';
import { sameValue } from './assets/asset-diff.js';
import type { AssetService } from './assets/asset-service.js';
import { consumerNotices, type OutboxDelivery } from './consumer-notices.js';
import type { ConsumerItem, LineageService } from './lineage-service.js';

export interface DeprecationResult {
  asset: AssetView;
  /** Every consumer transitively downstream, with contact, SLA and one path. */
  affectedConsumers: ConsumerItem[];
  /** Webhook notices written to the outbox by this request (0 when nothing changed). */
  notificationsQueued: number;
}

/** Deprecating and reinstating assets, and telling their consumers. */
export class DeprecationService {
  constructor(
    private readonly lineage: LineageService,
    private readonly assets: AssetService,
    private readonly delivery: OutboxDelivery,
    private readonly policy: Policy,
  ) {}

  /**
   * Marks the asset deprecated and, in the same transaction, queues one notice per
   * affected consumer with an `sla.notify` webhook. Re-deprecating with the same values
   * changes nothing and notifies nobody; changing them notifies again.
   */
  async deprecate(ref: Ref, body: DeprecateBody, caller: Caller): Promise<DeprecationResult> {
    const key = formatRef(ref);
    const actor = actorOf(caller);
    const replacedBy = body.replacedBy ? formatRef(body.replacedBy) : null;
    const sunsetAt = body.sunsetAt ?? null;
    // The consumers come from the index under the graph lock, their contacts from the same
    // transaction: exact for the deprecation however busy the graph is elsewhere.
    const { consumers, queued } = await this.lineage.lockedWrite(async (store, lineage) => {
      const asset = await store.assets.findByRef(ref);
      if (!asset) throw new NotFoundError(`${key} does not exist`);
      this.policy.changeLifecycle(caller.principal, asset);

      const issues: FieldIssue[] = [];
      if (replacedBy === key) issues.push({ in: 'body', field: 'replacedBy', message: 'an asset cannot replace itself' });
      else if (body.replacedBy && (await store.assets.resolve([body.replacedBy])).length === 0)
        issues.push({ in: 'body', field: 'replacedBy', message: `${replacedBy} does not exist` });
      // A past sunset is refused when it is being set, and kept when merely re-sent.
      if (isPastSunset(sunsetAt) && sunsetAt !== asset.deprecation?.sunsetAt)
        issues.push({ in: 'body', field: 'sunsetAt', message: `${sunsetAt} is in the past (today is ${todayUtc()}, UTC)` });
      if (issues.length > 0) throw new InputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);

      const intended = {
        reason: body.reason,
        replacedBy,
        sunsetAt,
        deprecatedAt: asset.deprecation?.deprecatedAt ?? null,
      };
      const consumers = await lineage.consumersOf(asset.id);
      if (asset.lifecycle === 'deprecated' && sameValue(asset.deprecation, intended))
        return { value: { consumers, queued: 0 }, committed: [] };

      const written = await store.assets.setDeprecation(asset.id, 'deprecated', intended);
      // The closure index flags deprecated assets: tell every process through the log.
      const [seq] = await store.graph.appendChanges([asset.id]);
      const deprecation: Deprecation = { ...intended, deprecatedAt: written.deprecatedAt! };
      const changes: FieldChange[] = [];
      if (asset.lifecycle !== 'deprecated') changes.push({ field: 'lifecycle', before: asset.lifecycle, after: 'deprecated' });
      if (!sameValue(asset.deprecation, deprecation))
        changes.push({ field: 'deprecation', before: asset.deprecation, after: deprecation });
      await store.history.append([
        { assetId: asset.id, kind: asset.kind, name: asset.name, action: 'deprecate', ...actor, revision: written.revision, changes, reason: body.reason },
      ]);
      const notices = consumerNotices(
        {
          event: 'asset.deprecated',
          asset: key,
          details: {
            reason: deprecation.reason,
            replacedBy: deprecation.replacedBy,
            sunsetAt: deprecation.sunsetAt,
            deprecatedAt: deprecation.deprecatedAt,
            revision: written.revision,
          },
          actor,
        },
        consumers,
      );
      await store.outbox.enqueue(notices);
      return { value: { consumers, queued: notices.length }, committed: [{ ...lineage.stateOf(asset.id), seq, deprecated: true }] };
    });
    if (queued > 0) this.delivery.wake();
    return { asset: await this.assets.get(ref), affectedConsumers: consumers, notificationsQueued: queued };
  }

  /**
   * Clears the deprecation; the lifecycle returns to `production` unless another is given.
   * In the same transaction, queues an `asset.reinstated` notice to every consumer downstream
   * with an `sla.notify` webhook, as the deprecation did.
   */
  async reinstate(ref: Ref, body: ReinstateBody, caller: Caller): Promise<AssetView> {
    const key = formatRef(ref);
    const queued = await this.lineage.lockedWrite(async (store, lineage) => {
      const asset = await store.assets.findByRef(ref);
      if (!asset) throw new NotFoundError(`${key} does not exist`);
      this.policy.changeLifecycle(caller.principal, asset);
      if (!asset.deprecation && asset.lifecycle !== 'deprecated') throw new ConflictError(`${key} is not deprecated`);
      const lifecycle = body.lifecycle ?? 'production';
      const changes: FieldChange[] = [{ field: 'lifecycle', before: asset.lifecycle, after: lifecycle }];
      if (asset.deprecation) changes.push({ field: 'deprecation', before: asset.deprecation, after: null });
      const written = await store.assets.setDeprecation(asset.id, lifecycle, null);
      const [seq] = await store.graph.appendChanges([asset.id]);
      await store.history.append([
        {
          assetId: asset.id,
          kind: asset.kind,
          name: asset.name,
          action: 'reinstate',
          ...actorOf(caller),
          revision: written.revision,
          changes,
          reason: body.reason ?? null,
        },
      ]);
      const notices = consumerNotices(
        {
          event: 'asset.reinstated',
          asset: key,
          details: { reason: body.reason ?? null, lifecycle, revision: written.revision },
          actor: actorOf(caller),
        },
        await lineage.consumersOf(asset.id),
      );
      await store.outbox.enqueue(notices);
      return { value: notices.length, committed: [{ ...lineage.stateOf(asset.id), seq, deprecated: isDeprecated(lifecycle) }] };
    });
    if (queued > 0) this.delivery.wake();
    return this.assets.get(ref);
  }
}
