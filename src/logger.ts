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
 * Secrets a line could carry, wherever a request or an error is logged: a request's
 * `Authorization` and `Cookie` headers (Fastify's `req` serializer leaves headers out, but a
 * request, a Node request or a headers object logged whole has them; `*.` is any key, `err`
 * included), and the raw bytes of a request Node's parser refused (its error's `rawPacket`:
 * the request line and every header, in a Buffer that no header path reaches).
 */
const REDACTED = [
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.raw.headers.authorization',
  '*.raw.headers.cookie',
  '*.rawHeaders',
  '*.raw.rawHeaders',
  '*.rawPacket',
];

/**
 * The process's one logger, built before anything else: Fastify logs requests through it
 * (as its `loggerInstance`), and the container hands it to the services and background
 * tasks, so that nothing is given a logger after it has been built.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  options: { enabled?: boolean; destination?: DestinationStream } = {},
): Logger {
  const settings = { level: config.logLevel, enabled: options.enabled ?? true, redact: { paths: REDACTED, censor: '[redacted]' } };
  // Written synchronously: pino's default buffers and writes in the background, and on
  // process.exit its final flush can overtake a write still under way, so a shutdown's
  // last lines came out of order (or not at all after a crash). At info there are few lines.
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
