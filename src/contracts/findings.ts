import { z } from 'zod';
import { FINDING_TYPES, SEVERITIES } from '../domain/finding.js';
import { refSchema } from '../domain/model.js';
import { commaListSchema } from './lists.js';
import { cursorSchema, limitSchema } from './paging.js';

// Requests and answers of the findings, shared by REST and GraphQL.

/** A listing continues after the type and sort key of its last finding. */
export const findingCursor = cursorSchema(
  z.object({
    type: z.enum(FINDING_TYPES),
    key: z.array(z.union([z.number().int(), z.string()])).min(1).max(100_000),
  }),
);

export const findingAssetSchema = refSchema.describe('only findings about this asset, "kind:name" (404 if it does not exist)');
export const findingOwnerSchema = z.string().min(1).max(200).describe('only findings naming an asset of this owner');

export const findingsQuerySchema = z
  .object({
    type: commaListSchema(FINDING_TYPES).optional().describe('only findings of these types (comma-separated)'),
    severity: commaListSchema(SEVERITIES).optional().describe('only findings of these severities (comma-separated)'),
    asset: findingAssetSchema.optional(),
    owner: findingOwnerSchema.optional(),
    limit: limitSchema,
    cursor: findingCursor.optional(),
  })
  .strict();

export const findingSchema = z.object({
  type: z.enum(FINDING_TYPES),
  severity: z.enum(SEVERITIES),
  assets: z
    .array(z.string())
    .describe('the assets involved, a chain or loop in order; at most 20: a longer one lists its first 19 and its last'),
  assetsTotal: z.number().int().optional().describe('only when `assets` is cut short: how many assets the chain or loop has in all'),
  message: z.string(),
  fix: z.string(),
});

export const findingsResponseSchema = z.object({
  items: z.array(findingSchema),
  total: z.number().int(),
  nextCursor: z.string().nullable(),
});
