import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// GraphQL's recordUsage, undeclaredConsumers and consumers.undeclared: the REST usage
// routes' service, reached through the other adapter.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // bidder declares the model, which reads the feature: bidder has no direct dependency on the feature.
  await register(t, [
    { ref: 'source:clicks' },
    { ref: 'feature:ctr_7d', dependsOn: ['source:clicks'] },
    { ref: 'model:ctr', dependsOn: ['feature:ctr_7d'] },
    { ref: 'consumer:bidder', dependsOn: ['model:ctr'] },
    { ref: 'consumer:reporting', dependsOn: ['feature:ctr_7d'] },
    { ref: 'feature:agg' },
    { ref: 'feature:paged' },
  ]);
});
afterAll(() => t?.close());

const onlyError = (res: GraphQLResponse) => {
  expect(res.errors, 'expected exactly one error').toHaveLength(1);
  return res.errors![0];
};
const fields = (res: GraphQLResponse) => onlyError(res).extensions!.issues.map((i: { field: string }) => i.field).sort();

const record = `mutation ($events: [UsageEventInput!]!) { recordUsage(events: $events) { events reads pairs } }`;
const undeclared = `query ($asset: String, $since: String, $first: Int, $after: String) {
  undeclaredConsumers(asset: $asset, since: $since, first: $first, after: $after) {
    items { identity asset firstSeen lastSeen count }
    pageInfo { hasNextPage endCursor }
  }
}`;

const report = async (events: unknown[]) => {
  const res = await gql(t, record, { events });
  expect(res.errors).toBeUndefined();
  return res.data.recordUsage;
};

describe('recordUsage', () => {
  it('sums repeated events per identity and asset and answers the same counts as REST', async () => {
    const receipt = await report([
      { consumer: 'svc-a', asset: 'feature:agg', at: '2026-03-02T10:00:00Z' },
      { consumer: 'svc-a', asset: 'feature:agg', at: '2026-03-01T08:00:00Z', count: 5 },
      { consumer: 'svc-b', asset: 'feature:agg', at: '2026-03-03T00:00:00Z', count: 2 },
    ]);
    expect(receipt).toEqual({ events: 3, reads: 8, pairs: 2 });
    const res = await gql(t, undeclared, { asset: 'feature:agg' });
    expect(res.data.undeclaredConsumers.items).toEqual([
      { identity: 'svc-a', asset: 'feature:agg', firstSeen: '2026-03-01T08:00:00.000Z', lastSeen: '2026-03-02T10:00:00.000Z', count: 6 },
      { identity: 'svc-b', asset: 'feature:agg', firstSeen: '2026-03-03T00:00:00.000Z', lastSeen: '2026-03-03T00:00:00.000Z', count: 2 },
    ]);
    // REST reads the same rows.
    const rest = await t.http.get('/v1/undeclared-consumers?asset=feature:agg').expect(200);
    expect(rest.body.items).toEqual(res.data.undeclaredConsumers.items);
  });

  it('one bad event refuses the batch: BAD_USER_INPUT naming every events[i].field, nothing written', async () => {
    const res = await gql(t, record, {
      events: [
        { consumer: 'svc-c', asset: 'feature:agg' },
        { consumer: 'svc-c', asset: 'feature:agg', count: 0, at: 'yesterday' },
        { consumer: ' ', asset: 'table:x' },
      ],
    });
    expect(res.data).toBeNull();
    expect(onlyError(res).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(res)).toEqual(['events[1].at', 'events[1].count', 'events[2].asset', 'events[2].consumer']);

    // Past the shape, the service's rule (the asset must exist) names the event the same way.
    const unknown = await gql(t, record, { events: [{ consumer: 'svc-c', asset: 'feature:agg' }, { consumer: 'svc-c', asset: 'feature:ghost' }] });
    expect(fields(unknown)).toEqual(['events[1].asset']);
    expect(onlyError(unknown).message).toContain('feature:ghost does not exist');

    const empty = await gql(t, record, { events: [] });
    expect(fields(empty)).toEqual(['events']);
    const written = await gql(t, undeclared, { asset: 'feature:agg' });
    expect(written.data.undeclaredConsumers.items.map((u: { identity: string }) => u.identity)).not.toContain('svc-c');
  });

  it('an API key used as the identity counts as its consumer (keys themselves are issued over REST)', async () => {
    const key = await t.http.post('/v1/assets/consumer/reporting/keys').expect(201);
    expect(await report([{ consumer: key.body.secret, asset: 'source:clicks', count: 7 }])).toEqual({ events: 1, reads: 7, pairs: 1 });
    const res = await gql(t, undeclared, { asset: 'source:clicks' });
    expect(res.data.undeclaredConsumers.items).toMatchObject([{ identity: 'reporting', count: 7 }]);
  });
});

