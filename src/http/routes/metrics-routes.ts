import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';

export const metricsRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/metrics',
      {
        config: { access: 'read' },
        schema: {
          tags: ['health'],
          summary: 'Metrics in the Prometheus text format',
          description:
            'Request latency by route and status, closure sizes and times, the graph index\'s lag behind the change log, ' +
            'write-lock waits, the outbox backlog and delivery failures, pool usage and Node\'s own (event-loop delay, ' +
            'heap, GC). Every metric is described in docs/operations.md. Cheap: at most two short statements per scrape.',
          produces: ['text/plain'],
        },
      },
      async (_request, reply) => reply.type(c.scraper.contentType).send(await c.scraper.scrape()),
    );
  };
