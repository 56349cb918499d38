import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import { callerOf } from '../authentication.js';
import {
  notificationListResponseSchema,
  notificationParamsSchema,
  notificationQuerySchema,
  notificationSchema,
  retryQuerySchema,
  retryResponseSchema,
} from '../../contracts/deprecation.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

export const notificationRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/notifications',
      {
        config: { access: 'read' },
        schema: {
          tags: ['deprecation'],
          summary: 'Webhook notices and how their delivery is going, newest first',
          description:
            '`event` is `asset.deprecated`, `asset.reinstated` or `asset.deleted` (a forced deletion). ' +
            '`state` is `pending` (not tried yet), `delivered`, `failing` (will be retried at `nextAttemptAt`) or `given_up`. ' +
            '`consumer` is a consumer\'s name or its ref: `bidder` and `consumer:bidder` are the same filter. ' +
            'Delivered notices are deleted once older than `DEPCAT_OUTBOX_KEEP_MS` (7 days); given_up ones stay until retried.',
          querystring: notificationQuerySchema,
          response: { 200: notificationListResponseSchema, 400: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => {
        const { cursor, ...filter } = request.query;
        return withEncodedCursor(await c.notifications.list({ ...filter, after: cursor }));
      },
    );

    app.post(
      '/v1/notifications/retry',
      {
        config: { access: 'write' },
        schema: {
          tags: ['deprecation'],
          summary: 'Retry the given_up notices about an asset or to a consumer',
          description:
            'Puts up to `limit` given_up notices matching `asset` and/or `consumer` (every given_up notice with neither) back ' +
            'to `pending`, due now, with their attempts reset, oldest first. `remaining` counts those still given_up: call ' +
            'again while it is above 0. No body.',
          querystring: retryQuerySchema,
          response: { 200: retryResponseSchema, 400: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => {
        const { limit, ...filter } = request.query;
        return c.notifications.retryGivenUp(callerOf(request), filter, limit);
      },
    );

    app.post(
      '/v1/notifications/:id/retry',
      {
        config: { access: 'write' },
        schema: {
          tags: ['deprecation'],
          summary: 'Retry a given_up notice',
          description:
            'Puts the notice back to `pending`, due now, with its attempts reset, and answers it. 404 for an unknown id, ' +
            '409 for a notice that is not `given_up` (pending, failing and delivered ones need no retry). No body.',
          params: notificationParamsSchema,
          response: { 200: notificationSchema, 400: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema, ...authErrors },
        },
      },
      async (request) => c.notifications.retry(callerOf(request), request.params.id),
    );
  };
