import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id comes in (from a proxy or a client) and goes back out in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable ASCII, at most 128 characters: anything else could forge or flood log lines. */
const VALID = /^[\x20-\x7e]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when it is a valid one, so a request
 * can be followed across services, else a random UUID.
 */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && VALID.test(given) ? given : randomUUID();
}
