import { buildSchema, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_FIELD_ARGS } from '../src/graphql/inputs.js';
import { typeDefs } from '../src/graphql/schema.js';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// What GraphQL refuses before executing an operation (its variables, its type, the
// arguments below the root) carries `extensions.code` like every other error, names the
// field, and runs no resolver: a refused mutation stores nothing (issue 18).

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [{ ref: 'source:raw' }, { ref: 'feature:ctr', dependsOn: ['source:raw'] }]);
});
afterAll(() => t?.close());

const codes = (res: GraphQLResponse) => res.errors?.map((e) => e.extensions?.code);
const fields = (res: GraphQLResponse) => res.errors?.flatMap((e) => (e.extensions?.issues ?? []).map((i: { field: string }) => i.field));

describe("GraphQL's own refusals have a code", () => {
  const assets = 'query ($filter: AssetFilter, $first: Int) { assets(filter: $filter, first: $first) { items { ref } } }';

  it('variables that do not fit their types: BAD_USER_INPUT naming the variable and the path inside it, a 400', async () => {
    for (const [variables, field] of [
      [{ first: '1' }, 'first'],
      [{ first: 2 ** 53 }, 'first'],
      [{ filter: { kinds: ['m\u0000odel'] } }, 'filter.kinds[0]'],
      // (graphql-js names the object an unknown field is in; the message names the field.)
      [{ filter: { kinds: ['model'], Owner: 'x' } }, 'filter'],
      [{ filter: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) }, 'filter'],
    ] as const) {
      const res = await gql(t, assets, variables);
      expect(res.status, JSON.stringify(res)).toBe(400);
      expect(res.data).toBeUndefined();
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(fields(res)).toEqual([field]);
      expect(res.errors![0].message).toMatch(/^Variable "\$\w+" got an invalid value/);
    }
    const events = await gql(t, 'mutation ($e: [UsageEventInput!]!) { recordUsage(events: $e) { events } }', {
      e: [{ consumer: 'app', asset: 'feature:ctr', count: -(2 ** 31) - 1 }],
    });
    expect(fields(events)).toEqual(['e[0].count']);
    const missing = await gql(t, 'query ($ref: String!) { asset(ref: $ref) { ref } }', {});
    expect(codes(missing)).toEqual(['BAD_USER_INPUT']);
    expect(fields(missing)).toEqual(['ref']);
  });

  it('a subscription, which the schema has none of, is refused while validating', async () => {
    const res = await gql(t, 'subscription { assets }');
    expect(res.errors).toEqual([expect.objectContaining({ message: 'The subscription operation is not supported by the schema.' })]);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('syntax and validation errors keep their codes; domain codes are untouched', async () => {
    expect(codes(await gql(t, '{ assets( }'))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(codes(await gql(t, '{ bogus }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await gql(t, '{ asset(ref: "source:nope") { ref } }'))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(t, '{ assets(first: 0) { items { ref } } }'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('arguments below the root are checked before any resolver runs', () => {
  const deprecate = `mutation ($nf: Int, $after: String) {
    deprecateAsset(ref: "feature:ctr", input: { reason: "old", sunsetAt: "2100-01-01" }) {
      asset { ref upstream(first: $nf, after: $after) { items { ref } } history(first: $nf) { items { action } } }
    }
  }`;
  const history = async () => (await t.http.get('/v1/assets/feature/ctr/history')).body.items.length;

  it('a nested first out of range (or a bad cursor) refuses the mutation as a whole: nothing is stored', async () => {
    const before = await history();
    for (const variables of [{ nf: 0 }, { nf: 1001 }, { nf: -1 }, { nf: 1, after: 'not-a-cursor' }]) {
      const res = await gql(t, deprecate, variables);
      expect(res.data ?? null, JSON.stringify(res)).toBeNull();
      expect(codes(res)!.every((c) => c === 'BAD_USER_INPUT')).toBe(true);
      expect(fields(res)).toEqual(variables.after ? ['after'] : ['first', 'first']);
    }
    expect((await t.http.get('/v1/assets/feature/ctr')).body.deprecation).toBeNull();
    expect(await history()).toBe(before);
    // The same selection with fitting arguments deprecates.
    const ok = await gql(t, deprecate, { nf: 5 });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.deprecateAsset.asset.upstream.items).toEqual([{ ref: 'source:raw' }]);
    await t.http.post('/v1/assets/feature/ctr/reinstate').send({}).expect(200);
  });

  it('under a list that turns out empty, in a fragment, once per field; not under @skip', async () => {
    const empty = await gql(t, `{ assets(filter: { owner: "nobody" }) { items { ...closure } } } fragment closure on Asset { downstream(first: 5000) { total } }`);
    expect(codes(empty)).toEqual(['BAD_USER_INPUT']);
    expect(fields(empty)).toEqual(['first']);
    const skipped = await gql(t, 'query ($no: Boolean!) { asset(ref: "source:raw") { ref impact(first: 0) @skip(if: $no) { total } } }', { no: true });
    expect(skipped.errors).toBeUndefined();
    expect(skipped.data.asset).toEqual({ ref: 'source:raw' });
  });

  it('every field below the root that takes arguments has its schema listed for the check', () => {
    const schema = buildSchema(typeDefs);
    const roots = new Set([schema.getQueryType(), schema.getMutationType()]);
    const coordinates = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .filter((type) => !type.name.startsWith('__') && !roots.has(type))
      .flatMap((type) => Object.values(type.getFields()).filter((f) => f.args.length > 0).map((f) => `${type.name}.${f.name}`));
    expect(coordinates.length).toBeGreaterThan(0);
    expect(Object.keys(NESTED_FIELD_ARGS).sort()).toEqual(coordinates.sort());
  });
});
