import { z } from 'zod';
import { ACCESS_POLICIES, KINDS, LIFECYCLES, STABILITIES, VALUE_TYPES, kindSchema, nameSchema } from '../domain/model.js';
import { slaSchema } from '../domain/asset-schemas.js';
import { cursorSchema } from './cursor.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export const limitSchema = z.coerce
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(1)
  .max(MAX_LIMIT)
  .default(DEFAULT_LIMIT)
  .describe(`page size, 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}`);

const closurePosition = z.object({ distance: z.number().int().min(1), id: z.number().int().min(1) });
export const closureCursor = cursorSchema(closurePosition);
/** An impact page's position in both of its lists (see ImpactCursor). */
export const impactCursor = cursorSchema(closurePosition.extend({ consumers: closurePosition.nullable().optional() }));

export const kindListSchema = z
  .string()
  .transform((text, ctx) => {
    const kinds = text.split(',').map((k) => k.trim()).filter(Boolean);
    const bad = kinds.filter((k) => !(KINDS as readonly string[]).includes(k));
    if (bad.length > 0 || kinds.length === 0) {
      ctx.addIssue({ code: 'custom', message: `must be one or more of ${KINDS.join(', ')}, comma-separated` });
      return z.NEVER;
    }
    return new Set(kinds as (typeof KINDS)[number][]);
  })
  .describe('only items of these kinds (comma-separated); counts are not filtered');

export const closureQuerySchema = z
  .object({
    depth: z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(1)
      .optional()
      .describe('maximum number of hops; absent = unlimited'),
    kind: kindListSchema.optional(),
    limit: limitSchema,
    cursor: closureCursor.optional(),
  })
  .strict();

export const consumersQuerySchema = closureQuerySchema.omit({ kind: true });
export const impactQuerySchema = closureQuerySchema.omit({ kind: true, depth: true }).extend({ cursor: impactCursor.optional() });

export const listQuerySchema = z
  .object({
    kind: kindSchema.optional(),
    owner: z.string().min(1).max(200).optional(),
    lifecycle: z.enum(LIFECYCLES).optional(),
    tag: z.string().min(1).max(200).optional(),
    q: z.string().min(1).max(200).optional().describe('case-insensitive substring of the name or description'),
    limit: limitSchema,
    cursor: cursorSchema(z.object({ kind: kindSchema, name: nameSchema })).optional(),
  })
  .strict();

export const deleteQuerySchema = z
  .object({
    force: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
    reason: z.string().max(2000).optional(),
  })
  .strict();

// ---- responses (documented in the OpenAPI document, checked on the way out) ----

export const warningSchema = z.object({
  code: z.string(),
  message: z.string(),
  asset: z.string().optional().describe('the deprecated asset a deprecation warning is about'),
  replacedBy: z.string().nullable().optional(),
  sunsetAt: z.string().nullable().optional(),
  distance: z.number().int().optional(),
});

export const assetResponseSchema = z.object({
  ref: z.string(),
  kind: z.enum(KINDS),
  name: z.string(),
  owner: z.string(),
  description: z.string().nullable(),
  lifecycle: z.enum(LIFECYCLES),
  tags: z.array(z.string()),
  platforms: z.array(z.string()).nullable(),
  domains: z.array(z.string()).nullable(),
  valueType: z.enum(VALUE_TYPES).nullable(),
  stability: z.enum(STABILITIES).nullable(),
  accessPolicy: z.enum(ACCESS_POLICIES).nullable(),
  contact: z.string().nullable(),
  sla: slaSchema.nullable(),
  metadata: z.record(z.string(), z.unknown()),
  dependsOn: z.array(
    z.object({
      ref: z.string(),
      pinnedVersion: z.string().nullable(),
      importance: z.number().nullable(),
      note: z.string().nullable(),
    }),
  ),
  deprecation: z
    .object({
      reason: z.string(),
      replacedBy: z.string().nullable(),
      sunsetAt: z.string().nullable(),
      deprecatedAt: z.string(),
    })
    .nullable(),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  warnings: z.array(warningSchema),
});

export const assetListResponseSchema = z.object({
  items: z.array(assetResponseSchema),
  nextCursor: z.string().nullable(),
});

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

export const batchResponseSchema = z.object({
  items: z.array(
    z.object({
      ref: z.string(),
      status: z.enum(['created', 'updated', 'unchanged']),
      revision: z.number().int(),
      warnings: z.array(warningSchema).describe('new dependencies on deprecated assets declared by this item'),
    }),
  ),
  counts: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
});

export const importResponseSchema = z.object({
  counts: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
  warnings: z
    .object({
      total: z.number().int(),
      items: z.array(z.object({ ref: z.string(), warnings: z.array(warningSchema) })).describe('the first 100 assets with warnings'),
    })
    .describe('new dependencies on deprecated assets declared by the import'),
});

export const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
