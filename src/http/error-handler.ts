import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { toFieldIssues } from '../contracts/field-issues.js';
import { isUnavailable } from '../db/database.js';
import {
  BusyError,
  DomainError,
  InputError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthorizedError,
  type FieldIssue,
} from '../domain/errors.js';
import { withRestForm } from './hints.js';

const STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  RATE_LIMITED: 429,
  BUSY: 503,
};

const LOCATION: Record<string, FieldIssue['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/**
 * A domain error's message in REST's terms: its hint as the request to make, and a
 * precondition named as the header that carries it (REST's only one is If-Match).
 */
function restMessage(error: DomainError): string {
  const message = withRestForm(error.message, error.hint);
  return error instanceof PreconditionFailedError ? `If-Match: ${message}` : message;
}

/**
 * The one error body shape: `{error: {code, message, details?, requestId}}`. The request
 * id is the one in the `x-request-id` header and on the request's log lines, so a client
 * reporting an error names what to look for.
 */
const body = (requestId: string, code: string, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message, requestId } : { code, message, details, requestId },
});
/** The one error body shape, for the answers that do not pass through this handler. */
export { body as errorBody };

/** One mapping from errors to statuses and one body shape, for every route. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body(request.id, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const location = LOCATION[error.validationContext ?? 'body'] ?? 'body';
      const issues = toFieldIssues(
        error.validation.map((v) => ({
          ...(v.params as object),
          path: v.instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
          message: v.message ?? 'is invalid',
          code: v.keyword,
        })),
        location,
      );
      const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      return reply.code(400).send(body(request.id, 'INVALID_INPUT', summary, issues));
    }
    const domain: unknown = error;
    if (domain instanceof InputError) {
      const rendered = domain.mapIssues(({ hint, ...issue }) => ({ ...issue, message: withRestForm(issue.message, hint) }));
      return reply.code(400).send(body(request.id, domain.code, rendered.message, rendered.issues));
    }
    if (domain instanceof DomainError) {
      if (domain instanceof BusyError) reply.header('retry-after', '5');
      if (domain instanceof RateLimitedError) reply.header('retry-after', String(domain.retryAfterSeconds));
      // RFC 6750: a 401 says which scheme would do.
      if (domain instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer realm="depcat"');
      return reply.code(STATUS[domain.code] ?? 400).send(body(request.id, domain.code, restMessage(domain), domain.details));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send(body(request.id, 'PAYLOAD_TOO_LARGE', `the body is larger than the limit of ${app.initialConfig.bodyLimit} bytes`));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, unsupported media type, empty body...
      const code = status === 400 ? 'INVALID_INPUT' : (error.code ?? 'BAD_REQUEST');
      const details = status === 400 ? [{ in: 'body', field: 'body', message: error.message }] : undefined;
      return reply.code(status).send(body(request.id, code, error.message, details));
    }
    // The client closed the connection mid-request (an import cut off, a shutdown's grace
    // over): nobody reads this answer, and it is no outage of the database.
    if (error.code === 'ECONNRESET' && error.message === 'aborted') {
      request.log.debug({ err: error }, 'the client closed the connection before the end of the request');
      return reply.code(400).send(body(request.id, 'CLIENT_CLOSED_REQUEST', 'the connection closed before the end of the request'));
    }
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return reply.code(503).header('retry-after', '5').send(body(request.id, 'UNAVAILABLE', 'the database is unavailable; retry shortly'));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send(body(request.id, 'INTERNAL', 'internal error; it has been logged'));
  });
}
