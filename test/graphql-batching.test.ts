import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, type FixtureAsset } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/** Every SQL statement the app sends, as Prisma reports it. */
const statements: string[] = [];
let t: TestApp;

// 100 assets in four layers, each depending on two or three assets of the layer below.
const pad = (i: number) => String(i).padStart(3, '0');
const graph: FixtureAsset[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ ref: `source:s${pad(i)}` })),
  ...Array.from({ length: 40 }, (_, i) => ({
    ref: `feature:f${pad(i)}`,
    dependsOn: [{ ref: `source:s${pad(i % 10)}`, pinnedVersion: 'v1' }, `source:s${pad((i + 1) % 10)}`],
  })),
  ...Array.from({ length: 40 }, (_, i) => ({
    ref: `model:m${pad(i)}`,
    dependsOn: [`feature:f${pad(i)}`, `feature:f${pad((i + 7) % 40)}`, { ref: `feature:f${pad((i + 13) % 40)}`, importance: 0.1 }],
  })),
  ...Array.from({ length: 10 }, (_, i) => ({ ref: `consumer:c${pad(i)}`, dependsOn: [`model:m${pad(i)}`, `model:m${pad(i + 10)}`] })),
];

beforeAll(async () => {
  t = await startTestApp({}, { onQuery: (sql) => statements.push(sql) });
  await register(t, graph);
  // No background work while statements are counted: a graph catch-up landing mid-request
  // splits the request's loader batches by when each field's index check returned, and
  // an outbox poll adds statements of its own.
  await t.container.lifecycle.stop();
});
afterAll(() => t?.close());

const listing = `query ($first: Int!, $filter: AssetFilter) {
  assets(first: $first, filter: $filter) {
    edges { node {
      ref owner
      dependsOn { ref pinnedVersion importance asset { ref owner lifecycle } }
      dependents { ref owner }
    } }
  }
}`;

// A read first brings the closure index up to date with the change log: one or two
// statements, fewer when concurrent reads share them, and never more for a longer page.
const counted = () => statements.filter((sql) => !sql.startsWith('SELECT c.seq')).length;

async function countStatements(first: number, filter?: { kind: string }) {
  await t.container.graph.fresh(); // the index is loaded before counting: start-up is not per request
  statements.length = 0;
  const res = await gql(t, listing, { first, filter });
  expect(res.errors).toBeUndefined();
  const nodes = res.data.assets.edges.map((e: { node: any }) => e.node);
  const edges = nodes.reduce((n: number, node: { dependsOn: unknown[] }) => n + node.dependsOn.length, 0);
  return { count: counted(), assets: nodes.length, edges };
}

describe('listing assets with their history', () => {
  const withHistory = `query ($first: Int!, $filter: AssetFilter) {
    assets(first: $first, filter: $filter) { edges { node { ref history(first: 2) { items { action revision } pageInfo { hasNextPage } } } } }
  }`;
  const count = async (first: number, filter?: { kind: string }) => {
    statements.length = 0;
    const res = await gql(t, withHistory, { first, filter });
    expect(res.errors).toBeUndefined();
    return { count: counted(), nodes: res.data.assets.edges.map((e: { node: any }) => e.node) };
  };

  it('costs one statement for every asset of the page, not one per asset', async () => {
    await t.container.graph.fresh();
    statements.length = 0;
    await gql(t, `query { assets(first: 100) { edges { node { ref } } } }`);
    const bare = counted();
    const few = await count(5, { kind: 'feature' });
    const all = await count(100);
    console.log(`GraphQL listing with history: 5 features -> ${few.count} SQL statements, 100 assets -> ${all.count} (without history: ${bare})`);
    expect(all.nodes).toHaveLength(100);
    expect(all.nodes.every((n: any) => n.history.items.length === 1 && n.history.items[0].action === 'create')).toBe(true);
    expect(all.count).toBe(bare + 1);
    expect(few.count).toBe(all.count);
  });

  it('one operation may ask for 10,000 history entries, however first was passed', async () => {
    const query = `query ($n: Int!) { assets(first: 100) { edges { node { history(first: $n) { items { revision } } } } } }`;
    expect((await gql(t, query, { n: 100 })).errors).toBeUndefined();
    const res = await gql(t, query, { n: 101 });
    const errors = res.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].message).toMatch(/History limit of 10000 entries per operation exceeded/);
    expect(errors[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'maxHistoryItems' });
  });
});

describe('listing assets with their direct dependencies and dependents', () => {
  it('100 assets with 220 dependencies (each with its asset) and their dependents: a handful of SQL statements', async () => {
    const all = await countStatements(100);
    console.log(`GraphQL listing of ${all.assets} assets, ${all.edges} dependsOn edges with their assets, and dependents: ${all.count} SQL statements`);
    expect(all.assets).toBe(100);
    expect(all.edges).toBe(80 + 120 + 20);
    expect(all.count).toBeLessThanOrEqual(12);
  });

  it('the count does not grow with the page when every dependency and dependent must be fetched', async () => {
    // Features depend on sources and are depended on by models: none of them is in the page.
    const few = await countStatements(5, { kind: 'feature' });
    const many = await countStatements(40, { kind: 'feature' });
    console.log(`GraphQL listing of features: ${few.assets} -> ${few.count} SQL statements, ${many.assets} -> ${many.count}`);
    expect(many.assets).toBe(40);
    // The page (3 statements) and one batch per loader (dependsOn assets, dependents), or
    // two when the fields' index checks come back at different times: at most 7 for any
    // page size, where a statement per asset would be 40 and more.
    expect(few.count).toBeLessThanOrEqual(7);
    expect(many.count).toBeLessThanOrEqual(7);
  });

  it('returns the right dependencies and dependents for every asset', async () => {
    const res = await gql(t, listing, { first: 100 });
    const byRef = new Map(res.data.assets.edges.map((e: { node: any }) => [e.node.ref, e.node]));
    const f0: any = byRef.get('feature:f000');
    expect(f0.dependsOn).toEqual([
      { ref: 'source:s000', pinnedVersion: 'v1', importance: null, asset: { ref: 'source:s000', owner: 'team-source', lifecycle: 'production' } },
      { ref: 'source:s001', pinnedVersion: null, importance: null, asset: { ref: 'source:s001', owner: 'team-source', lifecycle: 'production' } },
    ]);
    expect(f0.dependents.map((d: { ref: string }) => d.ref)).toEqual(['model:m000', 'model:m027', 'model:m033']);
    const s0: any = byRef.get('source:s000');
    expect(s0.dependents).toHaveLength(8);
    expect((byRef.get('consumer:c000') as any).dependents).toEqual([]);
  });
});
