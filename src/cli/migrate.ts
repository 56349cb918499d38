import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrator.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
const config = loadConfig();
const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const session = await db.session();
try {
  const applied = await migrate(session);
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
} finally {
  await session.release();
  await db.close();
}
