import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import { accessAnswerSchema } from '../../contracts/usage.js';
import { accessCheckBodySchema } from '../../domain/usage-schemas.js';
import { callerOf } from '../authentication.js';
import { errorResponseSchema } from '../schemas.js';

export const accessRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/access-check',
      {
        config: { access: 'service' },
        schema: {
          tags: ['usage'],
          summary: 'May this consumer read this asset? Recorded as one read either way',
          description:
            'The mode is the asset\'s `accessPolicy`, else the server default. `open` allows; `warn` allows and warns ' +
            'an undeclared reader; `enforce` refuses readers without a direct declared dependency (unknown names ' +
            'included) and everyone once the asset is past its sunset date. With a consumer\'s token (`Authorization: Bearer <key>`) ' +
            'the token names the consumer: `consumer` may be left out, and a body naming another consumer is ignored; an ' +
            'unknown, expired or revoked token is a 401.',
          body: accessCheckBodySchema,
          response: {
            200: accessAnswerSchema,
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
          },
        },
      },
      async (request) =>
        c.access.check(callerOf(request), { asset: request.body.asset, consumer: request.body.consumer }),
    );
  };
