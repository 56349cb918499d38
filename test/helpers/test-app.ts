import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  db: TestDatabase;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/**
 * The real app on a fresh PostgreSQL database, through supertest; `onQuery` sees every SQL
 * statement, `findingsReads` replaces the usage table as the findings' source of undeclared reads.
 * Webhooks may reach 127.0.0.1, where the tests' receivers listen, unless `env` says otherwise.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<BuildOptions, 'onQuery' | 'findingsReads'> & {
    /** The database's own default time zone, as an operator may have set it. */
    timeZone?: string;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  if (options.timeZone) await adminQuery(`ALTER DATABASE ${db.name} SET timezone TO '${options.timeZone}'`);
  const config: Config = loadConfig({ DEPCAT_WEBHOOK_ALLOW: '127.0.0.1', ...env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
  const { timeZone: _zone, ...build } = options;
  const { app, container } = await buildApp(config, build);
  await app.ready();
  return {
    app,
    container,
    db,
    http: supertest(app.server),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
