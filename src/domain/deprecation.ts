import { z } from 'zod';
import { refSchema, type Lifecycle } from './model.js';

/** Today as an ISO date in UTC: sunsets are whole days, compared as YYYY-MM-DD strings. */
export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);

/** A sunset has passed once its day is over: on the sunset day itself it still holds. */
export const isPastSunset = (sunsetAt: string | null, today = todayUtc()): boolean =>
  sunsetAt !== null && sunsetAt < today;

/** The lifecycles that by themselves make an asset deprecated. */
const DEPRECATED_LIFECYCLES: readonly Lifecycle[] = ['deprecated', 'retired'];

/**
 * What "deprecated" means everywhere (read-time warnings, the closure index's flag, access
 * checks, findings, write rules): the lifecycle says deprecated or retired, or a deprecation
 * is recorded (`recorded`: a PUT may set another lifecycle and keeps the record).
 * `deprecatedSql` is the same rule for SQL; test/deprecated-rule.test.ts holds them equal.
 */
export const isDeprecated = (lifecycle: Lifecycle, recorded = false): boolean =>
  recorded || DEPRECATED_LIFECYCLES.includes(lifecycle);

/**
 * isDeprecated as a SQL condition on the `assets` row named `alias`. A recorded deprecation
 * always has `deprecated_at` (see AssetRepository.setDeprecation). The partial index
 * assets_deprecated_idx (migrations/003) has this predicate, so that reads of the few
 * deprecated assets among many ids are index probes: change both together.
 */
export const deprecatedSql = (alias = 'a'): string =>
  `(${alias}.lifecycle IN (${DEPRECATED_LIFECYCLES.map((l) => `'${l}'`).join(', ')}) OR ${alias}.deprecated_at IS NOT NULL)`;

const isoDateSchema = z.iso.date({ error: 'must be a date written YYYY-MM-DD' });

/** The body of `POST /v1/assets/{kind}/{name}/deprecate`. */
export const deprecateBodySchema = z
  .object({
    reason: z
      .string({ error: 'is required: say why the asset is deprecated' })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(2000),
    replacedBy: refSchema.nullish().describe('the asset to use instead, "kind:name"; it must exist'),
    sunsetAt: isoDateSchema
      .nullish()
      .describe('the last day new dependencies are accepted (UTC), YYYY-MM-DD; not in the past for a new deprecation'),
  })
  .strict();
export type DeprecateBody = z.infer<typeof deprecateBodySchema>;

/** The body of `POST /v1/assets/{kind}/{name}/reinstate`; may be empty. */
export const reinstateBodySchema = z
  .object({
    lifecycle: z
      .enum(['experimental', 'production'])
      .optional()
      .describe('the lifecycle the asset returns to; default production'),
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .strict();
export type ReinstateBody = z.infer<typeof reinstateBodySchema>;
