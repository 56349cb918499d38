import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { writeItem } from '../../services/assets/asset-service.js';
import { ConflictError } from '../../domain/errors.js';
import {
  assetListResponseSchema,
  assetResponseSchema,
  batchAnswer,
  batchResponseSchema,
  deleteQuerySchema,
  importResponseSchema,
  listQuerySchema,
} from '../../contracts/assets.js';
import { encodeCursor, withEncodedCursor } from '../../contracts/paging.js';
import { assetBodySchema, assetPathSchema, batchBodySchema } from '../../domain/asset-schemas.js';
import { InputError } from '../../domain/errors.js';
import { importChunks } from '../ndjson.js';
import { callerOf } from '../authentication.js';
import { etag, ifMatchOf } from '../request-context.js';
import { authErrors, errorResponseSchema } from '../schemas.js';

const NDJSON = 'application/x-ndjson';

const errors = { 400: errorResponseSchema, 404: errorResponseSchema, ...authErrors };

export const assetRoutes =
  (c: Container): FastifyPluginAsyncZod =>
  async (app) => {
    app.put(
      '/v1/assets/:kind/:name',
      {
        config: { access: 'write' },
        schema: {
          tags: ['assets'],
          summary: 'Create (201) or replace (200) an asset and its whole set of dependencies',
          description:
            'Send `If-Match: <revision>` to refuse the write (412) when someone else changed the asset since you read it. ' +
            '`X-Actor` names who made the change in the history.',
          params: assetPathSchema,
          body: assetBodySchema,
          response: { 200: assetResponseSchema, 201: assetResponseSchema, ...errors, 412: errorResponseSchema },
        },
      },
      async (request, reply) => {
        const { asset, status } = await c.assets.put(request.params, request.body, {
          caller: callerOf(request),
          ifMatch: ifMatchOf(request),
        });
        reply.header('etag', etag(asset.revision));
        if (status === 'created') reply.header('location', `/v1/assets/${asset.kind}/${asset.name}`);
        return reply.code(status === 'created' ? 201 : 200).send(asset);
      },
    );

    app.get(
      '/v1/assets/:kind/:name',
      {
        config: { access: 'read' },
        schema: {
          tags: ['assets'],
          summary: 'Read one asset',
          params: assetPathSchema,
          response: { 200: assetResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        const asset = await c.assets.get(request.params);
        reply.header('etag', etag(asset.revision));
        return asset;
      },
    );

    app.get(
      '/v1/assets',
      {
        config: { access: 'read' },
        schema: {
          tags: ['assets'],
          summary: 'List assets, filtered, ordered by kind then name, paged by cursor',
          description: '`kind` takes one kind or a comma-separated list, as closures do.',
          querystring: listQuerySchema,
          response: { 200: assetListResponseSchema, 400: errorResponseSchema },
        },
      },
      async (request) => {
        const { kind, cursor, ...filter } = request.query;
        return withEncodedCursor(await c.assets.list({ ...filter, kinds: kind, after: cursor }));
      },
    );

    app.delete(
      '/v1/assets/:kind/:name',
      {
        config: { access: 'write' },
        schema: {
          tags: ['assets'],
          summary: 'Delete an asset',
          description:
            'Refused with 409 and the impact report (in `error.details`) while anything depends on it; ' +
            '`force=true&reason=...` deletes anyway, removing the dependents\' edges to it, records the reason, and sends ' +
            'every consumer downstream with an `sla.notify` webhook an `asset.deleted` notice (see `GET /v1/notifications`). ' +
            'Send `If-Match: <revision>` to refuse the deletion (412, nothing deleted) when someone else changed the asset ' +
            'since you read it; `If-Match: *` deletes whatever its revision. An asset that does not exist is a 404 either way.',
          params: assetPathSchema,
          querystring: deleteQuerySchema,
          response: { 204: z.null(), ...errors, 409: errorResponseSchema, 412: errorResponseSchema },
        },
      },
      async (request, reply) => {
        try {
          await c.assets.delete(request.params, { ...request.query, caller: callerOf(request), ifMatch: ifMatchOf(request) });
        } catch (error) {
          // The refusal's impact report goes on at GET …/impact?cursor=: its position is encoded as that route's.
          const impact = error instanceof ConflictError ? (error.details as { nextCursor?: unknown } | undefined) : undefined;
          if (impact?.nextCursor === undefined) throw error;
          throw new ConflictError(
            (error as Error).message,
            { ...impact, nextCursor: impact.nextCursor === null ? null : encodeCursor(impact.nextCursor) },
            (error as ConflictError).hint,
          );
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v1/batch',
      {
        config: { access: 'write' },
        schema: {
          tags: ['assets'],
          summary: 'Create or replace many assets in one atomic request',
          description:
            'Dependencies may name assets later in the same batch. Any invalid item fails the whole batch and nothing is written.',
          body: batchBodySchema,
          response: { 200: batchResponseSchema, 400: errorResponseSchema },
        },
      },
      async (request) => {
        const results = await c.assets.batch(
          request.body.assets.map(({ ref, ...body }, index) => writeItem(ref, body, `assets[${index}]`)),
          callerOf(request),
        );
        return batchAnswer(results);
      },
    );

    // The import body is streamed to the handler, not buffered: it is read chunk by chunk
    // while earlier chunks are stored, and it has no size limit.
    app.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload));
    app.post(
      '/v1/import',
      {
        config: { access: 'write', streamsBody: true },
        schema: {
          tags: ['assets'],
          summary: 'Import any number of assets from an NDJSON stream, in one transaction',
          description:
            `\`Content-Type: ${NDJSON}\`; each line is one asset as in a batch: \`{"ref": "feature:ctr_7d", "owner": ..., "dependsOn": [...]}\`. ` +
            'Lines are stored in order, in chunks, while the next chunk is read; dependencies may name assets on any line. ' +
            'It is all or nothing: any invalid line fails the import and nothing is written. Errors name lines from 1: `lines[7].owner`. ' +
            'Other writes wait while an import runs; reads do not.',
          response: { 200: importResponseSchema, 400: errorResponseSchema, 409: errorResponseSchema },
        },
      },
      async (request) => {
        if (!(request.body instanceof Readable))
          throw InputError.field('content-type', `must be ${NDJSON}: one asset per line`, 'headers');
        const limits = { idleMs: c.config.importIdleMs, maxMs: c.config.importMaxMs };
        return c.assets.import(importChunks(request.body, c.config.importChunk, limits), callerOf(request));
      },
    );
  };

