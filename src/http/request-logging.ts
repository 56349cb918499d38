import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A probe (readiness): its 503 is an answer ("not yet"), not a server error to warn about. */
    probe?: boolean;
  }
}

/**
 * Fastify's request lines, quieter: none on arrival, and one when the answer is written,
 * at debug (at warn for a 5xx or a failed write), so that LOG_LEVEL=info logs start-up,
 * shutdown, warnings and errors only. Every line a request logs carries its id
 * (`requestId`), the same as in the `x-request-id` header and in error bodies.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) request.log.warn({ ...line, err: error }, 'writing the answer failed');
    else if (reply.statusCode >= 500 && !request.routeOptions.config.probe) request.log.warn(line, 'request answered with a server error');
    else request.log.debug(line, 'request completed');
  }

  /** A client that leaves mid-answer is routine: debug, not info. */
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
      request.log.debug({ statusCode: reply.statusCode }, 'the client closed the connection before the end of the answer');
    else super.streamError(error, request, reply);
  }
}
