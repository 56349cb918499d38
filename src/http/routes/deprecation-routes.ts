import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Container } from '../../container.js';
import { assetResponseSchema } from '../../contracts/assets.js';
import {
  deprecationResponseSchema,
  historyQuerySchema,
  historyResponseSchema,
} from '../../contracts/deprecation.js';
import { withEncodedCursor } from '../../contracts/paging.js';
import { assetPathSchema } from '../../domain/asset-schemas.js';
import { deprecateBodySchema, reinstateBodySchema } from '../../domain/deprecation.js';
import { callerOf } from '../authentication.js';
import { etag } from '../request-context.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const errors = { 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors };

export const deprecationRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/assets/:kind/:name/deprecate',
      {
        config: { access: 'write' },
        schema: {
          tags: ['deprecation'],
          summary: 'Deprecate an asset and tell every affected consumer',
          description:
            'The lifecycle becomes `deprecated`. Answers with every consumer transitively downstream. Consumers with an ' +
            '`sla.notify` webhook are sent an `asset.deprecated` notice through the outbox (see `GET /v1/notifications`). ' +
            'Sending it again with other values updates the deprecation and notifies again; with the same values it changes nothing. ' +
            'After `sunsetAt`, new dependencies on the asset are refused (409).',
          params: assetPathSchema,
          body: deprecateBodySchema,
          response: { 200: deprecationResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        const result = await c.deprecations.deprecate(request.params, request.body, callerOf(request));
        reply.header('etag', etag(result.asset.revision));
        return result;
      },
    );

    app.post(
      '/v1/assets/:kind/:name/reinstate',
      {
        config: { access: 'write' },
        schema: {
          tags: ['deprecation'],
          summary: 'Undo a deprecation',
          description:
            'Clears the deprecation; the lifecycle becomes `lifecycle` (default `production`). 409 when the asset is not deprecated. ' +
            'Consumers downstream with an `sla.notify` webhook are sent an `asset.reinstated` notice through the outbox. ' +
            'The body may be omitted.',
          params: assetPathSchema,
          body: reinstateBodySchema.nullish(),
          response: { 200: assetResponseSchema, ...errors, 409: errorResponseSchema },
        },
      },
      async (request, reply) => {
        const asset = await c.deprecations.reinstate(request.params, request.body ?? {}, callerOf(request));
        reply.header('etag', etag(asset.revision));
        return asset;
      },
    );

    app.get(
      '/v1/assets/:kind/:name/history',
      {
        config: { access: 'read' },
        schema: {
          tags: ['deprecation'],
          summary: 'The recorded changes of an asset, newest first',
          description:
            'Every create, update, deprecation, reinstatement and deletion with actor, time, revision, a field-level diff and ' +
            'the reason given. Readable after the asset is deleted; an asset created again under the same ref continues it. ' +
            '404 only when the ref never existed.',
          params: assetPathSchema,
          querystring: historyQuerySchema,
          response: { 200: historyResponseSchema, ...errors },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return withEncodedCursor(await c.history.list(request.params, { limit, after: cursor }));
      },
    );
  };
