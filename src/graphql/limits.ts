/**
 * Limits on what one operation may ask for; docs/graphql.md and docs/limits.md say
 * why these numbers. Depth, aliases, directives and tokens are checked by graphql-armor
 * while validating. The cost is checked just before execution, with the variables the
 * operation runs with (operation-cost.ts): `first: $n` costs what `first: 1000` does, and
 * an absent `first` its default. While running, the response budget caps the list items
 * and the bytes one operation returns (lists nobody pages, like `dependents`, can hold
 * thousands), `maxTraversals` how many closures (upstream, downstream, consumers, impact)
 * it computes, and `maxHistoryItems` the history entries (the sum of `history(first:)`).
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 10,
  maxCost: 25_000,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2_000,
  maxTraversals: 100,
  maxHistoryItems: 10_000,
  /** Objects all the lists of one response may hold together. */
  maxItems: 25_000,
  /** Characters of text and JSON one response may hold (about its size in bytes). */
  maxResponseBytes: 10 * 1024 * 1024,
} as const;

export const LIMIT_CODE = 'QUERY_LIMIT_EXCEEDED';
