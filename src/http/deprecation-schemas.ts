import { z } from 'zod';
import { refSchema, formatRef } from '../domain/model.js';
import { NOTIFICATION_STATES } from '../repositories/outbox-repository.js';
import { cursorSchema } from './cursor.js';
import { assetResponseSchema, consumerItemSchema, limitSchema } from './schemas.js';

// Requests and answers of deprecation, history and notifications (REST only).

export const idCursor = cursorSchema(z.object({ id: z.number().int().min(1) }));

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
      actor: z.string(),
      at: z.string(),
      revision: z.number().int(),
      changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
      reason: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const refFilter = refSchema.transform(formatRef);

export const notificationQuerySchema = z
  .object({
    state: z.enum(NOTIFICATION_STATES).optional(),
    asset: refFilter.optional().describe('only notices about this asset, "kind:name"'),
    consumer: refFilter.optional().describe('only notices to this consumer, "consumer:name"'),
    limit: limitSchema,
    cursor: idCursor.optional(),
  })
  .strict();

export const notificationListResponseSchema = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      event: z.string(),
      asset: z.string(),
      consumer: z.string(),
      url: z.string(),
      state: z.enum(NOTIFICATION_STATES),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      nextAttemptAt: z.string().nullable(),
      deliveredAt: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
