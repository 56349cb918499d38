import { z } from 'zod';

/** A rotation's answer: the one place a webhook signing secret is shown. */
export const rotatedSecretSchema = z.object({
  consumer: z.string().describe('the consumer\'s name'),
  secret: z
    .string()
    .describe('`whsec_` and the base64 of 32 random bytes: the Standard Webhooks signing key. Shown only in this answer'),
  createdAt: z.string(),
  previousValidUntil: z
    .string()
    .optional()
    .describe('until then deliveries also carry a signature with the secret this one replaced; absent for a first secret'),
});
