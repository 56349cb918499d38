import type { SqlRunner } from '../db/database.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/**
 * Where a repository's SQL runs: the pool, or one write transaction's connection. Every
 * SQL statement of every repository goes through `query`, on PostgreSQL and PGlite alike.
 */
export interface Scope {
  readonly query: SqlRunner;
}

/**
 * What only the pool offers, whatever scope a repository's SQL runs in. Prisma's typed
 * client cannot join a transaction (those run on the driver's connection), so a method
 * that uses it always runs on the pool, and a write transaction's store leaves such
 * methods out (see TransactionStore). So do snapshots: a transaction of their own.
 */
export interface Pool extends Scope {
  readonly prisma: PrismaClient;
  /** Runs `work` in one read-only repeatable-read transaction: several statements, one snapshot. */
  snapshot<T>(work: (query: SqlRunner) => Promise<T>): Promise<T>;
}
