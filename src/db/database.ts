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
 * Runs one parameterised statement on the pool; rows come back as the driver types them.
 * A `name` makes it a prepared statement on each connection, planned once rather than
 * on every run: worth it for a statement run thousands of times a second.
 */
export type SqlRunner = <T = Record<string, unknown>>(sql: string, params: unknown[], name?: string) => Promise<T[]>;

export interface Database {
  readonly prisma: PrismaClient;
  /**
   * The driver itself, for statements on serving paths: it shares Prisma's pool but
   * skips Prisma's query engine, which costs about five times the statement itself.
   */
  readonly query: SqlRunner;
  /** `postgres` for a server given by DATABASE_URL, `embedded` for PGlite. */
  readonly flavour: 'postgres' | 'embedded';
  /**
   * Runs `work` in one transaction on one connection, on the driver directly: the asset
   * write path, whose statements carry thousands of rows and would spend as long again in
   * Prisma's query engine. A throw rolls it back.
   */
  transaction<T>(work: (query: SqlRunner) => Promise<T>): Promise<T>;
  /** A dedicated session for migrations; release it when done. */
  session(): Promise<ScriptSession>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** Called with every SQL statement Prisma sends: lets a test count queries. */
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
  return {
    prisma,
    query: async <T>(text: string, values: unknown[], name?: string) => (await pool.query({ text, values, name })).rows as T[],
    flavour: 'postgres',
    async transaction(work) {
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
      // Statements are chained, not awaited one by one: a statement queued behind another
      // is sent as soon as that one completes, without waiting for this process's event
      // loop in between (under a read load, each such wait is a wait behind other
      // requests). An import queues the read of its next chunk this way. After a failed
      // statement the rest fail too, unsent, as PostgreSQL would refuse them.
      let tail: Promise<unknown> = Promise.resolve();
      const run = <T>(text: string, values?: unknown[]): Promise<T[]> => {
        const result = tail.then(() => client.query({ text, values }));
        tail = result;
        return result.then((r) => r.rows as T[]);
      };
      try {
        void run('BEGIN').catch(() => {});
        const result = await work((text, values) => {
          onQuery?.(text);
          return run(text, values);
        });
        await run('COMMIT');
        return result;
      } catch (error) {
        await tail.catch(() => {});
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
  return {
    prisma,
    query: async <T>(sql: string, params: unknown[]) => (await lite.query<T>(sql, params)).rows,
    flavour: 'embedded',
    transaction: (work) =>
      lite.transaction((tx) =>
        work(async (sql, params) => {
          onQuery?.(sql);
          return (await tx.query(sql, params)).rows as never[];
        }),
      ),
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
