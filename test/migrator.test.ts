import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate, readMigrations, type Migration } from '../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let testDb: TestDatabase;
let db: Database;
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = openDatabase({ databaseUrl: testDb.url, dataDir: '' });
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

const run = async (migrations?: Migration[]) => {
  const session = await db.session();
  try {
    return await migrate(session, migrations);
  } finally {
    await session.release();
  }
};

describe('migrator', () => {
  it('applies every migration once, even when started concurrently', async () => {
    const results = await Promise.all([run(), run(), run()]);
    const applied = results.flat();
    expect(applied.sort()).toEqual(readMigrations().map((m) => m.name).sort());
    expect(await run()).toEqual([]);
  });

  it('refuses a migration edited after it was applied', async () => {
    const [first, ...rest] = readMigrations();
    const edited = { ...first, checksum: 'something-else' };
    await expect(run([edited, ...rest])).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls back a failing migration entirely', async () => {
    const broken: Migration = {
      version: 9999,
      name: '9999_broken.sql',
      sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();',
      checksum: 'x',
    };
    await expect(run([...readMigrations(), broken])).rejects.toThrow();
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('half_done') AS t");
    await client.end();
    expect(rows[0].t).toBeNull();
  });
});
