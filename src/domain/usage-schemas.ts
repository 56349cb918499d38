import { z } from 'zod';
import { NAME_PATTERN, refSchema } from './model.js';

/** Most events one POST /v1/usage accepts; bigger batches are split by the sender. */
export const MAX_USAGE_EVENTS = 10_000;

/**
 * Who read: a registered consumer's name (`bidder`, or its ref `consumer:bidder`), an
 * API key secret, or any other identity string such as a service account.
 */
export const identitySchema = z
  .string({ error: 'must be a string: a consumer name, an API key or another identity' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200)
  .transform(normaliseIdentity);

/** `consumer:bidder` and `bidder` name the same consumer; store one spelling. */
export function normaliseIdentity(identity: string): string {
  const name = identity.startsWith('consumer:') ? identity.slice('consumer:'.length) : null;
  return name !== null && NAME_PATTERN.test(name) ? name : identity;
}

const instantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z' })
  .transform((text) => new Date(text));

export const usageEventSchema = z
  .object({
    consumer: identitySchema,
    asset: refSchema.describe('the ref read, "kind:name"; it must exist'),
    at: instantSchema.optional().describe('when the read happened; default now'),
    count: z
      .number({ error: 'must be a whole number from 1 to 1000000000' })
      .int({ error: 'must be a whole number from 1 to 1000000000' })
      .min(1, { error: 'must be a whole number from 1 to 1000000000' })
      .max(1_000_000_000, { error: 'must be a whole number from 1 to 1000000000' })
      .optional()
      .describe('how many reads this event stands for; default 1'),
  })
  .strict();
export type UsageEvent = z.infer<typeof usageEventSchema>;

export const usageBodySchema = z
  .object({
    events: z
      .array(usageEventSchema)
      .min(1, { error: 'must list at least one event' })
      .max(MAX_USAGE_EVENTS, { error: `must list at most ${MAX_USAGE_EVENTS} events; send several batches` }),
  })
  .strict();

export const accessCheckBodySchema = z
  .object({
    consumer: identitySchema
      .optional()
      .describe('who wants to read; optional when `Authorization: Bearer <key>` names the consumer'),
    asset: refSchema.describe('the ref to be read, "kind:name"'),
  })
  .strict();

/** `since` as a date (midnight UTC) or a date-time. */
export const sinceSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO 8601 date (2026-01-31) or date-time with a zone',
  })
  .transform((text) => new Date(text))
  .describe('only identities last seen at or after this instant');
