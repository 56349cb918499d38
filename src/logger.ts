import { pino, type LogFn, type Logger } from 'pino';
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
export function createLogger(config: Pick<Config, 'logLevel'>, options: { enabled?: boolean } = {}): Logger {
  return pino({ level: config.logLevel, enabled: options.enabled ?? true });
}
