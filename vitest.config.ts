import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql ships CommonJS (main) and ESM (module) builds; Node loads the CommonJS one for
  // graphql-yoga and graphql-armor, so our code must too, or `instanceof GraphQLError` fails.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    // Unit tests of pure modules sit beside them in src/; the rest, on PostgreSQL, in test/.
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests talk to a real PostgreSQL server; see test/helpers/database.ts.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
