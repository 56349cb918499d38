import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests talk to a real PostgreSQL server; see test/helpers/database.ts.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
