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

  """
  Any JSON value (a history entry's before and after).
  """
  scalar JSON

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

  enum HistoryAction {
    create
    update
    deprecate
    reinstate
    delete
  }

  enum NotificationState {
    pending
    delivered
    failing
    given_up
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
    "The recorded changes of a ref, newest first; readable after the asset is deleted. NOT_FOUND only if it never existed."
    history(ref: String!, first: Int = 100, after: String): History!
    "Identities that read an asset without a direct declared dependency on it, by asset then identity. since: a date or date-time."
    undeclaredConsumers(asset: String, since: String, first: Int = 100, after: String): UndeclaredConsumers!
    "Webhook notices (deprecations, reinstatements, forced deletions) and how their delivery is going, newest first."
    notifications(filter: NotificationFilter, first: Int = 100, after: String): Notifications!
    "ML technical-debt findings, ordered by type then by the assets named (see docs/findings.md)."
    findings(filter: FindingFilter, first: Int = 100, after: String): Findings!
  }

  enum FindingType {
    feedback_loop
    past_sunset_in_use
    deprecated_in_use
    platform_mismatch
    correction_cascade
    undeclared_consumer
    unpinned_volatile
    legacy_feature
    experimental_in_production
    domain_mismatch
    negligible_importance
    unused
    missing_annotations
  }

  enum Severity {
    info
    warning
    error
  }

  input FindingFilter {
    types: [FindingType!]
    severities: [Severity!]
    "Only findings about this asset, kind:name (NOT_FOUND if it does not exist)."
    asset: String
    "Only findings naming an asset of this owner."
    owner: String
  }

  type Finding {
    type: FindingType!
    severity: Severity!
    "The assets involved, as refs; a cycle or a chain in order. At most 20: a longer one lists its first 19 and its last."
    assets: [String!]!
    "Only when \`assets\` is cut short: how many assets the chain or loop has in all (else null)."
    assetsTotal: Int
    message: String!
    "What to do, in words."
    fix: String!
    "The fix, when it is one operation: the mutation that carries it out."
    hint: Hint
  }

  "An operation a finding or an error suggests: the mutation to call, on which asset."
  type Hint {
    "reinstate, forceDelete, delete or upsert."
    operation: String!
    mutation: String!
    ref: String!
    "For upsert: dependencies the asset should have among its own."
    dependsOn: [String!]
  }

  type Findings {
    items: [Finding!]!
    "Every finding matching the filter."
    total: Int!
    pageInfo: PageInfo!
  }

  type Mutation {
    "Creates or replaces one asset and its whole set of dependencies. ifMatch refuses a stale write (PRECONDITION_FAILED)."
    upsertAsset(ref: String!, input: AssetInput!, ifMatch: Int): UpsertAssetResult!
    "Many assets in one atomic write; dependencies may name assets later in the same list."
    upsertAssets(assets: [BatchAssetInput!]!): UpsertAssetsResult!
    "Refused with CONFLICT (the impact report in extensions.impact) while anything depends on it, unless force with a reason; a forced deletion sends an asset.deleted notice to every consumer downstream with sla.notify. ifMatch refuses the deletion of a changed asset (PRECONDITION_FAILED)."
    deleteAsset(ref: String!, force: Boolean = false, reason: String, ifMatch: Int): DeleteAssetResult!
    "Marks the asset deprecated and queues a webhook notice to every affected consumer with sla.notify. The same values again change nothing."
    deprecateAsset(ref: String!, input: DeprecateInput!): DeprecateAssetResult!
    "Clears the deprecation; lifecycle experimental or production (default), and sends an asset.reinstated notice to every consumer downstream with sla.notify. CONFLICT when the asset is not deprecated."
    reinstateAsset(ref: String!, lifecycle: Lifecycle, reason: String): Asset!
    "Observed reads, summed per (identity, asset). One bad event (an unknown asset, say) refuses them all, named events[i].field."
    recordUsage(events: [UsageEventInput!]!): UsageReceipt!
    "Puts a given_up notice back to pending, due now, its attempts reset. NOT_FOUND for an unknown id, CONFLICT for a notice that is not given_up."
    retryNotification(id: Int!): Notification!
    "Retries up to first given_up notices about an asset and/or to a consumer (every given_up notice without a filter), oldest first."
    retryNotifications(filter: NotificationRetryFilter, first: Int = 100): RetriedNotifications!
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
    "Every create, update, deprecation, reinstatement and deletion, newest first."
    history(first: Int = 100, after: String): History!
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

  "A page of assets, as every list pages: \`items\` and \`pageInfo\`."
  type AssetConnection {
    items: [Asset!]!
    edges: [AssetEdge!]! @deprecated(reason: "Use items; pageInfo.endCursor continues the list.")
    pageInfo: PageInfo!
  }

  type AssetEdge {
    cursor: String!
    node: Asset!
  }

  input AssetFilter {
    "Only assets of these kinds."
    kinds: [Kind!]
    kind: Kind @deprecated(reason: "Use kinds: [Kind!], as closures do.")
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

  "\`pageInfo\` pages through \`dependents\` and \`consumers\` together: each page lists the next \`first\` of each (consumers run out no later; then the list is empty)."
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

  type FieldChange {
    field: String!
    before: JSON
    after: JSON
  }

  type HistoryEntry {
    action: HistoryAction!
    "The token's name."
    actor: String!
    "Whom the token said it acted for (X-Actor), if anyone."
    onBehalfOf: String
    at: String!
    revision: Int!
    changes: [FieldChange!]!
    reason: String
  }

  type History {
    items: [HistoryEntry!]!
    pageInfo: PageInfo!
  }

  type UndeclaredConsumer {
    identity: String!
    "The ref read."
    asset: String!
    firstSeen: String!
    lastSeen: String!
    "All-time reads, also when since is given."
    count: Int!
  }

  type UndeclaredConsumers {
    items: [UndeclaredConsumer!]!
    pageInfo: PageInfo!
  }

  input NotificationFilter {
    state: NotificationState
    "Only notices about this asset, kind:name."
    asset: String
    "Only notices to this consumer: its name or its ref (bidder or consumer:bidder)."
    consumer: String
  }

  type Notification {
    id: Int!
    "asset.deprecated, asset.reinstated or asset.deleted (a forced deletion)."
    event: String!
    asset: String!
    consumer: String!
    url: String!
    state: NotificationState!
    attempts: Int!
    lastError: String
    nextAttemptAt: String
    deliveredAt: String
    createdAt: String!
  }

  type Notifications {
    items: [Notification!]!
    pageInfo: PageInfo!
  }

  input NotificationRetryFilter {
    "Only notices about this asset, kind:name."
    asset: String
    "Only notices to this consumer: its name or its ref (bidder or consumer:bidder)."
    consumer: String
  }

  type RetriedNotifications {
    "The notices put back to pending, oldest first."
    items: [Notification!]!
    "given_up notices matching the filter still left: retry again while above 0."
    remaining: Int!
  }

  "The body of POST /v1/assets/{kind}/{name}/deprecate."
  input DeprecateInput {
    reason: String!
    "The asset to use instead, kind:name; it must exist."
    replacedBy: String
    "The last day (UTC, YYYY-MM-DD) new dependencies are accepted; not in the past for a new deprecation."
    sunsetAt: String
  }

  type DeprecateAssetResult {
    asset: Asset!
    "Every consumer transitively downstream, with contact, SLA and one path."
    affectedConsumers: [ConsumerItem!]!
    "Webhook notices queued by this call (0 when nothing changed)."
    notificationsQueued: Int!
  }

  "One observed read, as an event of POST /v1/usage."
  input UsageEventInput {
    "A registered consumer's name, one of its API keys, or any other identity."
    consumer: String!
    "The ref read, kind:name; it must exist."
    asset: String!
    "When it happened (ISO 8601 with a zone); default now."
    at: String
    "How many reads it stands for; default 1."
    count: Int
  }

  type UsageReceipt {
    "Events accepted."
    events: Int!
    "Reads they stand for (the sum of their counts): a whole number, Float because it may pass Int's 32 bits."
    reads: Float!
    "Distinct (identity, asset) pairs they were added to."
    pairs: Int!
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
