import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { distances, fixtures, register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [
    ...fixtures.diamond,
    ...fixtures.cycle,
    ...fixtures.cascade,
    { ref: 'source:clicks', stability: 'volatile', platforms: ['batch', 'online'], metadata: { rows: 12, note: null } },
    {
      ref: 'feature:ctr_7d',
      valueType: 'ratio',
      tags: ['ads'],
      dependsOn: [{ ref: 'source:clicks', pinnedVersion: 'v3', importance: 0.04, note: 'daily snapshot' }],
    },
  ]);
});
afterAll(() => t?.close());

/** The one error of a response, which must have no data for that field. */
const onlyError = (res: { errors?: { message: string; extensions?: Record<string, any> }[] }) => {
  expect(res.errors, 'expected exactly one error').toHaveLength(1);
  return res.errors![0];
};

describe('Query.asset', () => {
  it('returns every annotation, direct dependsOn with its attributes and the asset, and direct dependents', async () => {
    const res = await gql(
      t,
      `query ($ref: String!) {
        asset(ref: $ref) {
          ref kind name owner description lifecycle tags platforms domains valueType stability accessPolicy
          contact sla { maxStalenessHours } metadata revision createdAt updatedAt
          deprecation { reason } warnings { code message }
          dependsOn { ref pinnedVersion importance note asset { ref stability metadata } }
          dependents { ref }
        }
      }`,
      { ref: 'feature:ctr_7d' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.asset).toMatchObject({
      ref: 'feature:ctr_7d',
      kind: 'feature',
      name: 'ctr_7d',
      owner: 'team-feature',
      description: null,
      lifecycle: 'production',
      tags: ['ads'],
      platforms: null,
      valueType: 'ratio',
      stability: null,
      contact: null,
      sla: null,
      metadata: {},
      revision: 1,
      deprecation: null,
      warnings: [],
      dependents: [],
    });
    expect(res.data.asset.dependsOn).toEqual([
      {
        ref: 'source:clicks',
        pinnedVersion: 'v3',
        importance: 0.04,
        note: 'daily snapshot',
        asset: { ref: 'source:clicks', stability: 'volatile', metadata: { rows: 12, note: null } },
      },
    ]);
    const source = await gql(t, `{ asset(ref: "source:clicks") { platforms dependsOn { ref } dependents { ref owner } } }`);
    expect(source.data.asset).toEqual({
      platforms: ['batch', 'online'],
      dependsOn: [],
      dependents: [{ ref: 'feature:ctr_7d', owner: 'team-feature' }],
    });
  });

  it('an unknown ref is null with NOT_FOUND; a malformed ref is BAD_USER_INPUT naming the field', async () => {
    const missing = await gql(t, `{ asset(ref: "source:nope") { ref } }`);
    expect(missing.data).toEqual({ asset: null });
    expect(onlyError(missing)).toMatchObject({ message: 'source:nope does not exist', extensions: { code: 'NOT_FOUND' } });

    const bad = await gql(t, `{ asset(ref: "table:x") { ref } }`);
    expect(bad.data).toEqual({ asset: null });
    const error = onlyError(bad);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(error.extensions!.issues).toEqual([
      { in: 'body', field: 'ref', message: expect.stringContaining('unknown kind "table"') },
    ]);
  });
});

describe('Query.assets', () => {
  const page = `query ($filter: AssetFilter, $first: Int, $after: String) {
    assets(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ref } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  it('pages through a filtered list with cursors, ordered by kind then name, without repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: GraphQLResponse = await gql(t, page, { filter: { kind: 'model' }, first: 2, after });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo } = res.data.assets;
      seen.push(...edges.map((e: { node: { ref: string } }) => e.node.ref));
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(seen).toEqual(['model:m', 'model:m1', 'model:m2', 'model:m3', 'model:rec']);
    expect(pages).toBe(3);
  });

  it('filters by owner, tag and q like REST', async () => {
    const res = await gql(t, page, { filter: { tag: 'ads', q: 'CTR' } });
    expect(res.data.assets.edges.map((e: { node: { ref: string } }) => e.node.ref)).toEqual(['feature:ctr_7d']);
    const none = await gql(t, page, { filter: { owner: 'nobody' } });
    expect(none.data.assets).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('a bad first or cursor is BAD_USER_INPUT naming each', async () => {
    const res = await gql(t, page, { first: 0, after: 'not-a-cursor' });
    const error = onlyError(res);
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    expect(error.extensions!.issues.map((i: { field: string }) => i.field).sort()).toEqual(['after', 'first']);
    const tooMany = await gql(t, page, { first: 1001 });
    expect(onlyError(tooMany).extensions!.issues[0].field).toBe('first');
  });
});

describe('closures, consumers and impact', () => {
  it('downstream: distances, total and counts; depth and kinds filter as in REST; pages by cursor', async () => {
    const res = await gql(
      t,
      `{ asset(ref: "source:raw") {
          all: downstream { total countsByKind { source feature model consumer } items { ref distance } pageInfo { hasNextPage } }
          near: downstream(depth: 2, kinds: [feature]) { total countsByKind { feature model consumer } items { ref distance } }
        } }`,
    );
    expect(res.errors).toBeUndefined();
    const { all, near } = res.data.asset;
    expect(all.total).toBe(4);
    expect(all.countsByKind).toEqual({ source: 0, feature: 2, model: 1, consumer: 1 });
    expect(distances(all.items)).toEqual({ 'feature:left': 1, 'feature:right': 1, 'model:m': 2, 'consumer:app': 3 });
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(near.total).toBe(2);
    expect(near.countsByKind).toEqual({ feature: 2, model: 1, consumer: 0 });
    expect(distances(near.items)).toEqual({ 'feature:left': 1, 'feature:right': 1 });

    const seen: number[] = [];
    let after: string | null = null;
    do {
      const p: any = await gql(
        t,
        `query ($after: String) { asset(ref: "source:raw") { downstream(first: 1, after: $after) { items { distance } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      const closure = p.data.asset.downstream;
      seen.push(...closure.items.map((i: { distance: number }) => i.distance));
      after = closure.pageInfo.hasNextPage ? closure.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([1, 1, 2, 3]);
  });

  it('upstream on a cycle terminates and never lists the root', async () => {
    const res = await gql(t, `{ asset(ref: "model:rec") { upstream { total items { ref distance asset { kind } } } } }`);
    const { upstream } = res.data.asset;
    expect(distances(upstream.items)).toEqual({ 'feature:clicks': 1, 'source:log': 2 });
    expect(upstream.items.map((i: { ref: string }) => i.ref)).not.toContain('model:rec');
    expect(upstream.items[0].asset).toEqual({ kind: 'feature' });
  });

  it('consumers with contact, distance and path; impact with owners and safeToDelete', async () => {
    const res = await gql(
      t,
      `{ asset(ref: "model:m1") {
          consumers { total consumers { ref contact distance path sla { maxStalenessHours } } undeclared { identity } }
          impact { safeToDelete total countsByKind { model consumer } dependents { ref distance } owners consumers { ref } }
        }
        leaf: asset(ref: "consumer:c") { impact { safeToDelete total dependents { ref } owners } } }`,
    );
    expect(res.errors).toBeUndefined();
    const { consumers, impact } = res.data.asset;
    expect(consumers).toEqual({
      total: 1,
      consumers: [{ ref: 'consumer:c', contact: 'c@example.com', distance: 3, path: ['model:m1', 'model:m2', 'model:m3', 'consumer:c'], sla: null }],
      undeclared: [],
    });
    expect(impact).toMatchObject({ safeToDelete: false, total: 3, countsByKind: { model: 2, consumer: 1 } });
    expect(distances(impact.dependents)).toEqual({ 'model:m2': 1, 'model:m3': 2, 'consumer:c': 3 });
    expect(impact.owners).toEqual(['team-consumer', 'team-model']);
    expect(res.data.leaf.impact).toEqual({ safeToDelete: true, total: 0, dependents: [], owners: [] });
  });

  it('a bad depth or kinds list is BAD_USER_INPUT naming the argument', async () => {
    const res = await gql(t, `{ asset(ref: "source:raw") { downstream(depth: 0, kinds: []) { total } } }`);
    const error = onlyError(res);
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    expect(error.extensions!.issues.map((i: { field: string }) => i.field).sort()).toEqual(['depth', 'kinds']);
  });
});

describe('mutations', () => {
  const upsert = `mutation ($ref: String!, $input: AssetInput!, $ifMatch: Int) {
    upsertAsset(ref: $ref, input: $input, ifMatch: $ifMatch) { status asset { ref revision owner tags dependsOn { ref pinnedVersion } } }
  }`;
  const exists = async (ref: string) =>
    (await t.http.get(`/v1/assets/${ref.replace(':', '/')}`)).status === 200;

  it('upsertAsset creates, updates, keeps an identical write unchanged, and refuses a stale ifMatch', async () => {
    const input = { owner: 'ranking', tags: ['ads'], dependsOn: [{ ref: 'feature:ctr_7d', pinnedVersion: 'v1' }] };
    const created = await gql(t, upsert, { ref: 'model:gql_ctr', input });
    expect(created.errors).toBeUndefined();
    expect(created.data.upsertAsset).toEqual({
      status: 'created',
      asset: { ref: 'model:gql_ctr', revision: 1, owner: 'ranking', tags: ['ads'], dependsOn: [{ ref: 'feature:ctr_7d', pinnedVersion: 'v1' }] },
    });
    const same = await gql(t, upsert, { ref: 'model:gql_ctr', input });
    expect(same.data.upsertAsset).toMatchObject({ status: 'unchanged', asset: { revision: 1 } });
    const updated = await gql(t, upsert, { ref: 'model:gql_ctr', input: { ...input, owner: 'ads' }, ifMatch: 1 });
    expect(updated.data.upsertAsset).toMatchObject({ status: 'updated', asset: { revision: 2, owner: 'ads' } });

    const stale = await gql(t, upsert, { ref: 'model:gql_ctr', input: { owner: 'x' }, ifMatch: 1 });
    expect(onlyError(stale)).toMatchObject({ extensions: { code: 'PRECONDITION_FAILED' } });
    expect((await t.http.get('/v1/assets/model/gql_ctr')).body.owner).toBe('ads');

    // The write is visible to the rest of the same operation's reads, and to REST.
    const rest = await t.http.get('/v1/assets/feature/ctr_7d/downstream');
    expect(rest.body.items.map((i: { ref: string }) => i.ref)).toContain('model:gql_ctr');
  });

  it('upsertAsset validates with the REST schema: every offending field, under input., nothing written', async () => {
    const res = await gql(t, upsert, {
      ref: 'source:gql_bad',
      input: {
        owner: '',
        valueType: 'ratio',
        metadata: { big: 'x'.repeat(20_000) },
        dependsOn: [{ ref: 'feature:missing' }, { ref: 'consumer:c' }],
      },
    });
    const error = onlyError(res);
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    const fields = error.extensions!.issues.map((i: { field: string }) => i.field).sort();
    expect(fields).toEqual(['input.metadata', 'input.owner']);
    expect(error.extensions!.issues.every((i: { in: string }) => i.in === 'body')).toBe(true);

    // Past the shape, the service's own rules name fields the same way.
    const rules = await gql(t, upsert, {
      ref: 'source:gql_bad',
      input: { owner: 'x', valueType: 'ratio', dependsOn: [{ ref: 'feature:missing' }, { ref: 'consumer:c' }] },
    });
    expect(onlyError(rules).extensions!.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      'input.dependsOn[0]',
      'input.dependsOn[1]',
      'input.valueType',
    ]);
    expect(await exists('source:gql_bad')).toBe(false);
  });

  it('a GraphQL null for an optional field reads as absent, as in REST', async () => {
    const res = await gql(t, upsert, { ref: 'source:gql_nulls', input: { owner: 'x', tags: null, dependsOn: null } });
    expect(res.errors).toBeUndefined();
    expect(res.data.upsertAsset.asset).toMatchObject({ tags: [], dependsOn: [] });
  });

  it('upsertAssets writes a batch atomically, order-independent; one bad item fails it all, named assets[i].', async () => {
    const batch = `mutation ($assets: [BatchAssetInput!]!) {
      upsertAssets(assets: $assets) { items { ref status revision } counts { created updated unchanged } }
    }`;
    const ok = await gql(t, batch, {
      assets: [
        { ref: 'consumer:gql_app', owner: 'ads', contact: 'ads@example.com', sla: { maxStalenessHours: 6 }, dependsOn: [{ ref: 'model:gql_batch' }] },
        { ref: 'model:gql_batch', owner: 'ranking', dependsOn: [{ ref: 'feature:ctr_7d', importance: 0.5 }] },
      ],
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.upsertAssets.counts).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(ok.data.upsertAssets.items.map((i: { ref: string }) => i.ref)).toEqual(['consumer:gql_app', 'model:gql_batch']);

    const bad = await gql(t, batch, {
      assets: [
        { ref: 'source:gql_never', owner: 'x' },
        { ref: 'consumer:gql_nocontact', owner: 'x' },
      ],
    });
    const error = onlyError(bad);
    expect(error.extensions!.issues).toEqual([
      { in: 'body', field: 'assets[1].contact', message: 'is required for consumers' },
    ]);
    expect(await exists('source:gql_never')).toBe(false);
  });

  it('deleteAsset: CONFLICT with the impact report while depended on; force needs a reason; then deletes', async () => {
    const del = `mutation ($ref: String!, $force: Boolean, $reason: String) {
      deleteAsset(ref: $ref, force: $force, reason: $reason) { ref deleted }
    }`;
    await register(t, [{ ref: 'source:gql_del' }, { ref: 'feature:gql_del_f', dependsOn: ['source:gql_del'] }]);

    const refused = await gql(t, del, { ref: 'source:gql_del' });
    expect(refused.data).toBeNull();
    const conflict = onlyError(refused);
    expect(conflict.extensions!.code).toBe('CONFLICT');
    expect(conflict.extensions!.impact).toMatchObject({ root: 'source:gql_del', safeToDelete: false, total: 1, owners: ['team-feature'] });
    expect(distances(conflict.extensions!.impact.dependents)).toEqual({ 'feature:gql_del_f': 1 });
    expect(await exists('source:gql_del')).toBe(true);

    const noReason = await gql(t, del, { ref: 'source:gql_del', force: true });
    expect(onlyError(noReason).extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'reason' }] });
    expect(await exists('source:gql_del')).toBe(true);

    const forced = await gql(t, del, { ref: 'source:gql_del', force: true, reason: 'replaced by source:clicks' }, { 'x-actor': 'me' });
    expect(forced.data.deleteAsset).toEqual({ ref: 'source:gql_del', deleted: true });
    expect(await exists('source:gql_del')).toBe(false);
    const dependent = await gql(t, `{ asset(ref: "feature:gql_del_f") { dependsOn { ref } revision } }`);
    expect(dependent.data.asset).toEqual({ dependsOn: [], revision: 2 });

    const gone = await gql(t, del, { ref: 'source:gql_del' });
    expect(onlyError(gone).extensions!.code).toBe('NOT_FOUND');
  });
});

