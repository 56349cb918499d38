import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { createContainer, type Container, type ContainerOptions } from './container.js';
import { registerAuthentication } from './http/authentication.js';
import { registerErrorHandler } from './http/error-handler.js';
import { clientErrorHandler, frameworkErrors } from './http/framework-errors.js';
import { registerCors } from './http/cors.js';
import { registerGracefulClose } from './http/graceful-close.js';
import { requestIdOf } from './http/request-id.js';
import { RequestLogController } from './http/request-logging.js';
import { registerRequestObserver } from './http/request-observer.js';
import { registerRequestGuards } from './http/request-guards.js';
import { DOCS_CSP, registerSecurityHeaders } from './http/security-headers.js';
import { documentImportBody } from './http/ndjson.js';
import { accessRoutes } from './http/routes/access-routes.js';
import { apiKeyRoutes } from './http/routes/api-key-routes.js';
import { assetRoutes } from './http/routes/asset-routes.js';
import { deprecationRoutes } from './http/routes/deprecation-routes.js';
import { findingsRoutes } from './http/routes/findings-routes.js';
import { healthRoutes } from './http/routes/health-routes.js';
import { lineageRoutes } from './http/routes/lineage-routes.js';
import { metricsRoutes } from './http/routes/metrics-routes.js';
import { notificationRoutes } from './http/routes/notification-routes.js';
import { graphqlRoutes } from './graphql/graphql-routes.js';
import { tokenRoutes } from './http/routes/token-routes.js';
import { usageRoutes } from './http/routes/usage-routes.js';
import { webhookSecretRoutes } from './http/routes/webhook-secret-routes.js';
import { createLogger } from './logger.js';

export interface BuiltApp {
  app: FastifyInstance;
  container: Container;
}

export interface BuildOptions extends Pick<ContainerOptions, 'onQuery' | 'findingsReads'> {
  /** `false` builds the app with a logger that writes nothing. */
  logger?: boolean;
  /** Where the log lines go instead of standard output (tests read them). */
  logDestination?: DestinationStream;
}

/**
 * The one app factory: the server and the tests build the same instance. The logger comes
 * first, then the container, then the routes; the background tasks start once the app is
 * ready and stop when it closes, after the requests in flight and before the database.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<BuiltApp> {
  const log: FastifyBaseLogger = createLogger(config, { enabled: options.logger !== false, destination: options.logDestination });
  const container = await createContainer(config, { log, onQuery: options.onQuery, findingsReads: options.findingsReads });
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    loggerInstance: log,
    // One line per request at debug, not Fastify's two at info; each with the request's
    // id, the caller's X-Request-Id when it is a valid one.
    logController: new RequestLogController(),
    genReqId: requestIdOf,
    // While closing, a request on a connection still open is served (its answer closes the
    // connection) rather than refused with a 503 outside the error shape: see graceful-close.ts.
    return503OnClosing: false,
    // Refs and names may contain dots; keep them intact. A name is up to 200 characters
    // (a path parameter is measured decoded): a longer one gets the schema's 400 naming
    // it, and only a segment past 1,000 the router's 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Slow headers are Node's to end; it looks for them four times per timeout, at most
    // once a second. Node's requestTimeout stays off (Fastify's default): it would also end
    // imports still streaming. Bodies have their clock in request-guards.ts.
    http: {
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(config.headersTimeoutMs / 4))),
    },
    frameworkErrors,
    clientErrorHandler,
  });
  // Before the error handler and the routes, so the not-found handler and every route inherit them.
  registerRequestObserver(app, container.metrics);
  registerGracefulClose(app, { graceMs: config.shutdownGraceMs, log, close: () => container.close() });
  registerRequestGuards(app, config);
  app.addHook('onReady', () => container.start());
  try {
    await registerRoutes(app, container);
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, container };
}

async function registerRoutes(app: FastifyInstance, container: Container): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Their onRequest hooks before the routes and the not-found handler, so every answer has them.
  await registerSecurityHeaders(app);
  await registerCors(app, container.config.corsOrigins);
  registerErrorHandler(app);
  const authentication = await registerAuthentication(app, {
    tokens: container.tokens,
    policy: container.policy,
    enabled: container.config.auth,
    failureLimit: container.config.authFailureLimit,
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'depcat',
        version: '1',
        description:
          'A data dependency catalog for machine-learning systems: who consumes X, what X depends on, ' +
          'what breaks if X goes, and who reads X without having registered.',
      },
      tags: [
        { name: 'assets', description: 'Register, read, list and delete assets and their dependencies' },
        { name: 'lineage', description: 'Transitive closures, consumers and impact' },
        { name: 'deprecation', description: 'Deprecation, consumer notifications and change history' },
        { name: 'usage', description: 'Observed reads, undeclared consumers, API keys and the access check' },
        { name: 'tokens', description: 'Bearer tokens for admins, teams and consumers (admin only)' },
        { name: 'findings', description: 'ML technical-debt findings read off the dependency graph' },
        { name: 'health', description: 'Liveness, readiness and metrics' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: documentImportBody,
  });
  // The API's description is no secret: the docs' own routes (the plugin's) are public,
  // each with its own policy in place of the API's (security-headers.ts).
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(container));
  await app.register(metricsRoutes(container));
  await app.register(assetRoutes(container));
  await app.register(lineageRoutes(container));
  await app.register(deprecationRoutes(container));
  await app.register(notificationRoutes(container));
  await app.register(graphqlRoutes(container));
  await app.register(usageRoutes(container));
  await app.register(accessRoutes(container));
  await app.register(apiKeyRoutes(container));
  await app.register(tokenRoutes(container));
  await app.register(webhookSecretRoutes(container));
  await app.register(findingsRoutes(container));
  authentication.verifyDeclarations();
}
