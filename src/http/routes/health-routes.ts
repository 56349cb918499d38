import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';

const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.object({ database: z.string(), migrations: z.string(), graph: z.string() }),
});

export const healthRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: { access: 'public', probe: true },
        schema: {
          tags: ['health'],
          summary: 'Readiness: database reachable, migrations applied, graph index loaded',
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (_request, reply) => {
        const readiness = await c.health.readiness();
        return reply.code(readiness.ready ? 200 : 503).send(readiness);
      },
    );
  };
