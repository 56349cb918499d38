import { z } from 'zod';
import { slaSchema } from '../domain/asset-schemas.js';
import { KINDS } from '../domain/model.js';
import { kindListSchema } from './assets.js';
import { cursorSchema, limitSchema } from './paging.js';

// Requests and answers of closures, consumers and impact, shared by REST and GraphQL.

const closurePosition = z.object({ distance: z.number().int().min(1), id: z.number().int().min(1) });
/** A closure continues after the (distance, id) of its last item. */
export const closureCursor = cursorSchema(closurePosition);
/** An impact page's position in both of its lists, dependents and consumers (see ImpactCursor). */
export const impactCursor = cursorSchema(closurePosition.extend({ consumers: closurePosition.nullable().optional() }));

const DEPTH_RULE = 'must be a whole number, 1 or more';

export const depthSchema = z.coerce
  .number({ error: DEPTH_RULE })
  .int({ error: DEPTH_RULE })
  .min(1, { error: DEPTH_RULE })
  .describe('maximum number of hops; absent = unlimited');

export const closureQuerySchema = z
  .object({
    depth: depthSchema.optional(),
    kind: kindListSchema.optional().describe('only items of these kinds (one, or comma-separated); counts are not filtered'),
    limit: limitSchema,
    cursor: closureCursor.optional(),
  })
  .strict();

export const consumersQuerySchema = closureQuerySchema.omit({ kind: true });
export const impactQuerySchema = closureQuerySchema.omit({ kind: true, depth: true }).extend({ cursor: impactCursor.optional() });

// ---- answers ----

const countsSchema = z.object({ source: z.number(), feature: z.number(), model: z.number(), consumer: z.number() });

export const closureItemSchema = z.object({
  ref: z.string(),
  kind: z.enum(KINDS),
  name: z.string(),
  owner: z.string(),
  distance: z.number().int(),
});

export const closureResponseSchema = z.object({
  root: z.string(),
  direction: z.enum(['upstream', 'downstream']),
  total: z.number().int(),
  countsByKind: countsSchema,
  items: z.array(closureItemSchema),
  nextCursor: z.string().nullable(),
});

export const consumerItemSchema = z.object({
  ref: z.string(),
  name: z.string(),
  owner: z.string(),
  contact: z.string().nullable(),
  sla: slaSchema.nullable(),
  distance: z.number().int(),
  path: z.array(z.string()),
});

export const undeclaredReaderSchema = z.object({
  identity: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  count: z.number().int(),
});

export const consumersResponseSchema = z.object({
  root: z.string(),
  total: z.number().int(),
  consumers: z.array(consumerItemSchema),
  nextCursor: z.string().nullable(),
  undeclared: z.array(undeclaredReaderSchema),
});

export const impactResponseSchema = z.object({
  root: z.string(),
  safeToDelete: z.boolean(),
  total: z.number().int(),
  countsByKind: countsSchema,
  dependents: z.array(closureItemSchema),
  consumers: z.array(consumerItemSchema),
  owners: z.array(z.string()),
  nextCursor: z.string().nullable(),
});
