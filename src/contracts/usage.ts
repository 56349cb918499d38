import { z } from 'zod';
import { ACCESS_POLICIES, NAME_PATTERN, refSchema, type Ref } from '../domain/model.js';
import { normaliseIdentity, sinceSchema } from '../domain/usage-schemas.js';
import { cursorSchema, limitSchema } from './paging.js';

// Requests and answers of usage, undeclared consumers, API keys and the access check.
// The bodies (usageBodySchema, accessCheckBodySchema) are in domain/usage-schemas.ts,
// beside the identity rule they share with the service.

/**
 * A registered consumer wherever one is named as a filter: its name (`bidder`) or its
 * ref (`consumer:bidder`), the two spellings a usage event's `consumer` already takes.
 */
export const consumerRefSchema = z
  .string({ error: 'must be a consumer\'s name, "bidder" or "consumer:bidder"' })
  .trim()
  .transform((text, ctx): Ref => {
    const name = normaliseIdentity(text);
    if (!NAME_PATTERN.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'must be a consumer\'s name, "bidder" or "consumer:bidder"' });
      return z.NEVER;
    }
    return { kind: 'consumer', name };
  });

/**
 * The undeclared-consumer list continues after the (asset id, identity) of its last
 * pair. Cursors issued before the position was spelled out (`{a, i}`) still decode.
 */
// An asset id is a PostgreSQL `integer`: one past its range would fail the statement (22003).
const assetIdSchema = z.number().int().min(1).max(2 ** 31 - 1);

export const undeclaredCursor = cursorSchema(
  z.union([
    z.object({ assetId: assetIdSchema, identity: z.string() }),
    z.object({ a: assetIdSchema, i: z.string() }).transform(({ a, i }) => ({ assetId: a, identity: i })),
  ]),
);

export const undeclaredQuerySchema = z
  .object({
    asset: refSchema.optional().describe('only readers of this asset'),
    since: sinceSchema.optional(),
    limit: limitSchema,
    cursor: undeclaredCursor.optional(),
  })
  .strict();

// ---- answers ----

export const usageReceiptSchema = z.object({
  events: z.number().int().describe('events accepted'),
  reads: z.number().int().describe('reads they stand for (the sum of their counts)'),
  pairs: z.number().int().describe('distinct (identity, asset) pairs they were added to'),
});

export const undeclaredListSchema = z.object({
  items: z.array(
    z.object({
      identity: z.string(),
      asset: z.string(),
      firstSeen: z.string(),
      lastSeen: z.string(),
      count: z.number().int(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const accessAnswerSchema = z.object({
  allowed: z.boolean(),
  mode: z.enum(ACCESS_POLICIES),
  reason: z.enum(['open', 'declared', 'undeclared', 'unregistered', 'past_sunset']),
  message: z.string(),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
  consumer: z.string().describe('the identity the read was recorded for'),
  asset: z.string(),
});

export const issuedKeySchema = z.object({
  id: z.number().int(),
  consumer: z.string(),
  secret: z.string().describe('shown only in this answer; only its hash is stored'),
  prefix: z.string(),
  createdAt: z.string(),
});

export const keyListSchema = z.object({
  items: z.array(
    z.object({ id: z.number().int(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }),
  ),
});
