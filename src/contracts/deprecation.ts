import { z } from 'zod';
import { formatRef, refSchema } from '../domain/model.js';
import { NOTIFICATION_EVENTS, NOTIFICATION_STATES } from '../repositories/outbox-repository.js';
import { assetResponseSchema } from './assets.js';
import { consumerItemSchema } from './lineage.js';
import { idCursor, limitSchema } from './paging.js';
import { consumerRefSchema } from './usage.js';

// Requests and answers of deprecation, history and notifications, shared by REST and
// GraphQL. The bodies (deprecateBodySchema, reinstateBodySchema) are in domain/deprecation.ts.

export const deprecationResponseSchema = z.object({
  asset: assetResponseSchema,
  affectedConsumers: z.array(consumerItemSchema),
  notificationsQueued: z.number().int(),
});

export const historyQuerySchema = z.object({ limit: limitSchema, cursor: idCursor.optional() }).strict();

export const historyResponseSchema = z.object({
  items: z.array(
    z.object({
      action: z.enum(['create', 'update', 'deprecate', 'reinstate', 'delete']),
      actor: z.string().describe("the token's name"),
      onBehalfOf: z.string().nullable().describe('whom the token said it acted for (X-Actor), if anyone'),
      at: z.string(),
      revision: z.number().int(),
      changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
      reason: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const notificationQuerySchema = z
  .object({
    state: z.enum(NOTIFICATION_STATES).optional(),
    asset: refSchema.transform(formatRef).optional().describe('only notices about this asset, "kind:name"'),
    consumer: consumerRefSchema
      .transform(formatRef)
      .optional()
      .describe('only notices to this consumer, "bidder" or "consumer:bidder"'),
    limit: limitSchema,
    cursor: idCursor.optional(),
  })
  .strict();

/** A notice and how its delivery is going: REST's and GraphQL's `Notification`. */
export const notificationSchema = z.object({
  id: z.number().int(),
  event: z.enum(NOTIFICATION_EVENTS).describe('what the notice reports: a deprecation, a reinstatement or a forced deletion'),
  asset: z.string(),
  consumer: z.string(),
  url: z.string(),
  state: z.enum(NOTIFICATION_STATES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});

export const notificationListResponseSchema = z.object({
  items: z.array(notificationSchema),
  nextCursor: z.string().nullable(),
});

const ID_RULE = 'must be a notice id: a whole number from 1';

/** A notice's id, as the listing shows it; `int()` also bounds it to safe integers, within bigint. */
export const notificationIdSchema = z.coerce
  .number({ error: ID_RULE })
  .int({ error: ID_RULE })
  .min(1, { error: ID_RULE })
  .describe('the id of a notice, as GET /v1/notifications lists it');

export const notificationParamsSchema = z.object({ id: notificationIdSchema }).strict();

/** Which given_up notices a bulk retry takes: about an asset, to a consumer, both, or (neither) all. */
export const retryFilterSchema = notificationQuerySchema.pick({ asset: true, consumer: true }).strict();

export const retryQuerySchema = retryFilterSchema
  .extend({ limit: limitSchema.describe('notices retried at most, 1–1000, default 100; call again for the rest') })
  .strict();

export const retryResponseSchema = z.object({
  items: z.array(notificationSchema).describe('the notices put back to pending, oldest first'),
  remaining: z.number().int().describe('given_up notices matching the filter still left (beyond limit)'),
});
