import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { issuedKeySchema, keyListSchema } from '../../contracts/usage.js';
import { nameSchema } from '../../domain/model.js';
import { callerOf } from '../authentication.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const consumerPath = z.object({ name: nameSchema });
const keyPath = consumerPath.extend({
  id: z.coerce.number({ error: 'must be a key id' }).int({ error: 'must be a key id' }).min(1).max(2 ** 31 - 1),
});
const errors = { 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors };

export const apiKeyRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/assets/consumer/:name/keys',
      {
        config: { access: 'write' },
        schema: {
          tags: ['usage'],
          summary: 'Issue an API key for a consumer; the secret is shown once',
          params: consumerPath,
          response: { 201: issuedKeySchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await c.tokens.issueKey(callerOf(request), request.params.name)),
    );

    app.get(
      '/v1/assets/consumer/:name/keys',
      {
        config: { access: 'read' },
        schema: {
          tags: ['usage'],
          summary: 'List a consumer\'s API keys (never their secrets)',
          params: consumerPath,
          response: { 200: keyListSchema, ...errors },
        },
      },
      async (request) => ({ items: await c.tokens.listKeys(callerOf(request), request.params.name) }),
    );

    app.delete(
      '/v1/assets/consumer/:name/keys/:id',
      {
        config: { access: 'write' },
        schema: {
          tags: ['usage'],
          summary: 'Revoke an API key; access checks with it get 401 from then on',
          params: keyPath,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await c.tokens.revokeKey(callerOf(request), request.params.name, request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