describe('undeclared consumers', () => {
  it('Asset.consumers.undeclared lists who reads the asset without a direct declared dependency', async () => {
    await report([
      { consumer: 'bidder', asset: 'feature:ctr_7d' },
      { consumer: 'consumer:bidder', asset: 'model:ctr' },
      { consumer: 'reporting', asset: 'feature:ctr_7d', count: 3 },
      { consumer: 'notebook-42', asset: 'feature:ctr_7d', count: 2 },
    ]);
    const res = await gql(t, `{
      feature: asset(ref: "feature:ctr_7d") { consumers { consumers { ref } undeclared { identity firstSeen lastSeen count } } }
      model: asset(ref: "model:ctr") { consumers { undeclared { identity } } }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.feature.consumers.consumers.map((c: { ref: string }) => c.ref).sort()).toEqual(['consumer:bidder', 'consumer:reporting']);
    const readers = res.data.feature.consumers.undeclared;
    expect(readers.map((u: { identity: string }) => u.identity).sort()).toEqual(['bidder', 'notebook-42']);
    expect(readers.find((u: { identity: string }) => u.identity === 'notebook-42')).toEqual({
      identity: 'notebook-42',
      firstSeen: expect.any(String),
      lastSeen: expect.any(String),
      count: 2,
    });
    expect(res.data.model.consumers.undeclared).toEqual([]);
  });

  it('declaring the direct dependency clears the reader at once, within the same operation', async () => {
    const res = await gql(t, `mutation {
      upsertAsset(ref: "consumer:bidder", input: { owner: "ads", contact: "ads@example.com", dependsOn: [{ ref: "model:ctr" }, { ref: "feature:ctr_7d" }] }) { status }
    }`);
    expect(res.data.upsertAsset.status).toBe('updated');
    const after = await gql(t, undeclared, { asset: 'feature:ctr_7d' });
    expect(after.data.undeclaredConsumers.items.map((u: { identity: string }) => u.identity)).toEqual(['notebook-42']);
  });

  it('since keeps the identities last seen at or after it', async () => {
    await report([
      { consumer: 'old-job', asset: 'feature:paged', at: '2025-01-01T00:00:00Z' },
      { consumer: 'new-job', asset: 'feature:paged', at: '2026-06-02T00:00:00Z' },
    ]);
    const ids = async (since?: string) =>
      (await gql(t, undeclared, { asset: 'feature:paged', since })).data.undeclaredConsumers.items.map((u: { identity: string }) => u.identity);
    expect(await ids('2026-06-01')).toEqual(['new-job']);
    expect(await ids('2026-06-02T00:00:01Z')).toEqual([]);
    expect(await ids()).toEqual(['new-job', 'old-job']);
  });

  it('pages across assets with first and after, without repeats, in REST order', async () => {
    const all = (await t.http.get('/v1/undeclared-consumers?limit=1000').expect(200)).body.items;
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: GraphQLResponse = await gql(t, undeclared, { first: 2, after });
      expect(res.data.undeclaredConsumers.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.data.undeclaredConsumers.items.map((u: { asset: string; identity: string }) => `${u.asset} ${u.identity}`));
      after = res.data.undeclaredConsumers.pageInfo.hasNextPage ? res.data.undeclaredConsumers.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all.map((u: { asset: string; identity: string }) => `${u.asset} ${u.identity}`));
  });

  it('NOT_FOUND for an unknown asset; BAD_USER_INPUT naming each bad argument', async () => {
    const missing = await gql(t, undeclared, { asset: 'feature:ghost' });
    expect(onlyError(missing)).toMatchObject({ message: 'feature:ghost does not exist', extensions: { code: 'NOT_FOUND' } });
    const bad = await gql(t, undeclared, { asset: 'ghost', since: 'last-week', first: 0, after: 'zz' });
    expect(onlyError(bad).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(bad)).toEqual(['after', 'asset', 'first', 'since']);
  });
});

describe('what stays REST-only', () => {
  it('the access check and API keys are not in the schema', async () => {
    const res = await gql(t, `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = [...res.data.__schema.queryType.fields, ...res.data.__schema.mutationType.fields].map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['recordUsage', 'undeclaredConsumers', 'deprecateAsset', 'history']));
    expect(names.filter((n: string) => /access|key/i.test(n))).toEqual([]);
  });
});
