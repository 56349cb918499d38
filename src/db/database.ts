import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

/** A single connection that can run multi-statement scripts: what the migrator needs. */
export interface ScriptSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  script(sql: string): Promise<void>;
  release(): Promise<void>;
}

export interface Database {
  readonly prisma: PrismaClient;
  /** `postgres` for a server given by DATABASE_URL, `embedded` for PGlite. */
  readonly flavour: 'postgres' | 'embedded';
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
  return prisma as unknown as PrismaClient;
}

function openServer(connectionString: string, max: number, onQuery?: (sql: string) => void): Database {
  // JIT compilation pays off for long analytic queries; for this service's short ones it
  // only adds hundreds of milliseconds whenever a stale estimate looks expensive.
  const prisma = newClient(new PrismaPg({ connectionString, max, options: '-c jit=off' }), onQuery);
  return {
    prisma,
    flavour: 'postgres',
    async session() {
      const client = new pg.Client({ connectionString });
      await client.connect();
      return {
        query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        script: async (sql) => {
          await client.query(sql);
        },
        release: () => client.end(),
      };
    },
    close: () => prisma.$disconnect(),
  };
}

function openEmbedded(dataDir: string, onQuery?: (sql: string) => void): Database {
  mkdirSync(dataDir, { recursive: true });
  const lite = new PGlite(dataDir);
  const prisma = newClient(new PrismaPGlite(lite), onQuery);
  return {
    prisma,
    flavour: 'embedded',
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
      await prisma.$disconnect();
      await lite.close();
    },
  };
}
