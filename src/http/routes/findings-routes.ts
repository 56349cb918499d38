import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import { findingsQuerySchema, findingsResponseSchema } from '../../contracts/findings.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { authErrors, errorResponseSchema } from '../schemas.js';
import { restFinding } from '../hints.js';

export const findingsRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/findings',
      {
        config: { access: 'read' },
        schema: {
          tags: ['findings'],
          summary: 'ML technical-debt findings: feedback loops, correction cascades, unstable and underutilised dependencies',
          description:
            'Ordered by type, then by the ids of the assets named; the order is stable, so cursors survive unrelated ' +
            'changes. `total` counts every finding matching the filters. A page holds at most `limit` findings and ' +
            '4 MiB of JSON; a shorter page with a `nextCursor` is not the end. See docs/findings.md for the types.',
          querystring: findingsQuerySchema,
          response: { 200: findingsResponseSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => {
        const { type, severity, asset, owner, limit, cursor } = request.query;
        const page = await c.findings.list({ types: type, severities: severity, asset, owner, limit, after: cursor });
        return withEncodedCursor({ ...page, items: page.items.map(restFinding) });
      },
    );
  };
