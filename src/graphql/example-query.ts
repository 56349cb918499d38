/** What the GraphiQL explorer opens with: an asset, who consumes it downstream, and what breaks if it goes. */
export const EXAMPLE_QUERY = /* GraphQL */ `# Run with the play button or Ctrl+Enter.
# source:clicks is the README tour's source;
# put one of your refs in its place.
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
