/** One offending input field and why it was refused. */
export interface FieldIssue {
  /** Where the field came from: the JSON body, the query string, the path or a header. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** Dotted path within that location, e.g. `dependsOn[2].ref`. */
  field: string;
  message: string;
}

/** Base of every error the services throw on purpose; adapters map `code` to a status. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
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

/** Another write holds the graph for longer than this one may wait: retry shortly. */
export class BusyError extends DomainError {
  readonly code = 'BUSY';
}
