import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import {
  closureQuerySchema,
  closureResponseSchema,
  consumersQuerySchema,
  consumersResponseSchema,
  impactQuerySchema,
  impactResponseSchema,
} from '../../contracts/lineage.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { assetPathSchema } from '../../domain/asset-schemas.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const errors = { 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors };

export const lineageRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    for (const direction of ['upstream', 'downstream'] as const) {
      app.get(
        `/v1/assets/:kind/:name/${direction}`,
        {
          config: { access: 'read' },
          schema: {
            tags: ['lineage'],
            summary:
              direction === 'upstream'
                ? 'Everything the asset transitively depends on, each with its shortest distance'
                : 'Everything that transitively depends on the asset, each with its shortest distance',
            description:
              'Items are ordered by distance, then by registration order. `total` counts items after the depth and kind ' +
              'filters; `countsByKind` applies depth only. Cycles terminate; the root is never an item.',
            params: assetPathSchema,
            querystring: closureQuerySchema,
            response: { 200: closureResponseSchema, ...errors },
          },
        },
        async (request) => {
          const { depth, kind, limit, cursor } = request.query;
          return withEncodedCursor(await c.lineage.closure(request.params, direction, { depth, kinds: kind, limit, after: cursor }));
        },
      );
    }

    app.get(
      '/v1/assets/:kind/:name/consumers',
      {
        config: { access: 'read' },
        schema: {
          tags: ['lineage'],
          summary: 'Who consumes the asset: every consumer downstream, with contact, SLA, distance and one shortest path',
          description: '`undeclared` lists identities seen reading the asset without a direct declared dependency on it.',
          params: assetPathSchema,
          querystring: consumersQuerySchema,
          response: { 200: consumersResponseSchema, ...errors },
        },
      },
      async (request) => {
        const { depth, limit, cursor } = request.query;
        return withEncodedCursor(await c.lineage.consumers(request.params, { depth, limit, after: cursor }));
      },
    );

    app.get(
      '/v1/assets/:kind/:name/impact',
      {
        config: { access: 'read' },
        schema: {
          tags: ['lineage'],
          summary: 'Pre-deletion impact check: what breaks, whom to tell',
          description:
            '`dependents` and `consumers` are pages of up to `limit` items each; `nextCursor` continues both lists: ' +
            'the next page lists the dependents and the consumers after those shown, so following it to the end shows ' +
            'every dependent and every consumer exactly once (consumers, being dependents too, run out no later; after ' +
            'that `consumers` is empty). The 409 of a refused DELETE carries the first page and the same `nextCursor`. ' +
            '`owners` lists the owners of every dependent.',
          params: assetPathSchema,
          querystring: impactQuerySchema,
          response: { 200: impactResponseSchema, ...errors },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return withEncodedCursor(await c.lineage.impact(request.params, { limit, after: cursor }));
      },
    );
  };
