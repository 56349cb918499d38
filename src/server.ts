import { chmodSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Bootstrap } from './services/token-service.js';
import { DataDirLockedError } from './db/data-dir-lock.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { app, container } = await buildApp(config);
  if (!config.auth)
    app.log.warn({ host: config.host }, 'DEPCAT_AUTH=off: no request is authenticated or authorized (loopback only; never in production)');
  announceBootstrap(config, container.bootstrap, app.log);

  // The first SIGTERM or SIGINT closes the app gracefully (graceful-close.ts says in what
  // order, each step logged); a second one exits at once, as an impatient operator means.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now, without finishing the shutdown');
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    app.close().then(
      () => {
        app.log.info({}, 'shut down');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { database: config.databaseUrl ? 'postgres' : `embedded (${config.dataDir})` },
    'depcat is listening',
  );
}

/**
 * A first start's admin token is printed once, on standard output and not through the
 * log (log lines are shipped and kept; the secret must not be), and on the embedded
 * database also written where the README's tour reads it.
 */
function announceBootstrap(config: Config, bootstrap: Bootstrap, log: { info: (obj: object, msg: string) => void }): void {
  if (!bootstrap.created) return;
  let file: string | null = null;
  if (!config.databaseUrl) {
    file = join(config.dataDir, 'admin-token');
    writeFileSync(file, `${bootstrap.secret}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // an older file keeps its mode otherwise
  }
  process.stdout.write(
    `\nAn admin token "${bootstrap.name}" was created; it is shown only this once:\n\n  ${bootstrap.secret}\n\n` +
      (file ? `It is also in ${file} (mode 0600).\n` : '') +
      'Use it as Authorization: Bearer <token> to create tokens for teams and consumers (POST /v1/tokens).\n\n',
  );
  log.info({ token: bootstrap.name, file }, 'created the first admin token');
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
