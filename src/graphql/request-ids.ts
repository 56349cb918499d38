import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { FastifyRequest } from 'fastify';
import { MaskedError } from './errors.js';

/**
 * Every error of an answer carries the request's id in `extensions.requestId`, as REST's
 * error bodies do, and each error masked for the client is logged here, on the request's
 * logger (so with the same id), instead of by yoga, which does not know the request.
 * Runs on every result yoga answers, errors of its own (a malformed request) included.
 */
export function useRequestIds(): Plugin<object, { req: FastifyRequest }> {
  return {
    onResultProcess({ result, serverContext }) {
      const request = serverContext.req;
      for (const one of Array.isArray(result) ? result : [result]) {
        if (isAsyncIterable(one)) continue;
        for (const error of one.errors ?? []) {
          if (error instanceof MaskedError) request.log.error({ err: error.hidden }, 'unexpected error in a GraphQL operation');
          Object.assign(error.extensions, { requestId: request.id });
        }
      }
    },
  };
}
