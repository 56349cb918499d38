import { z } from 'zod';
import { FINDING_TYPES, SEVERITIES } from '../domain/finding.js';
import { findingsQuerySchema } from '../http/routes/findings-routes.js';
import { assetBodySchema, batchBodySchema } from '../domain/asset-schemas.js';
import { InputError } from '../domain/errors.js';
import { kindSchema, refSchema } from '../domain/model.js';
import { deprecateBodySchema, reinstateBodySchema } from '../domain/deprecation.js';
import { usageBodySchema } from '../domain/usage-schemas.js';
import { historyQuerySchema, notificationQuerySchema } from '../http/deprecation-schemas.js';
import { toFieldIssues } from '../http/error-handler.js';
import { undeclaredQuerySchema } from '../http/routes/usage-routes.js';
import { closureCursor, closureQuerySchema, deleteQuerySchema, impactCursor, limitSchema, listQuerySchema } from '../http/schemas.js';

/**
 * The zod schemas that validate GraphQL arguments: the REST ones, arranged under the
 * argument names, so a field fails the same way through either adapter and the issue
 * names the argument path (`input.dependsOn[0]`, `assets[3].owner`, `first`).
 */
export const assetArgs = z.object({ ref: refSchema });

export const assetsArgs = z.object({
  filter: listQuerySchema.pick({ kind: true, owner: true, lifecycle: true, tag: true, q: true }).strict().optional(),
  first: limitSchema,
  after: listQuerySchema.shape.cursor,
});

const closurePaging = {
  depth: closureQuerySchema.shape.depth,
  first: limitSchema,
  after: closureCursor.optional(),
};

export const closureArgs = z.object({
  ...closurePaging,
  kinds: z
    .array(kindSchema)
    .min(1, { error: 'must list at least one kind' })
    .transform((kinds) => new Set(kinds))
    .optional(),
});
export const consumersArgs = z.object(closurePaging);
export const impactArgs = z.object({ first: closurePaging.first, after: impactCursor.optional() });

export const upsertAssetArgs = z.object({
  ref: refSchema,
  input: assetBodySchema,
  ifMatch: z.number().int().min(0).optional(),
});

export const upsertAssetsArgs = batchBodySchema;

export const deleteAssetArgs = z.object({
  ref: refSchema,
  force: z.boolean().default(false),
  reason: deleteQuerySchema.shape.reason,
});

export const historyArgs = z.object({ first: historyQuerySchema.shape.limit, after: historyQuerySchema.shape.cursor });
export const refHistoryArgs = historyArgs.extend({ ref: refSchema });

export const notificationsArgs = z.object({
  filter: notificationQuerySchema.pick({ state: true, asset: true, consumer: true }).strict().optional(),
  first: notificationQuerySchema.shape.limit,
  after: notificationQuerySchema.shape.cursor,
});

export const deprecateAssetArgs = z.object({ ref: refSchema, input: deprecateBodySchema });

export const reinstateAssetArgs = reinstateBodySchema.extend({ ref: refSchema });

export const recordUsageArgs = usageBodySchema;

export const findingsArgs = z.object({
  filter: z
    .object({
      types: z.array(z.enum(FINDING_TYPES)).min(1).optional(),
      severities: z.array(z.enum(SEVERITIES)).min(1).optional(),
      asset: findingsQuerySchema.shape.asset,
      owner: findingsQuerySchema.shape.owner,
    })
    .strict()
    .optional(),
  first: findingsQuerySchema.shape.limit,
  after: findingsQuerySchema.shape.cursor,
});

export const undeclaredConsumersArgs = z.object({
  asset: undeclaredQuerySchema.shape.asset,
  since: undeclaredQuerySchema.shape.since,
  first: undeclaredQuerySchema.shape.limit,
  after: undeclaredQuerySchema.shape.cursor,
});

/**
 * A service names the fields of the body it was given (`replacedBy`); GraphQL nests that
 * body under an argument (`input`), so its issues are re-rooted there.
 */
export async function underArgument<T>(argument: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const issues = error.issues.map((issue) => ({ ...issue, field: `${argument}.${issue.field}` }));
    throw new InputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
}

/**
 * In GraphQL an explicit null for an optional input means "no value", which zod spells
 * as an absent key; drop them so `tags: null` reads like a missing `tags`. `metadata`
 * is the user's own JSON and is kept exactly as sent.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, k === 'metadata' ? v : withoutNulls(v)]),
  );
}

/** Validates resolver arguments; a failure is the same InputError (and FieldIssue list) as REST's 400. */
export function parseArgs<T extends z.ZodType>(schema: T, args: unknown): z.output<T> {
  const parsed = schema.safeParse(withoutNulls(args));
  if (parsed.success) return parsed.data;
  const issues = toFieldIssues(parsed.error.issues, 'body');
  throw new InputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}
