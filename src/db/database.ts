import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { lockDataDir } from './data-dir-lock.js';

/** PostgreSQL's error code (SQLSTATE) of an error from the driver, however Prisma wraps it; '' if none. */
export function pgErrorCode(error: unknown): string {
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return e?.meta?.driverAdapterError?.cause?.originalCode ?? (typeof e?.code === 'string' ? e.code : '');
}

/** Prisma's driver-adapter error kinds that mean the server could not be reached or went away. */
const UNREACHABLE_KINDS = new Set([
  'ConnectionClosed',
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'SocketTimeout',
  'TlsConnectionError',
  'TooManyConnections',
]);

/**
 * Errors that mean "the database cannot be reached right now" rather than a bug: refused
 * or dropped connections, and PostgreSQL's connection-exception (08…), operator-
 * intervention (57P0…) and missing-database (3D000) codes, however the driver wraps them.
 */
export function isUnavailable(error: unknown): boolean {
  const e = error as { message?: string; code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  if (/^(08|57P0|3D000)/.test(pgErrorCode(error))) return true;
  const kind = e?.meta?.driverAdapterError?.cause?.kind;
  if (kind && UNREACHABLE_KINDS.has(kind)) return true;
  const text = `${e?.message ?? ''} ${e?.code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connection error and is not queryable|connect ECONN|P1001|P1017|DatabaseNotReachable|terminating connection|database ".*" does not exist/i.test(
    text,
  );
}

/** A single connection that can run multi-statement scripts: what the migrator needs. */
export interface ScriptSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  script(sql: string): Promise<void>;
  release(): Promise<void>;
}

/**
 * Runs one parameterised statement; rows come back as the driver types them. The one way
 * every repository runs SQL, on the pool or inside a transaction, on either flavour.
 * A `name` makes it a prepared statement on each connection, planned once rather than
 * on every run: worth it for a statement run thousands of times a second.
 */
export type SqlRunner = <T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string) => Promise<T[]>;

export interface TransactionOptions {
  /** `repeatable read` for a read of several statements that must see one snapshot. */
  isolation?: 'read committed' | 'repeatable read';
  readOnly?: boolean;
}

export interface Database {
  /** Prisma's typed client on the same pool (or PGlite): typed reads and simple writes, never in a transaction. */
  readonly prisma: PrismaClient;
  /**
   * The driver itself, on the pool: every SQL statement outside a transaction. It skips
   * Prisma's query engine, which costs about five times the statement itself.
   */
  readonly query: SqlRunner;
  /** `postgres` for a server given by DATABASE_URL, `embedded` for PGlite. */
  readonly flavour: 'postgres' | 'embedded';
  /**
   * The one transaction path: runs `work` in one transaction on one connection of the
   * driver; a throw rolls it back. Statements are sent in the order they are issued, each
   * as soon as the one before completes, whether or not the caller awaited it.
   */
  transaction<T>(work: (query: SqlRunner) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** A dedicated session for migrations; release it when done. */
  session(): Promise<ScriptSession>;
  /** The pool's counters, read in memory (for /metrics). */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** How the connections are used now. On PGlite, its one connection and the work queued for it. */
export interface PoolStats {
  /** Most connections the pool opens. */
  max: number;
  /** Connections open, in use or idle. */
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** Called with every SQL statement sent, by the driver or by Prisma: lets a test count queries. */
  onQuery?: (sql: string) => void;
}

export function openDatabase(options: DatabaseOptions): Database {
  return options.databaseUrl
    ? openServer(options.databaseUrl, options.poolSize ?? 10, options.onQuery)
    : openEmbedded(options.dataDir, options.onQuery);
}

type Adapter = NonNullable<ConstructorParameters<typeof PrismaClient>[0]['adapter']>;

function newClient(adapter: Adapter, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return prisma;
}

type Send = (text: string, values: unknown[] | undefined) => Promise<unknown[]>;

/** Wraps `send` so that every statement is reported to `onQuery` first, when it is given. */
const reported = (send: Send, onQuery?: (sql: string) => void): Send =>
  onQuery
    ? (text, values) => {
        onQuery(text);
        return send(text, values);
      }
    : send;

/**
 * A transaction's runner: statements are chained, not awaited one by one, so a statement
 * queued behind another is sent as soon as that one completes, without waiting for this
 * process's event loop in between (under a read load, each such wait is a wait behind
 * other requests). An import queues the read of its next chunk this way, and a write
 * queues the graph lock ahead of its first statement. After a failed statement the rest
 * fail too, unsent, as PostgreSQL would refuse them. `tail` settles once all are done.
 */
function chained(send: Send): { run: SqlRunner; tail: () => Promise<unknown> } {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(text: string, values?: unknown[]): Promise<T[]> => {
    const result = tail.then(() => send(text, values));
    tail = result;
    return result as Promise<T[]>;
  };
  return { run: run, tail: () => tail };
}

const beginStatement = (options: TransactionOptions = {}) =>
  [options.isolation && `ISOLATION LEVEL ${options.isolation.toUpperCase()}`, options.readOnly && 'READ ONLY']
    .filter(Boolean)
    .join(', ');

function openServer(connectionString: string, max: number, onQuery?: (sql: string) => void): Database {
  // JIT compilation pays off for long analytic queries; for this service's short ones it
  // only adds hundreds of milliseconds whenever a stale estimate looks expensive.
  // Every session runs in UTC, whatever the server's or the database's default zone:
  // date rules in SQL (current_date) then agree with the service's, and timestamps read
  // as text are UTC instants.
  const pool = new pg.Pool({ connectionString, max, options: '-c jit=off -c TimeZone=UTC' });
  // An idle connection that the server drops (a restart, a terminated backend) is
  // discarded by the pool and replaced on next use; unheard, the event would end the process.
  pool.on('error', () => {});
  const prisma = newClient(new PrismaPg(pool), onQuery);
  const poolQuery = async <T>(text: string, values?: unknown[], name?: string) => {
    onQuery?.(text);
    return (await pool.query({ text, values, name })).rows as T[];
  };
  return {
    prisma,
    query: poolQuery,
    flavour: 'postgres',
    async transaction(work, options) {
      const client = await pool.connect();
      // A checked-out client is not the pool's to watch: if the server drops it mid-
      // transaction (a restart, pg_terminate_backend), the 'error' event must have a
      // listener or it ends the process. The pending statement fails with it and the
      // transaction rolls back; the broken connection is not returned to the pool.
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      const { run, tail } = chained(reported(async (text, values) => (await client.query<Record<string, unknown>>({ text, values })).rows, onQuery));
      try {
        const modes = beginStatement(options);
        void run(modes ? `BEGIN ${modes}` : 'BEGIN').catch(() => {});
        const result = await work(run);
        await run('COMMIT');
        return result;
      } catch (error) {
        await tail().catch(() => {});
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A connection that broke, or could not even roll back, is not given to anyone else.
        client.off('error', onError);
        client.release(broken);
      }
    },
    async session() {
      const client = new pg.Client({ connectionString });
      // As for a transaction's client: a dropped connection fails the pending statement;
      // unheard, its 'error' event would also end the process.
      client.on('error', () => {});
      await client.connect();
      return {
        query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        script: async (sql) => {
          await client.query(sql);
        },
        release: () => client.end(),
      };
    },
    poolStats: () => ({ max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function openEmbedded(dataDir: string, onQuery?: (sql: string) => void): Database {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const lite = new PGlite(dataDir);
  // Queued ahead of every other statement on PGlite's one session: see openServer on UTC.
  void lite.exec("SET TimeZone = 'UTC'").catch(() => {});
  const prisma = newClient(new PrismaPGlite(lite), onQuery);
  // Statements and transactions of ours under way or queued for the one connection
  // (Prisma's are not counted): what the pool's counters mean here.
  let using = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    using++;
    try {
      return await work();
    } finally {
      using--;
    }
  };
  return {
    prisma,
    query: (<T>(sql: string, params?: unknown[]) => {
      onQuery?.(sql);
      return counted(async () => (await lite.query<T>(sql, params)).rows);
    }),
    flavour: 'embedded',
    // PGlite has one connection: a transaction holds it, and statements outside it
    // (on `query`, or Prisma's) wait until it ends.
    transaction: (work, options) =>
      counted(() => lite.transaction(async (tx) => {
        const { run, tail } = chained(reported(async (sql, params) => (await tx.query(sql, params)).rows, onQuery));
        const modes = beginStatement(options);
        if (modes) void run(`SET TRANSACTION ${modes}`).catch(() => {});
        try {
          return await work(run);
        } finally {
          // PGlite rolls back on a throw, once nothing of this transaction is still running.
          await tail().catch(() => {});
        }
      })),
    async session() {
      await lite.waitReady;
      return {
        query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
        script: async (sql) => {
          await lite.exec(sql);
        },
        release: async () => {},
      };
    },
    poolStats: () => ({ max: 1, total: 1, idle: using === 0 ? 1 : 0, waiting: Math.max(0, using - 1) }),
    async close() {
      try {
        await prisma.$disconnect();
        await lite.close();
      } finally {
        unlock();
      }
    },
  };
}
