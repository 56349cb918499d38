import type { FastifyInstance } from 'fastify';
import type { RequestMetrics } from '../observability/metrics.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** The route label of a request that matched no route (the not-found handler's). */
const UNMATCHED = 'unmatched';

/**
 * What every request leaves behind besides its log line (request-logging.ts): its id in
 * the `x-request-id` answer header, and one observation in the latency histogram, by
 * route pattern (never the raw URL, so the label's values are bounded) and status.
 *
 * Registered before the routes and the not-found handler, so all of them inherit it.
 */
export function registerRequestObserver(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestAnswered(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
