import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface CloseLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/**
 * After the grace period, how long a request whose connection was closed for it may take
 * to notice and end (an import rolls back) before the database closes under it.
 */
const WRAP_UP_MS = 2000;

export interface GracefulCloseOptions {
  /** How long requests in flight may take to finish once the close has begun. */
  graceMs: number;
  log: CloseLog;
  /** What closes after the last request: the background tasks, then the database. */
  close(): Promise<void>;
}

/**
 * How `app.close()` ends (SIGTERM, in server.ts), in this order:
 *
 * 1. Fastify stops accepting connections and closes the idle ones; every answer from
 *    then on carries `Connection: close`, and a connection left idle is closed, so
 *    keep-alive clients do not hold the close open.
 * 2. Requests in flight finish, for up to `graceMs`; after that their connections are
 *    closed.
 * 3. A request whose client has gone (or whose connection was closed in 2) may still be
 *    working: the close waits for its handler to answer, until the same deadline (plus
 *    WRAP_UP_MS for those cut off in 2), so the database is not closed under it
 *    ("Cannot use a pool after calling end").
 * 4. `close()`: the background tasks stop (the access-check reads are flushed first),
 *    then the database closes.
 *
 * A request counts as in flight from its arrival until its handler has answered (onSend),
 * or its answer is written, whichever comes first.
 */
export function registerGracefulClose(app: FastifyInstance, options: GracefulCloseOptions): void {
  const { graceMs, log } = options;
  const inFlight = new Set<FastifyRequest>();
  let closing = false;
  let deadline = 0;
  let timer: NodeJS.Timeout | undefined;
  let settled: (() => void) | undefined;
  const finished = (request: FastifyRequest) => {
    if (inFlight.delete(request) && inFlight.size === 0) settled?.();
  };

  app.addHook('onRequest', (request, _reply, done) => {
    inFlight.add(request);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    finished(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    finished(request);
    // An answer begun before the close kept its connection alive: close it now it is idle.
    if (closing) app.server.closeIdleConnections();
    done();
  });

  // Runs before Fastify closes the server.
  app.addHook('preClose', (done) => {
    closing = true;
    deadline = Date.now() + graceMs;
    log.info({ inFlight: inFlight.size, graceMs }, 'accepting no new connections; finishing the requests in flight');
    timer = setTimeout(() => {
      app.server.getConnections((_error, connections) => {
        if (connections > 0) log.warn({ connections, graceMs }, 'grace period over: closing the connections still open');
      });
      app.server.closeAllConnections();
    }, graceMs);
    timer.unref();
    done();
  });

  // Runs once the server has closed (Fastify's own onClose, added later, runs first).
  app.addHook('onClose', async () => {
    if (inFlight.size > 0) {
      const left = deadline + WRAP_UP_MS - Date.now();
      let wait: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        settled = resolve;
        wait = setTimeout(resolve, Math.max(0, left));
      });
      clearTimeout(wait);
    }
    clearTimeout(timer);
    if (inFlight.size > 0)
      log.warn({ requests: inFlight.size }, 'grace period over: requests still running; closing the database under them');
    else log.info({}, 'requests in flight finished');
    await options.close();
  });
}
