import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { ConflictError, NotFoundError } from '../src/domain/errors.js';
import { TokenRepository, type NewToken } from '../src/repositories/token-repository.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// Repositories answer PostgreSQL's refusals with domain errors (STYLE.md), not driver errors.
describe('database errors, as repositories report them', () => {
  let server: TestDatabase;
  let db: Database;
  let keys: TokenRepository;
  let consumerId: number;
  beforeAll(async () => {
    server = await createTestDatabase();
    db = openDatabase({ databaseUrl: server.url, dataDir: '' });
    const session = await db.session();
    await migrate(session).finally(() => session.release());
    keys = new TokenRepository(db);
    [{ id: consumerId }] = await db.query<{ id: number }>(
      "INSERT INTO assets (kind, name, owner) VALUES ('consumer', 'app', 'team') RETURNING id",
    );
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  const token = (fields: Partial<NewToken>): NewToken => ({
    name: 'app-key',
    team: null,
    consumerId,
    scopes: ['read'],
    prefix: 'dct_aaaa',
    secretHash: 'hash-1',
    expiresAt: null,
    ...fields,
  });

  it('a unique violation is a ConflictError', async () => {
    await keys.create(token({}));
    await expect(keys.create(token({ name: 'other' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(keys.create(token({ secretHash: 'hash-3' }))).rejects.toThrow(/a token named "app-key" already exists/);
    expect(await keys.list({ consumerId, limit: 10 })).toHaveLength(1);
  });

  it('a missing referenced row is a NotFoundError', async () => {
    await expect(keys.create(token({ name: 'b', consumerId: consumerId + 1000, secretHash: 'hash-2' }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
