import { STATUS_CODES } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, type FieldIssue } from '../domain/errors.js';
import { findBadText } from '../domain/text-guard.js';
import { toFieldIssues } from '../contracts/field-issues.js';
import { errorBody } from './error-handler.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body as a stream and bounds its own waits (the import). */
    streamsBody?: boolean;
  }
}

/** A request whose bytes stopped coming, or came too slowly: a 408, and the connection closes. */
export class RequestTimeoutError extends Error {
  readonly statusCode = 408;
  readonly code = 'REQUEST_TIMEOUT';
}

/** `NOT_ACCEPTABLE` for 406, `URI_TOO_LONG` for 414, ... */
export const codeForStatus = (status: number): string =>
  (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/** The request has a body not all of which has arrived. */
export function bodyPending(request: FastifyRequest): boolean {
  const { headers, complete, readableEnded } = request.raw;
  const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  // complete: Node's parser saw its end; readableEnded: it was all read (inject sets only that).
  return hasBody && !complete && !readableEnded;
}

/** The inputs a route declares in its schema, and where an issue says they came from. */
const DECLARED = [
  ['params', 'params', (r: FastifyRequest) => r.params],
  ['querystring', 'query', (r: FastifyRequest) => r.query],
  ['body', 'body', (r: FastifyRequest) => r.body],
] as const satisfies readonly (readonly [string, FieldIssue['in'], (r: FastifyRequest) => unknown])[];

/**
 * What every request passes through, whatever route it reaches (see docs/limits.md):
 *
 * - Text PostgreSQL cannot store and hostile nesting are a 400 naming the field, checked
 *   on each input a route declares in its schema. GraphQL declares none: it checks each
 *   field's arguments (graphql/inputs.ts), to answer in GraphQL's shape.
 * - A body must arrive within `requestTimeoutMs` of its headers (Node's `requestTimeout`
 *   would also end imports that are still streaming; they bound their own waits).
 * - An answer given before the body has arrived (a 413, say) lets the client finish
 *   sending, within the same bound, and keeps the connection: closing it on unread bytes
 *   resets it, and the client loses the answer (EPIPE) while still writing.
 * - An error answered with no body (graphql-yoga's 406 and 415) gets the error shape.
 *
 * Registered before the routes and the not-found handler, so all of them inherit it.
 */
export function registerRequestGuards(app: FastifyInstance, limits: { requestTimeoutMs: number }): void {
  // Fastify parses text/plain by default; no route takes it, so it is a 415, not a body
  // that fails its schema as "a string".
  app.removeContentTypeParser('text/plain');

  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    for (const [part, location, input] of DECLARED) {
      if (!schema[part]) continue;
      const bad = findBadText(input(request));
      if (bad) {
        const [issue] = toFieldIssues([bad], location);
        throw InputError.field(issue.field, issue.message, location);
      }
    }
  });

  app.addHook('preParsing', async (request, reply, payload) => {
    // A body that is already here (most are: one packet) needs no clock.
    if (request.routeOptions.config.streamsBody || !bodyPending(request)) return payload;
    const body = new PassThrough();
    body.on('error', () => {}); // whoever reads it (or no one, once answered) sees the end
    const timer = setTimeout(() => {
      if (reply.sent) {
        request.raw.socket?.destroy?.(); // answered early, and the rest never came
        return;
      }
      payload.unpipe(body);
      body.destroy(new RequestTimeoutError(`the body did not arrive within ${limits.requestTimeoutMs} ms of the headers`));
    }, limits.requestTimeoutMs).unref();
    request.raw.once('end', () => clearTimeout(timer));
    request.raw.once('close', () => {
      clearTimeout(timer);
      if (bodyPending(request)) body.destroy(new Error('the client closed the connection before the end of the body'));
    });
    return payload.pipe(body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (bodyPending(request)) {
      if (reply.statusCode === 408 || request.routeOptions.config.streamsBody || request.body instanceof Readable) {
        // Out of time, or a stream that may be endless: close after the answer.
        reply.header('connection', 'close');
      } else {
        // Read and drop the rest, under the preParsing clock.
        reply.removeHeader('connection');
        request.raw.unpipe();
        request.raw.resume();
      }
    }
    if (reply.statusCode < 400 || !(payload === null || payload === undefined || payload === '' || payload === 'null')) return payload;
    reply.header('content-type', 'application/json; charset=utf-8');
    const accepts = reply.getHeader('accept'); // what a 406 could have been answered in
    const message = `${STATUS_CODES[reply.statusCode]}${typeof accepts === 'string' ? `: answers are ${accepts}` : ''}`;
    return JSON.stringify(errorBody(request.id, codeForStatus(reply.statusCode), message));
  });
}
