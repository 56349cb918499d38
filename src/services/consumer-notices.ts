import type { Actor } from '../domain/principal.js';
import type { NotificationEvent, OutboxEntry } from '../repositories/outbox-repository.js';
import type { ConsumerItem } from './lineage-service.js';

/** Something that delivers the outbox; told when new rows are committed. */
export interface OutboxDelivery {
  wake(): void;
}

/** What happened to an asset, told to the consumers downstream of it. */
export interface AssetEvent {
  event: NotificationEvent;
  /** The asset's ref. */
  asset: string;
  /** The event's own fields (a deprecation's reason and replacement, say), in the payload after `asset`. */
  details: Record<string, unknown>;
  /** The token's name, and whom it acted for (X-Actor). */
  actor: Actor;
}

/**
 * One outbox entry per consumer with an `sla.notify` webhook, each with where the consumer
 * sits: `distance` and `path` from the asset to it, as the graph stood when the event was
 * written. Deprecations, reinstatements and forced deletions all notify through this, in
 * the transaction of their write, so every receiver sees one payload shape.
 */
export function consumerNotices({ event, asset, details, actor }: AssetEvent, consumers: readonly ConsumerItem[]): OutboxEntry[] {
  return consumers.flatMap((consumer) => {
    if (!consumer.sla?.notify) return [];
    return [
      {
        event,
        asset,
        consumer: consumer.ref,
        url: consumer.sla.notify,
        payload: {
          event,
          asset,
          ...details,
          actor: actor.actor,
          onBehalfOf: actor.onBehalfOf,
          consumer: consumer.ref,
          contact: consumer.contact,
          distance: consumer.distance,
          path: consumer.path,
        },
      },
    ];
  });
}
