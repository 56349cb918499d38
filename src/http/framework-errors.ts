import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './error-handler.js';
import { bodyPending, codeForStatus } from './request-guards.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * The answers Fastify and Node give before a route (and so the error handler) is reached,
 * in the error handler's body shape: Fastify's router refusing a path, and Node's HTTP
 * parser refusing the bytes themselves. Both go into the Fastify options (app.ts).
 */

/** Fastify's `frameworkErrors`: the router found no valid route for the path. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No hook has run for a request the router refused.
  reply.header(REQUEST_ID_HEADER, request.id);
  // The route never reads the body; one still arriving would be parsed as the next request.
  if (bodyPending(request)) reply.header('connection', 'close');
  if (error.code === 'FST_ERR_BAD_URL') {
    const message = 'is not valid percent-encoded UTF-8';
    reply.code(400).send(errorBody(request.id, 'INVALID_INPUT', `path: ${message}`, [{ in: 'params', field: 'path', message }]));
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.code(414).send(errorBody(request.id, codeForStatus(414), 'a segment of the path is longer than any valid identifier'));
  } else {
    request.log.error({ err: error }, 'unexpected router error');
    reply.code(500).send(errorBody(request.id, 'INTERNAL', 'internal error; it has been logged'));
  }
}

/** Node's parser errors, as Fastify's default handler maps them, with their messages. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'the request line and headers are larger than the server accepts'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'the chunk extensions are larger than the server accepts'],
};

/**
 * Fastify's `clientErrorHandler`: Node could not parse the request (malformed, too large
 * headers or URL) or it timed out. There is no request to answer through Fastify, so the
 * answer is written on the socket, which is then closed.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'the request is not valid HTTP/1.1'];
  // No request was parsed to take an id from: this answer gets one of its own.
  const requestId = randomUUID();
  this.log.debug({ err: error, requestId }, 'client error');
  // An answer already being written to this socket cannot be followed by another.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !answering) {
    const payload = JSON.stringify(errorBody(requestId, status === 400 ? 'BAD_REQUEST' : codeForStatus(status), message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
  }
  socket.destroy(error);
}
