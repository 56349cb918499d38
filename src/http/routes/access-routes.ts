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
            'included) and everyone once the asset is past its sunset date. With `Authorization: Bearer <token>` of a consumer ' +
            '(one of its keys), the token names the consumer and any `consumer` in the body is ignored; an unknown, expired ' +
            'or revoked token is a 401. Any other caller names the consumer in the body.',
          body: accessCheckBodySchema,
          response: {
            200: accessAnswerSchema,
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
            429: errorResponseSchema,
          },
        },
      },
      async (request) =>
        c.access.check(callerOf(request), { asset: request.body.asset, consumer: request.body.consumer }),
    );
  };
