import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import { isUnavailable } from '../db/database.js';
import { DomainError, InputError, type FieldIssue, type Hint, type Operation } from '../domain/errors.js';

/** Domain error codes as GraphQL clients know them (Apollo's names where one exists). */
const GRAPHQL_CODE: Record<string, string> = {
  INVALID_INPUT: 'BAD_USER_INPUT',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
};

/** The mutation that carries out each operation a hint names. */
const MUTATION: Record<Operation, string> = {
  reinstate: 'reinstateAsset',
  forceDelete: 'deleteAsset',
  delete: 'deleteAsset',
  upsert: 'upsertAsset',
};

/** A hint in GraphQL's terms: the operation, and the mutation (with the arguments it needs beyond the ref). */
export type GraphQLHint = Hint & { mutation: string; arguments?: Record<string, unknown> };

export function graphqlHint(hint: Hint): GraphQLHint {
  const rendered: GraphQLHint = { ...hint, mutation: MUTATION[hint.operation] };
  if (hint.operation === 'forceDelete') rendered.arguments = { force: true };
  return rendered;
}

const withHint = (issue: FieldIssue) =>
  issue.hint ? { ...issue, hint: graphqlHint(issue.hint) } : issue;

export function domainExtensions(error: DomainError): Record<string, unknown> {
  const code = GRAPHQL_CODE[error.code] ?? error.code;
  const hint = error.hint ? { hint: graphqlHint(error.hint) } : {};
  if (error instanceof InputError) return { code, issues: error.issues.map(withHint), ...hint };
  return error.details === undefined ? { code, ...hint } : { code, details: error.details, ...hint };
}

/**
 * A service names the fields of the body it was given (`replacedBy`, `dependsOn[0]`);
 * GraphQL nests that body under an argument (`input`), so its issues are re-rooted there,
 * here and nowhere else.
 */
export async function underArgument<T>(argument: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw error.mapIssues((issue) => (issue.in === 'body' ? { ...issue, field: `${argument}.${issue.field}` } : issue));
  }
}

/**
 * What the client sees in place of an unexpected error. The error it replaces is kept
 * beside it (GraphQLError's JSON has no room for it), to be logged with the request's id
 * (request-ids.ts); it is never sent.
 */
export class MaskedError extends GraphQLError {
  constructor(
    message: string,
    options: GraphQLErrorOptions,
    readonly hidden: unknown,
  ) {
    super(message, options);
  }
}

/**
 * yoga's maskError: domain errors pass through with `extensions.code` (and the offending
 * fields); errors GraphQL itself raised (syntax, validation, limits) are kept; anything
 * else is replaced by a generic message, as a MaskedError, which is logged with the
 * request's id. Domain errors are annotated in place: they are the client's mistake,
 * not the server's, and are not logged.
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
    return new MaskedError(
      'the database is unavailable; retry shortly',
      { nodes: graphql?.nodes, path: graphql?.path, extensions: { code: 'UNAVAILABLE' } },
      original,
    );
  return new MaskedError(
    message,
    { nodes: graphql?.nodes, path: graphql?.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    original,
  );
}
