import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, register } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/** REST and GraphQL are two adapters over one service: for the same graph they must agree. */
let t: TestApp;
const graph = [...fixtures.diamond, ...fixtures.cycle, ...fixtures.cascade, ...fixtures.disconnected];
beforeAll(async () => {
  t = await startTestApp();
  await register(t, graph);
});
afterAll(() => t?.close());

const rest = async (ref: string, what: string) => {
  const res = await t.http.get(`/v1/assets/${ref.replace(':', '/')}/${what}`);
  expect(res.status).toBe(200);
  return res.body;
};

const item = 'ref kind name owner distance';
const consumer = 'ref name owner contact sla { maxStalenessHours notify } distance path';
const query = `query ($ref: String!) {
  asset(ref: $ref) {
    upstream { root direction total countsByKind { source feature model consumer } items { ${item} } }
    downstream { root direction total countsByKind { source feature model consumer } items { ${item} } }
    consumers { root total consumers { ${consumer} } undeclared { identity firstSeen lastSeen count } }
    impact { root safeToDelete total countsByKind { source feature model consumer } dependents { ${item} } consumers { ${consumer} } owners }
  }
}`;

/** GraphQL's sla lists both fields (null when unset); REST omits unset ones. */
const withSlaFields = (consumers: { sla: Record<string, unknown> | null }[]) =>
  consumers.map((c) => ({ ...c, sla: c.sla && { maxStalenessHours: null, notify: null, ...c.sla } }));

describe('REST and GraphQL return the same closures, consumers and impact', () => {
  for (const { ref } of graph) {
    it(ref, async () => {
      const res = await gql(t, query, { ref });
      expect(res.errors).toBeUndefined();
      const g = res.data.asset;
      for (const direction of ['upstream', 'downstream'] as const) {
        const { nextCursor, ...page } = await rest(ref, direction);
        expect(nextCursor).toBeNull();
        expect(g[direction]).toEqual(page);
      }
      const { nextCursor: _c, ...consumers } = await rest(ref, 'consumers');
      expect(g.consumers).toEqual({ ...consumers, consumers: withSlaFields(consumers.consumers) });
      const { nextCursor: _i, ...impact } = await rest(ref, 'impact');
      expect(g.impact).toEqual({ ...impact, consumers: withSlaFields(impact.consumers) });
    });
  }

  it('the graph is not trivial: some root has a closure, a consumer and an unsafe deletion', async () => {
    const res = await gql(t, query, { ref: 'source:raw' });
    expect(res.data.asset.downstream.total).toBe(4);
    expect(res.data.asset.consumers.total).toBe(1);
    expect(res.data.asset.impact.safeToDelete).toBe(false);
  });
});
