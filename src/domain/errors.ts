/**
 * What the client can do next, as an operation of the catalog rather than as any
 * adapter spells it: REST renders it as a method and a path, GraphQL as a mutation. The
 * message beside it says the same in words, so a client that ignores hints loses nothing.
 */
export type Hint =
  /** Undo the asset's deprecation. */
  | { operation: 'reinstate'; ref: string }
  /** Delete the asset although others depend on it, giving a reason. */
  | { operation: 'forceDelete'; ref: string }
  | { operation: 'delete'; ref: string }
  /** Create or replace the asset, with these dependencies among its own. */
  | { operation: 'upsert'; ref: string; dependsOn?: string[] };

export type Operation = Hint['operation'];

/** One offending input field and why it was refused. */
export interface FieldIssue {
  /** Where the field came from: the JSON body, the query string, the path or a header. */
  in: 'body' | 'query' | 'params' | 'headers';
  /**
   * Dotted path within that location, e.g. `dependsOn[2].ref`, relative to the body the
   * service was given (a batch item's index is part of it: `assets[3].owner`); an adapter
   * that nests the body (GraphQL's `input`) re-roots it once.
   */
  field: string;
  message: string;
  hint?: Hint;
}

/** The message of an InputError that lists its issues: `field: message; …`. */
export const listIssues = (issues: readonly FieldIssue[]): string => issues.map((i) => `${i.field}: ${i.message}`).join('; ');

/** Base of every error the services throw on purpose; adapters map `code` to a status. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
    /** What the client can do about it; adapters render it in their own terms. */
    readonly hint?: Hint,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InputError extends DomainError {
  readonly code = 'INVALID_INPUT';
  constructor(
    message: string,
    readonly issues: FieldIssue[],
  ) {
    super(message, issues);
  }

  static field(field: string, message: string, location: FieldIssue['in'] = 'body'): InputError {
    return new InputError(`${field}: ${message}`, [{ in: location, field, message }]);
  }

  /**
   * The same error with each issue rewritten (re-rooted under an argument, or a hint
   * rendered into its message). A message that lists the issues is listed anew; a
   * summary ("dependsOn names 3 assets that do not exist") is kept.
   */
  mapIssues(rewrite: (issue: FieldIssue) => FieldIssue): InputError {
    const issues = this.issues.map(rewrite);
    return new InputError(this.message === listIssues(this.issues) ? listIssues(issues) : this.message, issues);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

export class PreconditionFailedError extends DomainError {
  readonly code = 'PRECONDITION_FAILED';
}

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
}

export class NotAllowedError extends DomainError {
  readonly code = 'FORBIDDEN';
}

/** Too many failed authentications from one client address: retry after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Another write holds the graph for longer than this one may wait: retry shortly. */
export class BusyError extends DomainError {
  readonly code = 'BUSY';
}
