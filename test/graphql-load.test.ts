import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtures, register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [...fixtures.diamond, ...fixtures.cascade]);
});
afterAll(() => t?.close());
afterEach(() => vi.restoreAllMocks());

/** The operation was refused as a whole: one error naming the limit, no data. */
function refused(res: GraphQLResponse, limit: string) {
  expect(res.data ?? undefined).toBeUndefined();
  expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
  expect(res.errors![0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit });
  return res.errors![0];
}

/** Spies on the services a query's resolvers call first, to see whether any work was done. */
function watchWork() {
  const calls = [
    vi.spyOn(t.container.assets, 'list'),
    vi.spyOn(t.container.assets, 'get'),
    vi.spyOn(t.container.assets, 'getMany'),
    vi.spyOn(t.container.lineage, 'closure'),
  ];
  return () => calls.reduce((n, spy) => n + spy.mock.calls.length, 0);
}

describe('cost with variables', () => {
  const nested = `query ($n: Int!) {
    assets(first: $n) { edges { node { ref downstream(first: $n) { items { ref asset { dependents { ref } } } } } } }
  }`;

  it('a large first passed as a variable is refused before any resolver runs', async () => {
    const work = watchWork();
    const error = refused(await gql(t, nested, { n: 1000 }), 'maxCost');
    expect(error.message).toMatch(/Cost limit of 25000 exceeded/);
    expect(error.message).toMatch(/variable/);
    expect(work()).toBe(0);
  });

  it('the same query with first written inline is refused the same way', async () => {
    const work = watchWork();
    const inline = await gql(t, nested.replace('query ($n: Int!)', 'query').replaceAll('$n', '1000'));
    const withVariables = await gql(t, nested, { n: 1000 });
    refused(inline, 'maxCost');
    // Alike but for each request's own id.
    const withoutIds = (errors: typeof inline.errors) =>
      errors?.map(({ extensions: { requestId: _id, ...extensions } = {}, ...error }) => ({ ...error, extensions }));
    expect(withoutIds(inline.errors)).toEqual(withoutIds(withVariables.errors));
    expect(work()).toBe(0);
  });

  it("a variable's declared default counts, and so does an absent first (its default of 100)", async () => {
    const work = watchWork();
    refused(await gql(t, nested.replace('$n: Int!', '$n: Int = 1000')), 'maxCost');
    // 100 assets × 100 downstream items × 100 downstream items of each.
    const defaults = `{ assets { edges { node { downstream { items { asset { downstream { items { ref } } } } } } } } }`;
    refused(await gql(t, defaults), 'maxCost');
    // Fragments count where they are spread.
    const fragment = `query ($n: Int!) { assets(first: $n) { ...page } } fragment page on AssetConnection { edges { node { downstream(first: $n) { items { ref } } } } }`;
    refused(await gql(t, fragment, { n: 1000 }), 'maxCost');
    expect(work()).toBe(0);
  });

  it('a normal query with variables still runs', async () => {
    const res = await gql(t, nested, { n: 10 });
    expect(res.errors).toBeUndefined();
    const raw = res.data.assets.edges.find((e: { node: { ref: string } }) => e.node.ref === 'source:raw');
    expect(raw.node.downstream.items.map((i: { ref: string }) => i.ref)).toEqual(
      expect.arrayContaining(['feature:left', 'feature:right', 'model:m', 'consumer:app']),
    );
  });

  it('bad variables are still refused by name, not by the cost', async () => {
    const res = await gql(t, nested, { n: 'many' });
    expect(res.errors?.[0].message).toMatch(/\$n/);
  });
});

describe('response bounds while running', () => {
  it('lists nobody pages: past 25,000 items the operation is refused as a whole', async () => {
    // 160 features on one source, and 160 models each on all 160 features.
    const features = Array.from({ length: 160 }, (_, i) => `feature:wide_f${i}`);
    await register(t, [
      { ref: 'source:wide_hub' },
      ...features.map((ref) => ({ ref, dependsOn: ['source:wide_hub'] })),
      ...Array.from({ length: 160 }, (_, i) => ({ ref: `model:wide_m${i}`, dependsOn: features })),
    ]);
    const ok = await gql(t, `{ asset(ref: "source:wide_hub") { dependents { ref } } }`);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.asset.dependents).toHaveLength(160);
    // 160 + 160 × 160 items: cheap to the cost (nobody pages these lists), bounded while running.
    const res = await gql(t, `{ asset(ref: "source:wide_hub") { dependents { dependents { ref } } } }`);
    const error = refused(res, 'maxItems');
    expect(error.message).toMatch(/Response limit of 25000 list items/);
  }, 60_000);

  it('past 10 MiB of text and JSON the operation is refused as a whole', async () => {
    const metadata = { blob: 'm'.repeat(16_000) };
    const description = 'd'.repeat(10_000);
    await register(t, [
      { ref: 'source:heavy', metadata, description },
      ...Array.from({ length: 420 }, (_, i) => ({ ref: `feature:heavy_f${i}`, dependsOn: ['source:heavy'] })),
    ]);
    const query = `{ asset(ref: "source:heavy") { dependents { dependsOn { asset { description metadata } } } } }`;
    const res = await t.http.post('/graphql').send({ query });
    expect(Buffer.byteLength(res.text)).toBeLessThan(10_000);
    const error = refused({ status: res.status, ...res.body }, 'maxResponseBytes');
    expect(error.message).toMatch(/Response limit of 10485760 bytes/);
  }, 60_000);
});

describe('an abandoned request', () => {
  it('stops resolving once its client has gone', async () => {
    // source:ch0 ← feature:ch1 ← model:ch2 ← … ← model:ch9: each level of dependents waits for the one above.
    await register(t, [
      { ref: 'source:ch0' },
      { ref: 'feature:ch1', dependsOn: ['source:ch0'] },
      ...Array.from({ length: 8 }, (_, i) => ({ ref: `model:ch${i + 2}`, dependsOn: [i === 0 ? 'feature:ch1' : `model:ch${i + 1}`] })),
    ]);
    const getMany = t.container.assets.getMany.bind(t.container.assets);
    const spy = vi.spyOn(t.container.assets, 'getMany').mockImplementation(async (refs) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return getMany(refs);
    });
    const levels = 8;
    const query = `{ asset(ref: "source:ch0") { ${'dependents { '.repeat(levels)}ref${' }'.repeat(levels)} } }`;
    // Uninterrupted, it fetches one batch per level.
    expect((await gql(t, query)).errors).toBeUndefined();
    expect(spy.mock.calls.length).toBe(levels);
    spy.mockClear();

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const body = JSON.stringify({ query });
    const client = httpRequest({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    client.on('error', () => {});
    client.end(body);
    await new Promise((resolve) => setTimeout(resolve, 400));
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const atAbort = spy.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, levels * 150 + 500));
    console.log(`abandoned after 400 ms: ${spy.mock.calls.length} of ${levels} levels fetched`);
    expect(atAbort).toBeLessThan(levels);
    expect(spy.mock.calls.length).toBe(atAbort);
  }, 30_000);
});
