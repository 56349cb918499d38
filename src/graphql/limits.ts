/**
 * Limits on what one operation may ask for; docs/graphql.md says why these numbers.
 * The first five are checked by graphql-armor before anything runs. armor's cost only
 * multiplies by `first` when it is written in the query, so `maxTraversals` also caps,
 * while running, how many closures (upstream, downstream, consumers, impact) one
 * operation computes, however its page sizes were passed; likewise `maxHistoryItems`
 * caps the history entries (the sum of `history(first:)`) one operation may ask for.
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 10,
  maxCost: 25_000,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2_000,
  maxTraversals: 100,
  maxHistoryItems: 10_000,
} as const;

export const LIMIT_CODE = 'QUERY_LIMIT_EXCEEDED';
