/** What the GraphiQL explorer opens with: an asset, who consumes it downstream, and what breaks if it goes. */
export const EXAMPLE_QUERY = /* GraphQL */ `# depcat GraphQL explorer. Press the run button (or Ctrl+Enter).
# The ref is the README tour's raw source; change it to one of yours.
query Example($ref: String! = "source:clicks") {
  asset(ref: $ref) {
    ref
    owner
    lifecycle
    dependsOn { ref pinnedVersion }
    downstream(first: 20) {
      total
      countsByKind { source feature model consumer }
      items { ref distance }
    }
    consumers {
      consumers { ref contact distance path }
    }
    impact {
      safeToDelete
      total
      owners
    }
  }
}
`;
