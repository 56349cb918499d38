import { z } from 'zod';
import { refSchema } from './model.js';

/** Today as an ISO date in UTC: sunsets are whole days, compared as YYYY-MM-DD strings. */
export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);

/** A sunset has passed once its day is over: on the sunset day itself it still holds. */
export const isPastSunset = (sunsetAt: string | null, today = todayUtc()): boolean =>
  sunsetAt !== null && sunsetAt < today;

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
