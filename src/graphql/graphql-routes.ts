import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorConfig } from '@escape.tech/graphql-armor-types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import type { Container } from '../container.js';
import { NotAllowedError, RateLimitedError, UnauthorizedError } from '../domain/errors.js';
import { createContext, type GraphQLContext } from './context.js';
import { domainExtensions, maskError } from './errors.js';
import { EXAMPLE_QUERY } from './example-query.js';
import { explorerCsp, renderExplorer } from './explorer-page.js';
import { GRAPHQL_LIMITS, LIMIT_CODE } from './limits.js';
import { useOperationChecks } from './operation-checks.js';
import { useOperationLimits } from './operation-limits.js';
import { useReadAccess } from './read-access.js';
import { useRequestIds } from './request-ids.js';
import { withResponseBudget } from './response-budget.js';
import { resolvers } from './resolvers.js';
import { typeDefs } from './schema.js';

/** A refused operation names the limit in `extensions`, beside armor's message. */
const tag = (limit: string) => [
  (_context: unknown, error: GraphQLError) => {
    Object.assign(error.extensions, { code: LIMIT_CODE, limit });
  },
];

const armor: GraphQLArmorConfig = {
  maxDepth: { n: GRAPHQL_LIMITS.maxDepth, onReject: tag('maxDepth') },
  // The cost is checked with the operation's variables, before execution (operation-limits.ts).
  costLimit: { enabled: false },
  maxAliases: { n: GRAPHQL_LIMITS.maxAliases, onReject: tag('maxAliases') },
  maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives, onReject: tag('maxDirectives') },
  maxTokens: { n: GRAPHQL_LIMITS.maxTokens, onReject: tag('maxTokens') },
  // The schema is introspectable anyway; "did you mean ...?" helps the people exploring it.
  blockFieldSuggestion: { enabled: false },
};

type ServerContext = { req: FastifyRequest; reply: FastifyReply };

/** GraphQL at /graphql (and GraphiQL for browsers), over the same services as REST. */
export const graphqlRoutes = (c: Container) => async (app: FastifyInstance) => {
  // Every list, text and JSON field counts against the operation's response budget.
  const measured = withResponseBudget(createSchema({ typeDefs, resolvers }), resolvers);
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema: createSchema<ServerContext & GraphQLContext>({ typeDefs, resolvers: measured }),
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'depcat GraphQL explorer', defaultQuery: EXAMPLE_QUERY },
    renderGraphiQL: renderExplorer,
    landingPage: false,
    // CORS is @fastify/cors's, for every route alike (http/cors.ts): yoga's own would answer
    // any origin, with credentials.
    cors: false,
    maskedErrors: { maskError },
    logging: {
      debug: (...args) => app.log.debug({ args }, 'graphql'),
      info: (...args) => app.log.info({ args }, 'graphql'),
      warn: (...args) => app.log.warn({ args }, 'graphql'),
      // yoga calls this with each error it masked: useRequestIds logs those, with the
      // request's id, which yoga does not know.
      error: (first: unknown, ...args: unknown[]) => {
        if (!(first instanceof Error)) app.log.error({ args: [first, ...args] }, 'graphql');
      },
    },
    context: ({ req }) => createContext(c, req),
    plugins: [EnvelopArmorPlugin(armor), useReadAccess(c.policy), useOperationChecks(), useOperationLimits(), useRequestIds()],
  });

  // Authentication refuses a request before yoga sees it (authentication.ts, onRequest):
  // the answer keeps its status and headers but is in GraphQL's shape, with the code a
  // GraphQL client looks for (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED). Anything else
  // goes on to the app's handler.
  app.setErrorHandler((error: unknown, request, reply) => {
    if (!(error instanceof UnauthorizedError || error instanceof NotAllowedError || error instanceof RateLimitedError)) throw error;
    const status = error instanceof UnauthorizedError ? 401 : error instanceof NotAllowedError ? 403 : 429;
    if (error instanceof UnauthorizedError) reply.header('www-authenticate', 'Bearer realm="depcat"');
    if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply
      .code(status)
      .send({ errors: [{ message: error.message, extensions: { ...domainExtensions(error), requestId: request.id } }] });
  });

  // graphql-yoga's Fastify integration: yoga answers; Fastify sends what it answered.
  // No OPTIONS: preflights are @fastify/cors's.
  app.route({
    url: yoga.graphqlEndpoint,
    method: ['GET', 'POST'],
    // Each operation is judged by the rules of what it asks: queries by the read rule
    // (useReadAccess), mutations by their services' rules.
    config: { access: 'service' },
    schema: { hide: true },
    handler: async (request, reply) => {
      const response = await yoga.handleNodeRequestAndResponse(request, reply, { req: request, reply });
      response.headers.forEach((value, key) => {
        reply.header(key, value);
      });
      // The explorer page, not an operation's result: its policy in place of the API's.
      const csp = explorerCsp();
      if (csp && response.headers.get('content-type')?.startsWith('text/html')) reply.header('content-security-policy', csp);
      reply.status(response.status);
      reply.send(response.body);
      return reply;
    },
  });
};
