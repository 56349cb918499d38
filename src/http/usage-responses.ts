import { z } from 'zod';
import { ACCESS_POLICIES } from '../domain/model.js';

export const usageReceiptSchema = z.object({
  events: z.number().int().describe('events accepted'),
  reads: z.number().int().describe('reads they stand for (the sum of their counts)'),
  pairs: z.number().int().describe('distinct (identity, asset) pairs they were added to'),
});

export const undeclaredListSchema = z.object({
  items: z.array(
    z.object({
      identity: z.string(),
      asset: z.string(),
      firstSeen: z.string(),
      lastSeen: z.string(),
      count: z.number().int(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const accessAnswerSchema = z.object({
  allowed: z.boolean(),
  mode: z.enum(ACCESS_POLICIES),
  reason: z.enum(['open', 'declared', 'undeclared', 'unregistered', 'past_sunset']),
  message: z.string(),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
  consumer: z.string().describe('the identity the read was recorded for'),
  asset: z.string(),
});

export const issuedKeySchema = z.object({
  id: z.number().int(),
  consumer: z.string(),
  secret: z.string().describe('shown only in this answer; only its hash is stored'),
  prefix: z.string(),
  createdAt: z.string(),
});

export const keyListSchema = z.object({
  items: z.array(
    z.object({ id: z.number().int(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }),
  ),
});
