import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import { callerOf } from '../authentication.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { undeclaredListSchema, undeclaredQuerySchema, usageReceiptSchema } from '../../contracts/usage.js';
import { usageBodySchema } from '../../domain/usage-schemas.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

export const usageRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/usage',
      {
        config: { access: 'write' },
        schema: {
          tags: ['usage'],
          summary: 'Report observed reads',
          description:
            '`consumer` is a registered consumer\'s name, one of its API keys (counted as that consumer), or any other ' +
            'identity string. Reads are summed per (identity, asset): first seen, last seen, count. Every event is ' +
            'checked first; a batch with any bad event (an unknown asset, say) is a 400 naming `events[i].field` and ' +
            'writes nothing.',
          body: usageBodySchema,
          response: { 200: usageReceiptSchema, 400: errorResponseSchema, 413: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => c.usage.ingest(callerOf(request), request.body.events),
    );

    app.get(
      '/v1/undeclared-consumers',
      {
        config: { access: 'read' },
        schema: {
          tags: ['usage'],
          summary: 'Identities that read an asset without a direct declared dependency on it',
          description:
            'Ordered by asset (registration order) then identity. `since` keeps identities last seen at or after it; ' +
            '`count` is the all-time count. Declaring the dependency removes the pair from the list at once.',
          querystring: undeclaredQuerySchema,
          response: { 200: undeclaredListSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => {
        const { cursor, ...query } = request.query;
        return withEncodedCursor(await c.usage.undeclared({ ...query, after: cursor }));
      },
    );
  };
