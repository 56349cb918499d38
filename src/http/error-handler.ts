import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { pgErrorCode } from '../db/database.js';
import { BusyError, DomainError, InputError, type FieldIssue } from '../domain/errors.js';

const STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  BUSY: 503,
};

const LOCATION: Record<string, FieldIssue['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

interface RawIssue {
  path?: PropertyKey[];
  message: string;
  code?: string;
  errors?: RawIssue[][];
  input?: unknown;
  expected?: string;
}

const formatPath = (path: PropertyKey[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');

/**
 * A union's error lists every branch's issues; report the branch the input was meant for:
 * the one that got past the type check at the union's own path.
 */
function flatten(issue: RawIssue, basePath: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...basePath, ...(issue.path ?? [])];
  if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) {
    const branch =
      issue.errors.find((branchIssues) =>
        branchIssues.every((i) => !(i.code === 'invalid_type' && (i.path ?? []).length === 0)),
      ) ?? issue.errors[0];
    return branch.flatMap((i) => flatten(i, path));
  }
  if (issue.code === 'unrecognized_keys' && 'keys' in issue) {
    return (issue as RawIssue & { keys: string[] }).keys.map((key) => ({
      path: [...path, key],
      message: 'is not a known field',
    }));
  }
  return [{ path, message: issue.message }];
}

/** Turns zod issues, however nested, into one issue per offending field. */
export function toFieldIssues(issues: RawIssue[], location: FieldIssue['in']): FieldIssue[] {
  return issues.flatMap((issue) => flatten(issue, [])).map(({ path, message }) => ({
    in: location,
    field: formatPath(path) || location,
    message,
  }));
}

const body = (code: string, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message } : { code, message, details },
});
/** The one error body shape, for the answers that do not pass through this handler. */
export { body as errorBody };

/** One mapping from errors to statuses and one body shape, for every route. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
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
        })) as RawIssue[],
        location,
      );
      const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      return reply.code(400).send(body('INVALID_INPUT', summary, issues));
    }
    const domain: unknown = error;
    if (domain instanceof InputError) return reply.code(400).send(body(domain.code, domain.message, domain.issues));
    if (domain instanceof DomainError) {
      if (domain instanceof BusyError) reply.header('retry-after', '5');
      return reply.code(STATUS[domain.code] ?? 400).send(body(domain.code, domain.message, domain.details));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send(body('PAYLOAD_TOO_LARGE', `the body is larger than the limit of ${app.initialConfig.bodyLimit} bytes`));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, unsupported media type, empty body...
      const code = status === 400 ? 'INVALID_INPUT' : (error.code ?? 'BAD_REQUEST');
      const details = status === 400 ? [{ in: 'body', field: 'body', message: error.message }] : undefined;
      return reply.code(status).send(body(code, error.message, details));
    }
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return reply.code(503).send(body('UNAVAILABLE', 'the database is unavailable; retry shortly'));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send(body('INTERNAL', 'internal error; it has been logged'));
  });
}

/**
 * Errors that mean "the database cannot be reached right now" rather than a bug: refused
 * or dropped connections, and PostgreSQL's connection-exception (08…), operator-
 * intervention (57P0…) and missing-database (3D000) codes, however the driver wraps them.
 */
function isUnavailable(error: unknown): boolean {
  const e = error as { message?: string; code?: string };
  if (/^(08|57P0|3D000)/.test(pgErrorCode(error))) return true;
  const text = `${e?.message ?? ''} ${e?.code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connect ECONN|P1001|P1017|DatabaseNotReachable|terminating connection|database ".*" does not exist/i.test(
    text,
  );
}
