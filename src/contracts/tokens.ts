import { z } from 'zod';
import { nameSchema } from '../domain/model.js';
import { SCOPES } from '../domain/principal.js';
import { findBadText } from '../domain/text-guard.js';
import { idCursor, limitSchema } from './paging.js';

// Requests and answers of the token routes (REST only: tokens are an operator's business).

const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,199}$/;
const TOKEN_NAME_RULE =
  'must start with a letter or digit, followed by at most 199 letters, digits, "_", ".", ":", "/", "@" or "-"';

export const tokenNameSchema = z
  .string({ error: 'must be a string' })
  .regex(TOKEN_NAME_PATTERN, { error: TOKEN_NAME_RULE })
  .describe("the token's name: the history's actor for every change made with it");

/** A team is an asset `owner`, held to the same rule. */
export const teamSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .refine((text) => !findBadText(text), { error: 'must be text without control characters' });

const scopesSchema = z
  .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }), { error: 'must be a list of scopes' })
  .min(1, { error: 'must name at least one scope' })
  .refine((scopes) => new Set(scopes).size === scopes.length, { error: 'must not repeat a scope' });

export const createTokenBodySchema = z
  .strictObject({
    name: tokenNameSchema,
    team: teamSchema.optional().describe('a team token: its name is the `owner` of the assets it may change'),
    consumer: nameSchema.optional().describe("a consumer token: the consumer asset's name"),
    scopes: scopesSchema.describe('read, write, ingest; admin only for an admin token (neither team nor consumer)'),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2027-03-01T00:00:00Z' })
      .nullable()
      .optional()
      .describe('when it stops working; omitted: DEPCAT_TOKEN_TTL_DAYS from now; null: never'),
  })
  .refine((body) => !(body.team !== undefined && body.consumer !== undefined), {
    error: 'a token is for a team or for a consumer, not both',
    path: ['consumer'],
  });
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

const tokenFields = {
  id: z.number().int(),
  name: z.string(),
  team: z.string().nullable(),
  consumer: z.string().nullable(),
  scopes: z.array(z.enum(SCOPES)),
  prefix: z.string().describe("the secret's first characters, to recognise it"),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
};

export const tokenSchema = z.object({ ...tokenFields, revokedAt: z.string().nullable() });

export const issuedTokenSchema = z.object({
  ...tokenFields,
  secret: z.string().describe('shown only in this answer; only its hash is stored'),
});

export const tokenListQuerySchema = z.strictObject({
  team: teamSchema.optional(),
  consumer: nameSchema.optional(),
  limit: limitSchema,
  cursor: idCursor.optional(),
});

export const tokenListSchema = z.object({ items: z.array(tokenSchema), nextCursor: z.string().nullable() });

export const tokenPathSchema = z.object({
  id: z.coerce.number({ error: 'must be a token id' }).int({ error: 'must be a token id' }).min(1).max(2 ** 31 - 1),
});
