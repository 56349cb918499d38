import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * One convention per question, in each API: kinds filter the same way on lists and
 * closures, every GraphQL list pages with `items`, and a consumer is named `bidder` or
 * `consumer:bidder` wherever one is asked for. The old spellings keep working.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [
    { ref: 'source:raw' },
    { ref: 'feature:f1', dependsOn: ['source:raw'] },
    { ref: 'feature:f2', dependsOn: ['source:raw'] },
    { ref: 'model:m', dependsOn: ['feature:f1', 'feature:f2'] },
    // Nothing listens there: the notices stay in the outbox, which is all this file reads.
    { ref: 'consumer:bidder', dependsOn: ['model:m'], sla: { notify: 'http://127.0.0.1:9/hook' } },
    { ref: 'consumer:other', dependsOn: ['model:m'], sla: { notify: 'http://127.0.0.1:9/hook' } },
  ]);
  await t.http.post('/v1/assets/source/raw/deprecate').send({ reason: 'replaced' }).expect(200);
});
afterAll(() => t?.close());

const refs = (items: { ref: string }[]) => items.map((item) => item.ref);

describe('kinds', () => {
  it('GET /v1/assets takes one kind or a comma-separated list, as closures do', async () => {
    const list = async (kind: string) => refs((await t.http.get('/v1/assets').query({ kind }).expect(200)).body.items);
    expect(await list('feature,model')).toEqual(['feature:f1', 'feature:f2', 'model:m']);
    expect(await list('model')).toEqual(['model:m']);
    const closure = await t.http.get('/v1/assets/source/raw/downstream').query({ kind: 'feature,model' }).expect(200);
    expect(refs(closure.body.items).sort()).toEqual(['feature:f1', 'feature:f2', 'model:m']);
  });

  it('a bad kind in the list is a 400 naming kind and listing the kinds', async () => {
    const res = await t.http.get('/v1/assets').query({ kind: 'feature,table' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { in: 'query', field: 'kind', message: 'must be one or more of source, feature, model, consumer, comma-separated' },
    ]);
  });

  it('pages a list of several kinds without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http.get('/v1/assets').query({ kind: 'source,consumer', limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...refs(res.body.items));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['consumer:bidder', 'consumer:other', 'source:raw']);
  });

  it('GraphQL filters assets with kinds, as its closures do; the deprecated kind still works', async () => {
    const query = `query ($filter: AssetFilter) { assets(filter: $filter) { items { ref } } }`;
    const kinds = await gql(t, query, { filter: { kinds: ['feature', 'model'] } });
    expect(refs(kinds.data.assets.items)).toEqual(['feature:f1', 'feature:f2', 'model:m']);
    const kind = await gql(t, query, { filter: { kind: 'model' } });
    expect(refs(kind.data.assets.items)).toEqual(['model:m']);
    const empty = await gql(t, query, { filter: { kinds: [] } });
    expect(empty.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'filter.kinds' }] });
  });
});

describe('GraphQL lists', () => {
  it('assets pages with items and pageInfo, like closures, until hasNextPage is false', async () => {
    const query = `query ($after: String) { assets(first: 4, after: $after) { items { ref } pageInfo { hasNextPage endCursor } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: GraphQLResponse = await gql(t, query, { after });
      expect(res.errors).toBeUndefined();
      seen.push(...refs(res.data.assets.items));
      after = res.data.assets.pageInfo.hasNextPage ? res.data.assets.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(seen).toEqual(['consumer:bidder', 'consumer:other', 'feature:f1', 'feature:f2', 'model:m', 'source:raw']);
  });

  it('edges still answer, and the schema marks them deprecated', async () => {
    const res = await gql(t, `{ assets(first: 2) { edges { node { ref } } items { ref } } }`);
    expect(res.data.assets.edges.map((e: { node: { ref: string } }) => e.node.ref)).toEqual(refs(res.data.assets.items));
    const schema = await gql(
      t,
      `{ connection: __type(name: "AssetConnection") { fields(includeDeprecated: true) { name isDeprecated } }
         filter: __type(name: "AssetFilter") { inputFields(includeDeprecated: true) { name isDeprecated } } }`,
    );
    const deprecated = (fields: { name: string; isDeprecated: boolean }[]) => fields.filter((f) => f.isDeprecated).map((f) => f.name);
    expect(deprecated(schema.data.connection.fields)).toEqual(['edges']);
    expect(deprecated(schema.data.filter.inputFields)).toEqual(['kind']);
  });
});

describe('consumers are named by name or by ref, everywhere', () => {
  it('GET /v1/notifications?consumer= takes bidder as well as consumer:bidder', async () => {
    const byRef = await t.http.get('/v1/notifications').query({ consumer: 'consumer:bidder' }).expect(200);
    const byName = await t.http.get('/v1/notifications').query({ consumer: 'bidder' }).expect(200);
    expect(byRef.body.items.map((n: { consumer: string }) => n.consumer)).toEqual(['consumer:bidder']);
    expect(byName.body.items.map((n: { id: number }) => n.id)).toEqual(byRef.body.items.map((n: { id: number }) => n.id));
  });

  it('a consumer filter that is no consumer is a 400 naming consumer', async () => {
    for (const consumer of ['feature:f1', 'bad name'])
      expect((await t.http.get('/v1/notifications').query({ consumer })).body.error.details).toMatchObject([
        { in: 'query', field: 'consumer', message: expect.stringContaining('consumer:bidder') },
      ]);
  });

  it('GraphQL notifications take both spellings too', async () => {
    const query = `query ($consumer: String) { notifications(filter: { consumer: $consumer }) { items { consumer } } }`;
    for (const consumer of ['bidder', 'consumer:bidder'])
      expect((await gql(t, query, { consumer })).data.notifications.items).toEqual([{ consumer: 'consumer:bidder' }]);
    const bad = await gql(t, query, { consumer: 'feature:f1' });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'filter.consumer' }] });
  });

  it('POST /v1/usage and recordUsage count consumer:bidder and bidder as the same identity', async () => {
    await t.http.post('/v1/usage').send({ events: [{ consumer: 'consumer:bidder', asset: 'feature:f1' }] }).expect(200);
    const res = await gql(t, `mutation { recordUsage(events: [{ consumer: "bidder", asset: "feature:f1", count: 2 }]) { pairs } }`);
    expect(res.data.recordUsage.pairs).toBe(1);
    const undeclared = await t.http.get('/v1/undeclared-consumers').query({ asset: 'feature:f1' }).expect(200);
    expect(undeclared.body.items).toMatchObject([{ identity: 'bidder', count: 3 }]);
  });
});

describe('cursors', () => {
  it('an undeclared-consumers cursor issued before the position was spelled out still continues the list', async () => {
    await t.http
      .post('/v1/usage')
      .send({ events: ['job-a', 'job-b', 'job-c'].map((consumer) => ({ consumer, asset: 'model:m' })) })
      .expect(200);
    const first = await t.http.get('/v1/undeclared-consumers').query({ asset: 'model:m', limit: 1 }).expect(200);
    const next = await t.http.get('/v1/undeclared-consumers').query({ asset: 'model:m', cursor: first.body.nextCursor }).expect(200);
    const position = JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString());
    const legacy = Buffer.from(JSON.stringify({ a: position.assetId, i: position.identity })).toString('base64url');
    const old = await t.http.get('/v1/undeclared-consumers').query({ asset: 'model:m', cursor: legacy }).expect(200);
    expect(old.body.items).toEqual(next.body.items);
    expect(next.body.items.map((u: { identity: string }) => u.identity)).toEqual(['job-b', 'job-c']);
  });
});
