/**
 * The GraphQL schema, written as SDL so it reads like the contract it is. Types mirror
 * the REST shapes (docs/graphql.md pastes the top level); resolvers.ts fills them from
 * the same services.
 */
export const typeDefs = /* GraphQL */ `
  """
  Free JSON object, bounded in size (asset metadata).
  """
  scalar JSONObject

  enum Kind {
    source
    feature
    model
    consumer
  }

  enum Lifecycle {
    experimental
    production
    deprecated
    retired
  }

  enum ValueType {
    probability
    log_odds
    count
    ratio
    category
    embedding
    boolean
    score
    threshold
    other
  }

  enum Stability {
    stable
    volatile
  }

  enum AccessPolicy {
    open
    warn
    enforce
  }

  enum Direction {
    upstream
    downstream
  }

  enum WriteStatus {
    created
    updated
    unchanged
  }

  type Query {
    "One asset by ref, \`kind:name\`. Unknown refs give null and a NOT_FOUND error."
    asset(ref: String!): Asset
    "Assets ordered by kind then name, filtered, paged by cursor (first: 1-1000, default 100)."
    assets(filter: AssetFilter, first: Int = 100, after: String): AssetConnection!
  }

  type Mutation {
    "Creates or replaces one asset and its whole set of dependencies. ifMatch refuses a stale write (PRECONDITION_FAILED)."
    upsertAsset(ref: String!, input: AssetInput!, ifMatch: Int): UpsertAssetResult!
    "Many assets in one atomic write; dependencies may name assets later in the same list."
    upsertAssets(assets: [BatchAssetInput!]!): UpsertAssetsResult!
    "Refused with CONFLICT (the impact report in extensions.impact) while anything depends on it, unless force with a reason."
    deleteAsset(ref: String!, force: Boolean = false, reason: String): DeleteAssetResult!
  }

  type Asset {
    ref: String!
    kind: Kind!
    name: String!
    owner: String!
    description: String
    lifecycle: Lifecycle!
    tags: [String!]!
    "Where the asset is available; null = unknown."
    platforms: [String!]
    "Where the asset applies; null = unknown."
    domains: [String!]
    valueType: ValueType
    stability: Stability
    accessPolicy: AccessPolicy
    contact: String
    sla: Sla
    metadata: JSONObject!
    revision: Int!
    createdAt: String!
    updatedAt: String!
    deprecation: Deprecation
    warnings: [Warning!]!
    "What this asset directly depends on."
    dependsOn: [Dependency!]!
    "What directly depends on this asset."
    dependents: [Asset!]!
    "Everything it transitively depends on, each at its shortest distance."
    upstream(depth: Int, kinds: [Kind!], first: Int = 100, after: String): Closure!
    "Everything that transitively depends on it, each at its shortest distance."
    downstream(depth: Int, kinds: [Kind!], first: Int = 100, after: String): Closure!
    "Every consumer downstream, with contact, SLA, distance and one shortest path."
    consumers(depth: Int, first: Int = 100, after: String): Consumers!
    "Pre-deletion impact check: what breaks and whom to tell."
    impact(first: Int = 100, after: String): Impact!
  }

  type Dependency {
    ref: String!
    "The asset depended on (null only if it vanished between two reads)."
    asset: Asset
    pinnedVersion: String
    importance: Float
    note: String
  }

  type Sla {
    maxStalenessHours: Float
    notify: String
  }

  type Deprecation {
    reason: String!
    replacedBy: String
    sunsetAt: String
    deprecatedAt: String!
  }

  type Warning {
    code: String!
    message: String!
  }

  type KindCounts {
    source: Int!
    feature: Int!
    model: Int!
    consumer: Int!
  }

  type PageInfo {
    hasNextPage: Boolean!
    "Pass as \`after\` to read the next page."
    endCursor: String
  }

  type AssetConnection {
    edges: [AssetEdge!]!
    pageInfo: PageInfo!
  }

  type AssetEdge {
    cursor: String!
    node: Asset!
  }

  input AssetFilter {
    kind: Kind
    owner: String
    lifecycle: Lifecycle
    tag: String
    "Case-insensitive substring of the name or description."
    q: String
  }

  type ClosureItem {
    ref: String!
    kind: Kind!
    name: String!
    owner: String!
    distance: Int!
    asset: Asset
  }

  "\`total\` counts items after the depth and kinds filters; \`countsByKind\` applies depth only."
  type Closure {
    root: String!
    direction: Direction!
    total: Int!
    countsByKind: KindCounts!
    items: [ClosureItem!]!
    pageInfo: PageInfo!
  }

  type ConsumerItem {
    ref: String!
    name: String!
    owner: String!
    contact: String
    sla: Sla
    distance: Int!
    "Refs from the root to the consumer, both included."
    path: [String!]!
  }

  type UndeclaredReader {
    identity: String!
    firstSeen: String!
    lastSeen: String!
    count: Int!
  }

  type Consumers {
    root: String!
    total: Int!
    consumers: [ConsumerItem!]!
    undeclared: [UndeclaredReader!]!
    pageInfo: PageInfo!
  }

  "\`pageInfo\` pages through \`dependents\`."
  type Impact {
    root: String!
    safeToDelete: Boolean!
    total: Int!
    countsByKind: KindCounts!
    dependents: [ClosureItem!]!
    consumers: [ConsumerItem!]!
    owners: [String!]!
    pageInfo: PageInfo!
  }

  input SlaInput {
    maxStalenessHours: Float
    notify: String
  }

  input DependencyInput {
    ref: String!
    pinnedVersion: String
    importance: Float
    note: String
  }

  "The annotations of an asset plus its whole set of dependencies, as the body of PUT /v1/assets/{kind}/{name}."
  input AssetInput {
    owner: String!
    description: String
    lifecycle: Lifecycle
    tags: [String!]
    platforms: [String!]
    domains: [String!]
    valueType: ValueType
    stability: Stability
    accessPolicy: AccessPolicy
    contact: String
    sla: SlaInput
    metadata: JSONObject
    dependsOn: [DependencyInput!]
  }

  input BatchAssetInput {
    ref: String!
    owner: String!
    description: String
    lifecycle: Lifecycle
    tags: [String!]
    platforms: [String!]
    domains: [String!]
    valueType: ValueType
    stability: Stability
    accessPolicy: AccessPolicy
    contact: String
    sla: SlaInput
    metadata: JSONObject
    dependsOn: [DependencyInput!]
  }

  type UpsertAssetResult {
    status: WriteStatus!
    asset: Asset!
  }

  type WriteResult {
    ref: String!
    status: WriteStatus!
    revision: Int!
  }

  type WriteCounts {
    created: Int!
    updated: Int!
    unchanged: Int!
  }

  type UpsertAssetsResult {
    items: [WriteResult!]!
    counts: WriteCounts!
  }

  type DeleteAssetResult {
    ref: String!
    deleted: Boolean!
  }
`;
