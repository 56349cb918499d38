import pg from 'pg';
import { SERVER_URL } from './database.js';

/** Fails the run early, with a clear message, when no PostgreSQL server answers. */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `The tests need a PostgreSQL server: could not connect to ${SERVER_URL} (${(error as Error).message}). ` +
        'Start one, or set DATABASE_URL to a database the tests may create databases beside.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}
