import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './database.js';

/** The admin token every test app accepts (DEPCAT_ADMIN_TOKEN); `t.http` sends it. */
export const TEST_ADMIN_TOKEN = 'dct_test-admin-token-0123456789abcdefghijklmnop';
export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** The environment a test app gets unless a test says otherwise. */
export const TEST_ENV: Record<string, string> = {
  DEPCAT_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  // Tests' webhook receivers listen on the loopback interface.
  DEPCAT_WEBHOOK_ALLOW: '127.0.0.1',
};

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  db: TestDatabase;
  /** Requests with the admin token (a request's own Authorization replaces it). */
  http: ReturnType<typeof supertest.agent>;
  /** Requests without any token. */
  anon: ReturnType<typeof supertest>;
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
  const config: Config = loadConfig({ ...TEST_ENV, ...env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
  const { timeZone: _zone, ...build } = options;
  const { app, container } = await buildApp(config, build);
  await app.ready();
  return {
    app,
    container,
    db,
    http: supertest.agent(app.server).set(ADMIN_AUTH),
    anon: supertest(app.server),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
