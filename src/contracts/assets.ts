import { z } from 'zod';
import { slaSchema } from '../domain/asset-schemas.js';
import { ACCESS_POLICIES, KINDS, LIFECYCLES, STABILITIES, VALUE_TYPES, kindSchema, nameSchema } from '../domain/model.js';
import { commaListSchema } from './lists.js';
import { cursorSchema, limitSchema } from './paging.js';

// Requests and answers about assets, shared by REST and GraphQL. The bodies themselves
// (assetBodySchema, batchBodySchema) are in domain/asset-schemas.ts: they also validate
// manifests and type the service's write calls.

/** Kinds to keep, one or several: `kind=feature,model` in REST, `kinds` in GraphQL. */
export const kindListSchema = commaListSchema(KINDS);

/** A list continues after the (kind, name) of its last asset. */
export const assetCursor = cursorSchema(z.object({ kind: kindSchema, name: nameSchema }));

export const listQuerySchema = z
  .object({
    kind: kindListSchema.optional().describe('only assets of these kinds (one, or comma-separated)'),
    owner: z.string().min(1).max(200).optional(),
    lifecycle: z.enum(LIFECYCLES).optional(),
    tag: z.string().min(1).max(200).optional(),
    q: z.string().min(1).max(200).optional().describe('case-insensitive substring of the name or description'),
    limit: limitSchema,
    cursor: assetCursor.optional(),
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

// ---- answers (documented in the OpenAPI document, checked on the way out) ----

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

const WRITE_STATUSES = ['created', 'updated', 'unchanged'] as const;
type WriteStatus = (typeof WRITE_STATUSES)[number];

const writeCountsSchema = z.object({ created: z.number(), updated: z.number(), unchanged: z.number() });

export const batchResponseSchema = z.object({
  items: z.array(
    z.object({
      ref: z.string(),
      status: z.enum(WRITE_STATUSES),
      revision: z.number().int(),
      warnings: z.array(warningSchema).describe('new dependencies on deprecated assets declared by this item'),
    }),
  ),
  counts: writeCountsSchema,
});

/** A batch's answer: each item's result, and how many were created, updated or unchanged. */
export function batchAnswer<R extends { status: WriteStatus }>(results: R[]): { items: R[]; counts: Record<WriteStatus, number> } {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  for (const result of results) counts[result.status]++;
  return { items: results, counts };
}

export const importResponseSchema = z.object({
  counts: writeCountsSchema,
  warnings: z
    .object({
      total: z.number().int(),
      items: z.array(z.object({ ref: z.string(), warnings: z.array(warningSchema) })).describe('the first 100 assets with warnings'),
    })
    .describe('new dependencies on deprecated assets declared by the import'),
});
