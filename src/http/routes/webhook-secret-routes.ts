import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { rotatedSecretSchema } from '../../contracts/webhooks.js';
import { nameSchema } from '../../domain/model.js';
import { callerOf } from '../authentication.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const consumerPath = z.object({ name: nameSchema });

export const webhookSecretRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/assets/consumer/:name/webhook-secret',
      {
        config: { access: 'write' },
        schema: {
          tags: ['deprecation'],
          summary: 'Rotate a consumer\'s webhook signing secret; the new secret is shown once',
          description:
            'Every notice is signed as the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, ' +
            '`webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`) with the consumer\'s secret. ' +
            'This makes a new secret, answers it once, and keeps the one it replaces valid for 24 hours: meanwhile ' +
            'each delivery carries a signature with either, so a receiver can switch without missing a notice. ' +
            'A consumer that never rotated has a secret nobody has seen (made at its first delivery): call this to get one. ' +
            'The team that owns the consumer, or an admin, may rotate it.',
          params: consumerPath,
          response: { 201: rotatedSecretSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors },
        },
      },
      async (request, reply) => reply.code(201).send(await c.webhookSecrets.rotate(callerOf(request), request.params.name)),
    );
  };
