import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The server the tests run against: DATABASE_URL (CI points it at a database made for
 * the run), else the local default. Each test file gets a database of its own on it.
 */
export const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

const withDatabase = (url: string, name: string): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
};

/** Runs one statement on the server's database (or on `url`), on a connection of its own. */
export async function adminQuery(sql: string, url = SERVER_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database; drop() removes it (and any connection still open to it). The
 * benchmarks use it too, with a prefix of their own.
 */
export async function createTestDatabase(prefix = 'depcat_t_'): Promise<TestDatabase> {
  const name = `${prefix}${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    url: withDatabase(SERVER_URL, name),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
