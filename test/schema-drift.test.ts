import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { parsePrismaSchema, readDatabaseSchema, schemaDifferences } from './helpers/schema-drift.js';

const schemaText = readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');

async function migrated(db: Database): Promise<Database> {
  const session = await db.session();
  try {
    await migrate(session);
  } finally {
    await session.release();
  }
  return db;
}

// The same comparison on both flavours: migrations must build the same tables on each.
describe.each(['postgres', 'embedded'] as const)('schema.prisma against the migrated %s database', (flavour) => {
  let db: Database;
  let server: TestDatabase | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    if (flavour === 'postgres') {
      server = await createTestDatabase();
      db = await migrated(openDatabase({ databaseUrl: server.url, dataDir: '' }));
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'depcat-drift-'));
      db = await migrated(openDatabase({ dataDir }));
    }
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const differences = async (text: string) => schemaDifferences(parsePrismaSchema(text), await readDatabaseSchema(db.query));

  it('describes exactly the tables, columns, keys and indexes the migrations create', async () => {
    const models = parsePrismaSchema(schemaText);
    expect(models.map((m) => m.table).sort()).toEqual(
      ['asset_history', 'assets', 'dependencies', 'graph_changes', 'graph_log_horizon', 'notification_outbox', 'tokens', 'usage_reads', 'webhook_secrets'],
    );
    expect(await differences(schemaText)).toEqual([]);
  });

  it('would catch the cascading dependency keys it once declared, which the SQL never had', async () => {
    const drifted = schemaText.replace(
      /(\n\s*@@id\(\[dependentId, dependencyId\]\))/,
      `
  dependent  Asset @relation("dependent", fields: [dependentId], references: [id], onDelete: Cascade)
  dependency Asset @relation("dependency", fields: [dependencyId], references: [id], onDelete: Cascade)$1`,
    );
    expect(drifted).not.toBe(schemaText);
    expect(await differences(drifted)).toEqual([
      'foreign key of dependencies: (dependent_id) -> assets(id) on delete Cascade: in schema.prisma, not in the database',
      'foreign key of dependencies: (dependency_id) -> assets(id) on delete Cascade: in schema.prisma, not in the database',
    ]);
  });

  it('catches a wrong delete rule, type, nullability, default or index', async () => {
    const drifted = schemaText
      .replace('references: [id], onDelete: Cascade)\n\n  @@id([assetId, identity])', 'references: [id])\n\n  @@id([assetId, identity])')
      .replace('payload       Json      @db.Json', 'payload       Json')
      .replace('description       String?', 'description       String')
      .replace('revision          Int       @default(1)', 'revision          Int')
      .replace('@@index([owner, kind, name], map: "assets_owner_idx")', '');
    expect(await differences(drifted)).toEqual(
      expect.arrayContaining([
        'foreign key of usage_reads: (asset_id) -> assets(id) on delete Restrict: in schema.prisma, not in the database',
        'foreign key of usage_reads: (asset_id) -> assets(id) on delete Cascade: in the database, not in schema.prisma',
        'notification_outbox.payload: schema.prisma says jsonb, the database json',
        'assets.description: schema.prisma says NOT NULL, the database nullable',
        'assets.revision: schema.prisma gives no default, the database has one',
        'index on assets: assets_owner_idx btree (owner, kind, name): in the database, not in schema.prisma',
      ]),
    );
  });
});
