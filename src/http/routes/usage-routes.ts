import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { refSchema } from '../../domain/model.js';
import { sinceSchema, usageBodySchema } from '../../domain/usage-schemas.js';
import { cursorSchema, encodeCursor } from '../cursor.js';
import { errorResponseSchema, limitSchema } from '../schemas.js';
import { undeclaredListSchema, usageReceiptSchema } from '../usage-responses.js';

export const undeclaredQuerySchema = z
  .object({
    asset: refSchema.optional().describe('only readers of this asset'),
    since: sinceSchema.optional(),
    limit: limitSchema,
    cursor: cursorSchema(z.object({ a: z.number().int().min(1), i: z.string() })).optional(),
  })
  .strict();

export const usageRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/usage',
      {
        schema: {
          tags: ['usage'],
          summary: 'Report observed reads',
          description:
            '`consumer` is a registered consumer\'s name, one of its API keys (counted as that consumer), or any other ' +
            'identity string. Reads are summed per (identity, asset): first seen, last seen, count. Every event is ' +
            'checked first; a batch with any bad event (an unknown asset, say) is a 400 naming `events[i].field` and ' +
            'writes nothing.',
          body: usageBodySchema,
          response: { 200: usageReceiptSchema, 400: errorResponseSchema, 413: errorResponseSchema },
        },
      },
      async (request) => c.usage.ingest(request.body.events),
    );

    app.get(
      '/v1/undeclared-consumers',
      {
        schema: {
          tags: ['usage'],
          summary: 'Identities that read an asset without a direct declared dependency on it',
          description:
            'Ordered by asset (registration order) then identity. `since` keeps identities last seen at or after it; ' +
            '`count` is the all-time count. Declaring the dependency removes the pair from the list at once.',
          querystring: undeclaredQuerySchema,
          response: { 200: undeclaredListSchema, 400: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => {
        const { asset, since, limit, cursor } = request.query;
        const rows = await c.usage.undeclared({
          asset,
          since,
          limit: limit + 1,
          after: cursor ? { assetId: cursor.a, identity: cursor.i } : undefined,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          items: page.map(({ assetId: _id, ...item }) => item),
          nextCursor: rows.length > limit ? encodeCursor({ a: last.assetId, i: last.identity }) : null,
        };
      },
    );
  };
