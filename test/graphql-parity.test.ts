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
  // History beyond the creations (an update, a deprecation), and undeclared readers:
  // consumer:app declares only model:m, so its reads of the features are undeclared.
  await t.http.put('/v1/assets/feature/left').set('x-actor', 'alice').send({ owner: 'team-ml', tags: ['x'], dependsOn: ['source:raw'] }).expect(200);
  await t.http.post('/v1/assets/source/other/deprecate').set('x-actor', 'bob').send({ reason: 'unused', replacedBy: 'source:island' }).expect(200);
  await t.http
    .post('/v1/usage')
    .send({
      events: [
        { consumer: 'app', asset: 'feature:left', at: '2026-03-01T00:00:00Z', count: 3 },
        { consumer: 'app', asset: 'model:m' },
        { consumer: 'notebook-7', asset: 'source:raw', at: '2026-03-02T00:00:00Z' },
        { consumer: 'notebook-7', asset: 'model:rec', count: 2 },
        { consumer: 'feed', asset: 'feature:clicks' },
      ],
    })
    .expect(200);
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
    history { items { action actor onBehalfOf at revision changes { field before after } reason } }
  }
}`;

/** GraphQL's sla lists both fields (null when unset); REST omits unset ones. */
const withSlaFields = (consumers: { sla: Record<string, unknown> | null }[]) =>
  consumers.map((c) => ({ ...c, sla: c.sla && { maxStalenessHours: null, notify: null, ...c.sla } }));

describe('REST and GraphQL return the same closures, consumers (with undeclared readers), impact and history', () => {
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
      const { nextCursor: _h, ...history } = await rest(ref, 'history');
      expect(g.history).toEqual(history);
    });
  }

  it('the graph is not trivial: closures, consumers, unsafe deletions, undeclared readers and history beyond creation', async () => {
    const res = await gql(t, query, { ref: 'source:raw' });
    expect(res.data.asset.downstream.total).toBe(4);
    expect(res.data.asset.consumers.total).toBe(1);
    expect(res.data.asset.impact.safeToDelete).toBe(false);
    expect(res.data.asset.consumers.undeclared).toMatchObject([{ identity: 'notebook-7', count: 1 }]);
    const left = await gql(t, query, { ref: 'feature:left' });
    expect(left.data.asset.consumers.undeclared).toMatchObject([{ identity: 'app', count: 3 }]);
    expect(left.data.asset.history.items.map((i: { action: string }) => i.action)).toEqual(['update', 'create']);
    const other = await gql(t, query, { ref: 'source:other' });
    expect(other.data.asset.history.items[0]).toMatchObject({ action: 'deprecate', actor: 'admin', onBehalfOf: 'bob', reason: 'unused' });
    // app declares model:m directly: its read of the model is not undeclared.
    const model = await gql(t, query, { ref: 'model:m' });
    expect(model.data.asset.consumers.undeclared).toEqual([]);
  });
});
