import type { FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import type { Container } from '../container.js';
import type { ClosureIndex } from '../graph/closure-index.js';
import { actorOf } from '../http/request-context.js';
import { GRAPHQL_LIMITS, LIMIT_CODE } from './limits.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver gets: the shared services, this request's loaders and who is asking. */
export interface GraphQLContext {
  c: Container;
  loaders: Loaders;
  /** The closure index caught up once per operation (not once per asset), or again after a write. */
  index(): Promise<ClosureIndex>;
  /** Who made a change, for the history: the X-Actor header, as for REST. */
  actor(): string;
  /** After a mutation: later fields of the same operation must see the write. */
  afterWrite(): void;
  /** Counts one closure computation; past the operation's allowance it refuses. */
  traversal(): void;
  /** Counts the history entries one `history` field may return; past the operation's allowance it refuses. */
  historyItems(first: number): void;
}

export function createContext(c: Container, request: FastifyRequest): GraphQLContext {
  let index: Promise<ClosureIndex> | null = null;
  let traversals = 0;
  let historyItems = 0;
  const context: GraphQLContext = {
    c,
    loaders: createLoaders(c),
    index: () => (index ??= c.graph.fresh()),
    actor: () => actorOf(request),
    afterWrite() {
      index = null;
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
