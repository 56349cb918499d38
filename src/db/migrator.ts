import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScriptSession } from './database.js';

// Our own runner rather than Postgrator, which would run on PGlite too: see the
// migrations row of docs/architecture.md for what it lacks (one transaction, a lock).

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Any constant works; it only has to be the same in every process. */
const MIGRATION_LOCK_KEY = 0x64657063; // "depc"

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** `NNN_name.sql` files, in version order. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .map((file) => {
      const sql = readFileSync(dir + file, 'utf8');
      return {
        version: Number.parseInt(file, 10),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies pending migrations, forward only, all in one transaction under an advisory
 * lock: processes starting together apply them once, and a failing file leaves the
 * schema as it was. An applied file that has since been edited is refused.
 */
export async function migrate(session: ScriptSession, migrations = readMigrations()): Promise<string[]> {
  await session.script('BEGIN');
  try {
    await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await session.script(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await session.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const byVersion = new Map(applied.map((row) => [row.version, row]));
    for (const migration of migrations) {
      const done = byVersion.get(migration.version);
      if (done && done.checksum !== migration.checksum)
        throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
    }
    const pending = migrations.filter((m) => !byVersion.has(m.version));
    for (const migration of pending) {
      await session.script(migration.sql);
      await session.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
    }
    await session.script('COMMIT');
    return pending.map((m) => m.name);
  } catch (error) {
    await session.script('ROLLBACK');
    throw error;
  }
}
