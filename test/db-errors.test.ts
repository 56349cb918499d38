import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { ConflictError, NotFoundError } from '../src/domain/errors.js';
import { ApiKeyRepository } from '../src/repositories/api-key-repository.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// Repositories answer PostgreSQL's refusals with domain errors (STYLE.md), not driver errors.
describe('database errors, as repositories report them', () => {
  let server: TestDatabase;
  let db: Database;
  let keys: ApiKeyRepository;
  let consumerId: number;
  beforeAll(async () => {
    server = await createTestDatabase();
    db = openDatabase({ databaseUrl: server.url, dataDir: '' });
    const session = await db.session();
    await migrate(session).finally(() => session.release());
    keys = new ApiKeyRepository(db, db);
    [{ id: consumerId }] = await db.query<{ id: number }>(
      "INSERT INTO assets (kind, name, owner) VALUES ('consumer', 'app', 'team') RETURNING id",
    );
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it('a unique violation is a ConflictError', async () => {
    await keys.create(consumerId, 'dk_aaaa', 'hash-1');
    await expect(keys.create(consumerId, 'dk_aaaa', 'hash-1')).rejects.toBeInstanceOf(ConflictError);
    expect(await keys.list(consumerId)).toHaveLength(1);
  });

  it('a missing referenced row is a NotFoundError', async () => {
    await expect(keys.create(consumerId + 1000, 'dk_bbbb', 'hash-2')).rejects.toBeInstanceOf(NotFoundError);
  });
});
