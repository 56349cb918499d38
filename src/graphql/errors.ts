import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError } from 'graphql';
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
 * else is logged and replaced by a generic message.
 */
export function maskError(log: FastifyBaseLogger) {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const graphql = error instanceof GraphQLError ? error : undefined;
    if (original instanceof DomainError)
      return new GraphQLError(original.message, {
        nodes: graphql?.nodes,
        path: graphql?.path,
        extensions: domainExtensions(original),
      });
    if (graphql && (!original || original instanceof GraphQLError)) return graphql;
    log.error({ err: original, path: graphql?.path?.join('.') }, 'unexpected error in a GraphQL operation');
    return new GraphQLError(message, {
      nodes: graphql?.nodes,
      path: graphql?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
