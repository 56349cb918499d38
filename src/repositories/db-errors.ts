import { pgErrorCode } from '../db/database.js';
import { BusyError, ConflictError, NotFoundError } from '../domain/errors.js';

/** What to tell the caller when PostgreSQL refuses a statement for a reason the domain knows. */
export interface RefusalMessages {
  /** unique_violation (23505): the row already exists. */
  unique?: string;
  /** foreign_key_violation (23503): a row it refers to is gone. */
  missing?: string;
}

/**
 * Runs `statement`, turning PostgreSQL's refusals into domain errors: a unique violation
 * into ConflictError, a missing referenced row into NotFoundError (each only where the
 * caller says what it means), and a lock wait past lock_timeout (55P03) into BusyError.
 * Anything else passes through unchanged.
 */
export async function translated<T>(statement: Promise<T>, messages: RefusalMessages = {}): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    const code = pgErrorCode(error);
    if (code === '23505' && messages.unique) throw new ConflictError(messages.unique);
    if (code === '23503' && messages.missing) throw new NotFoundError(messages.missing);
    if (code === '55P03')
      throw new BusyError('another write holds the graph for longer than this one may wait (an import, say); retry shortly');
    throw error;
  }
}
