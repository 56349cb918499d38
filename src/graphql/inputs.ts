import { z } from 'zod';
import { assetCursor, deleteQuerySchema, listQuerySchema } from '../contracts/assets.js';
import { notificationIdSchema, notificationQuerySchema, retryFilterSchema } from '../contracts/deprecation.js';
import { toFieldIssues } from '../contracts/field-issues.js';
import { findingAssetSchema, findingCursor, findingOwnerSchema } from '../contracts/findings.js';
import { closureCursor, depthSchema, impactCursor } from '../contracts/lineage.js';
import { listSetSchema } from '../contracts/lists.js';
import { idCursor, limitSchema } from '../contracts/paging.js';
import { undeclaredQuerySchema } from '../contracts/usage.js';
import { assetBodySchema, batchBodySchema } from '../domain/asset-schemas.js';
import { findBadText } from '../domain/text-guard.js';
import { deprecateBodySchema, reinstateBodySchema } from '../domain/deprecation.js';
import { InputError } from '../domain/errors.js';
import { FINDING_TYPES, SEVERITIES } from '../domain/finding.js';
import { kindSchema, refSchema } from '../domain/model.js';
import { usageBodySchema } from '../domain/usage-schemas.js';

/**
 * The zod schemas that validate GraphQL arguments: the shared contracts (src/contracts/)
 * REST validates with, arranged under the argument names, so a field fails the same way
 * through either adapter and the issue names the argument path (`input.dependsOn[0]`,
 * `assets[3].owner`, `first`). Filters over several values are plural lists here
 * (`kinds`, `types`), where REST takes the singular name with a comma-separated list.
 */
export const assetArgs = z.object({ ref: refSchema });

const kindsSchema = listSetSchema(kindSchema, 'kind');

export const assetsArgs = z.object({
  filter: z
    .object({
      kinds: kindsSchema.optional(),
      /** Deprecated in the schema for `kinds`; still honoured, together with `kinds`. */
      kind: kindSchema.optional(),
      ...listQuerySchema.pick({ owner: true, lifecycle: true, tag: true, q: true }).shape,
    })
    .strict()
    .transform(({ kind, kinds, ...filter }) => ({
      ...filter,
      kinds: kind === undefined ? kinds : new Set([kind, ...(kinds ?? [])]),
    }))
    .optional(),
  first: limitSchema,
  after: assetCursor.optional(),
});

const closurePaging = {
  depth: depthSchema.optional(),
  first: limitSchema,
  after: closureCursor.optional(),
};

export const closureArgs = z.object({ ...closurePaging, kinds: kindsSchema.optional() });
export const consumersArgs = z.object(closurePaging);
export const impactArgs = z.object({ first: closurePaging.first, after: impactCursor.optional() });

/** The revision a client last saw, as REST's If-Match: a stale one refuses the write (PRECONDITION_FAILED). */
const ifMatchArg = z.number().int().min(0).optional();

export const upsertAssetArgs = z.object({
  ref: refSchema,
  input: assetBodySchema,
  ifMatch: ifMatchArg,
});

export const upsertAssetsArgs = batchBodySchema;

export const deleteAssetArgs = z.object({
  ref: refSchema,
  force: z.boolean().default(false),
  reason: deleteQuerySchema.shape.reason,
  ifMatch: ifMatchArg,
});

export const historyArgs = z.object({ first: limitSchema, after: idCursor.optional() });
export const refHistoryArgs = historyArgs.extend({ ref: refSchema });

/**
 * The arguments of the fields below Query and Mutation, by schema coordinate: their
 * resolvers parse them, and operation-checks.ts parses them again before execution, so
 * that a bad one refuses the operation before a parent's work (a mutation's write) is done.
 */
export const NESTED_FIELD_ARGS: Readonly<Record<string, z.ZodType>> = {
  'Asset.upstream': closureArgs,
  'Asset.downstream': closureArgs,
  'Asset.consumers': consumersArgs,
  'Asset.impact': impactArgs,
  'Asset.history': historyArgs,
};

export const notificationsArgs = z.object({
  filter: notificationQuerySchema.pick({ state: true, asset: true, consumer: true }).strict().optional(),
  first: limitSchema,
  after: idCursor.optional(),
});

export const retryNotificationArgs = z.object({ id: notificationIdSchema });

export const retryNotificationsArgs = z.object({ filter: retryFilterSchema.optional(), first: limitSchema });

export const deprecateAssetArgs = z.object({ ref: refSchema, input: deprecateBodySchema });

export const reinstateAssetArgs = reinstateBodySchema.extend({ ref: refSchema });

export const recordUsageArgs = usageBodySchema;

export const findingsArgs = z.object({
  filter: z
    .object({
      types: listSetSchema(z.enum(FINDING_TYPES), 'type').optional(),
      severities: listSetSchema(z.enum(SEVERITIES), 'severity').optional(),
      asset: findingAssetSchema.optional(),
      owner: findingOwnerSchema.optional(),
    })
    .strict()
    .optional(),
  first: limitSchema,
  after: findingCursor.optional(),
});

export const undeclaredConsumersArgs = z.object({
  asset: undeclaredQuerySchema.shape.asset,
  since: undeclaredQuerySchema.shape.since,
  first: limitSchema,
  after: undeclaredQuerySchema.shape.cursor,
});

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
  // Variables and inline literals alike, before anything walks them or stores them.
  const bad = findBadText(args);
  if (bad) {
    const [issue] = toFieldIssues([bad], 'body');
    throw InputError.field(issue.field, issue.message);
  }
  const parsed = schema.safeParse(withoutNulls(args));
  if (parsed.success) return parsed.data;
  const issues = toFieldIssues(parsed.error.issues, 'body');
  throw new InputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}
