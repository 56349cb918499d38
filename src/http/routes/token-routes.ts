import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { createTokenBodySchema, issuedTokenSchema, tokenListQuerySchema, tokenListSchema, tokenPathSchema } from '../../contracts/tokens.js';
import { callerOf } from '../authentication.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const errors = { 400: errorResponseSchema, ...authErrors };

export const tokenRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/tokens',
      {
        config: { access: 'write' },
        schema: {
          tags: ['tokens'],
          summary: 'Issue a token (admin); its secret is shown once, here',
          description:
            'Neither `team` nor `consumer`: an admin token. `team`: a token for the team that is the `owner` of its assets. ' +
            '`consumer`: a consumer asset\'s own token. Scopes: `read`, `write`, `ingest`, and `admin` for admin tokens only. ' +
            '`expiresAt` omitted: `DEPCAT_TOKEN_TTL_DAYS` from now; `null`: never. 409 when the name is taken.',
          body: createTokenBodySchema,
          response: { 201: issuedTokenSchema, ...errors, 409: errorResponseSchema },
        },
      },
      async (request, reply) => reply.code(201).send(await c.tokens.create(callerOf(request), request.body)),
    );

    app.get(
      '/v1/tokens',
      {
        config: { access: 'write' },
        schema: {
          tags: ['tokens'],
          summary: 'List tokens (admin), revoked and expired ones included; never their secrets',
          querystring: tokenListQuerySchema,
          response: { 200: tokenListSchema, ...errors },
        },
      },
      async (request) => {
        const { cursor, ...query } = request.query;
        return withEncodedCursor(await c.tokens.list(callerOf(request), { ...query, after: cursor }));
      },
    );

    app.delete(
      '/v1/tokens/:id',
      {
        config: { access: 'write' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke a token (admin): every request with it gets 401 from then on, in every process',
          params: tokenPathSchema,
          response: { 204: z.null(), ...errors, 404: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await c.tokens.revoke(callerOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
