import type { FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import type { Container } from '../container.js';
import { onBehalfOfFrom } from '../contracts/actor.js';
import type { Caller } from '../domain/principal.js';
import { GRAPHQL_LIMITS, LIMIT_CODE } from './limits.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver gets: the shared services, this request's loaders and who is asking. */
export interface GraphQLContext {
  c: Container;
  loaders: Loaders;
  /** Who is asking, authenticated before the operation was parsed, as for REST. */
  caller: Caller;
  /** After a mutation: later fields of the same operation must see the write (fresh loaders). */
  afterWrite(): void;
  /** Counts one closure computation; past the operation's allowance it refuses. */
  traversal(): void;
  /** Counts the history entries one `history` field may return; past the operation's allowance it refuses. */
  historyItems(first: number): void;
}

function refuseUncheckedRoute(): never {
  throw new Error('the GraphQL route ran without a caller: its access must not be public');
}

/**
 * The authenticated principal, with X-Actor read when a mutation's service records it (as
 * REST's write routes do): a bad one is then a BAD_USER_INPUT of that mutation, not an
 * answer outside GraphQL, and queries never look at it.
 */
function callerOf(request: FastifyRequest): Caller {
  const { principal } = request.caller ?? refuseUncheckedRoute();
  return {
    principal,
    get onBehalfOf() {
      return onBehalfOfFrom(request.headers['x-actor']);
    },
  };
}

export function createContext(c: Container, request: FastifyRequest): GraphQLContext {
  let traversals = 0;
  let historyItems = 0;
  const context: GraphQLContext = {
    c,
    loaders: createLoaders(c),
    // Set by the route's onRequest hook (src/http/authentication.ts), before yoga parses anything.
    caller: callerOf(request),
    afterWrite() {
      context.loaders = createLoaders(c);
    },
    traversal() {
      if (++traversals > GRAPHQL_LIMITS.maxTraversals)
        throw new GraphQLError(
          `Closure limit of ${GRAPHQL_LIMITS.maxTraversals} per operation exceeded (upstream, downstream, consumers, impact).`,
          { extensions: { code: LIMIT_CODE, limit: 'maxTraversals' } },
        );
    },
    historyItems(first) {
      if ((historyItems += first) > GRAPHQL_LIMITS.maxHistoryItems)
        throw new GraphQLError(
          `History limit of ${GRAPHQL_LIMITS.maxHistoryItems} entries per operation exceeded (the sum of history's first); ask for fewer.`,
          { extensions: { code: LIMIT_CODE, limit: 'maxHistoryItems' } },
        );
    },
  };
  return context;
}
