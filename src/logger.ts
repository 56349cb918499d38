import { pino, type DestinationStream, type LogFn, type Logger } from 'pino';
import type { Config } from './config.js';

/** What the services and background tasks log through: the app's logger, or a test's. */
export interface Log {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/**
 * The process's one logger, built before anything else: Fastify logs requests through it
 * (as its `loggerInstance`), and the container hands it to the services and background
 * tasks, so that nothing is given a logger after it has been built.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  options: { enabled?: boolean; destination?: DestinationStream } = {},
): Logger {
  const settings = { level: config.logLevel, enabled: options.enabled ?? true };
  // Written synchronously: pino's default buffers and writes in the background, and on
  // process.exit its final flush can overtake a write still under way, so a shutdown's
  // last lines came out of order (or not at all after a crash). At info there are few lines.
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
