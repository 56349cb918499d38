import { GraphQLError } from 'graphql';
import { isUnavailable } from '../db/database.js';
import { DomainError, InputError } from '../domain/errors.js';

/** Domain error codes as GraphQL clients know them (Apollo's names where one exists). */
const GRAPHQL_CODE: Record<string, string> = {
  INVALID_INPUT: 'BAD_USER_INPUT',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
};

export function domainExtensions(error: DomainError): Record<string, unknown> {
  const code = GRAPHQL_CODE[error.code] ?? error.code;
  if (error instanceof InputError) return { code, issues: error.issues };
  return error.details === undefined ? { code } : { code, details: error.details };
}

/**
 * yoga's maskError: domain errors pass through with `extensions.code` (and the offending
 * fields); errors GraphQL itself raised (syntax, validation, limits) are kept; anything
 * else is replaced by a generic message. yoga logs every error this replaces (through
 * Fastify's logger, see graphql-routes.ts), so domain errors are annotated in place:
 * they are the client's mistake, not the server's.
 */
export function maskError(error: unknown, message: string): Error {
  const graphql = error instanceof GraphQLError ? error : undefined;
  const original = graphql ? graphql.originalError : error;
  if (original instanceof DomainError) {
    if (!graphql) return new GraphQLError(original.message, { extensions: domainExtensions(original) });
    Object.assign(graphql.extensions, domainExtensions(original));
    return graphql;
  }
  if (graphql && (!original || original instanceof GraphQLError)) return graphql;
  // Not a bug but an outage: the client should retry, as REST's 503 tells it.
  if (isUnavailable(original))
    return new GraphQLError('the database is unavailable; retry shortly', {
      nodes: graphql?.nodes,
      path: graphql?.path,
      extensions: { code: 'UNAVAILABLE' },
    });
  return new GraphQLError(message, {
    nodes: graphql?.nodes,
    path: graphql?.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}