describe('errors and limits', () => {
  it('masks an unexpected error, and logs it', async () => {
    const spy = vi.spyOn(t.container.assets, 'get').mockRejectedValueOnce(new Error('secret connection string'));
    const log = vi.spyOn(t.app.log, 'error');
    try {
      const res = await gql(t, `{ asset(ref: "source:raw") { ref } }`);
      const error = onlyError(res);
      expect(error.message).toBe('Unexpected error.');
      expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) });
      expect(JSON.stringify(res)).not.toContain('secret');
      expect(log).toHaveBeenCalledWith(
        { err: expect.objectContaining({ message: 'secret connection string' }) },
        'unexpected error in a GraphQL operation',
      );
      // A client's mistake is answered, not logged as a server error.
      log.mockClear();
      await gql(t, `{ asset(ref: "source:nope") { ref } }`);
      expect(log).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
  });

  const limit = async (query: string, name: string, message: RegExp) => {
    const res = await gql(t, query);
    expect(res.data).toBeUndefined();
    const error = onlyError(res);
    expect(error.message).toMatch(message);
    expect(error.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: name });
  };
  const nest = (levels: number) => `{ asset(ref: "source:raw") { ${'dependents { '.repeat(levels)}ref${' }'.repeat(levels)} } }`;

  it('depth: 10 levels at most', async () => {
    expect((await gql(t, nest(8))).errors).toBeUndefined();
    await limit(nest(10), 'maxDepth', /depth limit of 10 exceeded/);
  });

  it('cost: a list of 1000 assets with their closures is refused before it runs', async () => {
    await limit(
      `{ assets(first: 1000) { edges { node { ref downstream(first: 1000) { items { ref owner distance } } } } } }`,
      'maxCost',
      /Cost limit of 25000 exceeded/,
    );
  });

  it('closures: 100 per operation, however the page sizes were passed', async () => {
    await register(t, Array.from({ length: 101 }, (_, i) => ({ ref: `source:bulk_${i}` })));
    const query = `query ($first: Int!) { assets(first: $first, filter: { q: "bulk_" }) { edges { node { downstream { total } } } } }`;
    const ok = await gql(t, query, { first: 20 });
    expect(ok.errors).toBeUndefined();
    const res = await gql(t, query, { first: 1000 });
    const errors = res.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].message).toMatch(/Closure limit of 100 per operation exceeded/);
    expect(errors[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'maxTraversals' });
  });

  it('aliases: 15 at most', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: asset(ref: "source:raw") { ref }`).join(' ');
    await limit(`{ ${aliases} }`, 'maxAliases', /Aliases limit of 15 exceeded/);
  });

  it('directives: 10 at most', async () => {
    await limit(`{ asset(ref: "source:raw") { ref ${'@include(if: true) '.repeat(11)} } }`, 'maxDirectives', /Directives limit of 10 exceeded/);
  });

  it('tokens: 2000 at most', async () => {
    await limit(`{ asset(ref: "source:raw") { ${'ref '.repeat(2000)} } }`, 'maxTokens', /Token limit of 2000 exceeded/);
  });
});

describe('explorer', () => {
  it("answers GraphiQL's introspection query within the limits", async () => {
    const res = await gql(t, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(res.errors).toBeUndefined();
    const names = res.data.__schema.types.map((type: { name: string }) => type.name);
    expect(names).toEqual(expect.arrayContaining(['Asset', 'Closure', 'Impact', 'AssetInput']));
  });

  it('serves GraphiQL to a browser, with the example query, without any CDN', async () => {
    const res = await t.http.get('/graphql').set('accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('depcat GraphQL explorer');
    expect(res.text).toContain('downstream(first: 20)');
    expect(res.text).not.toMatch(/src="https?:\/\//);
  });
});
