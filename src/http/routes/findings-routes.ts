import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { FINDING_TYPES, SEVERITIES } from '../../domain/finding.js';
import { refSchema } from '../../domain/model.js';
import { cursorSchema, encodeCursor } from '../cursor.js';
import { errorResponseSchema, limitSchema } from '../schemas.js';

/** A comma-separated list of allowed values, parsed to a set; the message lists them. */
const listOf = <T extends string>(allowed: readonly T[], what: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const values = text.split(',').map((v) => v.trim()).filter(Boolean);
      if (values.length === 0 || values.some((v) => !(allowed as readonly string[]).includes(v))) {
        ctx.addIssue({ code: 'custom', message: `must be one or more of ${allowed.join(', ')}, comma-separated` });
        return z.NEVER;
      }
      return new Set(values as T[]);
    })
    .describe(`only findings of these ${what} (comma-separated)`);

export const findingsQuerySchema = z
  .object({
    type: listOf(FINDING_TYPES, 'types').optional(),
    severity: listOf(SEVERITIES, 'severities').optional(),
    asset: refSchema.optional().describe('only findings about this asset, "kind:name" (404 if it does not exist)'),
    owner: z.string().min(1).max(200).optional().describe('only findings naming an asset of this owner'),
    limit: limitSchema,
    cursor: cursorSchema(
      z.object({
        type: z.enum(FINDING_TYPES),
        key: z.array(z.union([z.number().int(), z.string()])).min(1).max(100_000),
      }),
    ).optional(),
  })
  .strict();

export const findingSchema = z.object({
  type: z.enum(FINDING_TYPES),
  severity: z.enum(SEVERITIES),
  assets: z.array(z.string()).describe('the assets involved, a chain or loop in order; at most 20: a longer one lists its first 19 and its last'),
  assetsTotal: z.number().int().optional().describe('only when `assets` is cut short: how many assets the chain or loop has in all'),
  message: z.string(),
  fix: z.string(),
});

export const findingsResponseSchema = z.object({
  items: z.array(findingSchema),
  total: z.number().int(),
  nextCursor: z.string().nullable(),
});

export const findingsRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/findings',
      {
        schema: {
          tags: ['findings'],
          summary: 'ML technical-debt findings: feedback loops, correction cascades, unstable and underutilised dependencies',
          description:
            'Ordered by type, then by the ids of the assets named; the order is stable, so cursors survive unrelated ' +
            'changes. `total` counts every finding matching the filters. A page holds at most `limit` findings and ' +
            '4 MiB of JSON; a shorter page with a `nextCursor` is not the end. See docs/findings.md for the types.',
          querystring: findingsQuerySchema,
          response: { 200: findingsResponseSchema, 400: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => {
        const { type, severity, asset, owner, limit, cursor } = request.query;
        const page = await c.findings.list({ types: type, severities: severity, asset, owner, limit, after: cursor });
        return { ...page, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null };
      },
    );
  };
