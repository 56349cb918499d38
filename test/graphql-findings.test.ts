import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, register } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// GraphQL's findings: the same FindingsService as GET /v1/findings.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [...fixtures.cycle, ...fixtures.cascade]);
});
afterAll(() => t?.close());

const query = `query ($filter: FindingFilter, $first: Int, $after: String) {
  findings(filter: $filter, first: $first, after: $after) {
    total items { type severity assets message fix } pageInfo { hasNextPage endCursor }
  }
}`;

describe('findings', () => {
  it('answers what REST answers, filtered and paged the same way', async () => {
    const rest = (await t.http.get('/v1/findings?type=feedback_loop,correction_cascade&limit=1000').expect(200)).body;
    const res = await gql(t, query, { filter: { types: ['feedback_loop', 'correction_cascade'] }, first: 1000 });
    expect(res.errors).toBeUndefined();
    expect(res.data.findings.items).toEqual(rest.items);
    expect(res.data.findings.total).toBe(rest.total);
    expect(res.data.findings.items.map((f: { type: string }) => f.type)).toEqual(
      expect.arrayContaining(['feedback_loop', 'correction_cascade']),
    );
    const first = await gql(t, query, { filter: { types: ['correction_cascade'] }, first: 1 });
    expect(first.data.findings.pageInfo.hasNextPage).toBe(true);
    const second = await gql(t, query, {
      filter: { types: ['correction_cascade'] },
      first: 1,
      after: first.data.findings.pageInfo.endCursor,
    });
    expect(second.data.findings.items[0]).not.toEqual(first.data.findings.items[0]);
  });

  it('names bad arguments and unknown assets', async () => {
    const bad = await gql(t, query, { first: 0, filter: { asset: 'widget:x' } });
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].extensions!.issues.map((i: { field: string }) => i.field).sort()).toEqual(['filter.asset', 'first']);
    const missing = await gql(t, query, { filter: { asset: 'model:nobody' } });
    expect(missing.errors![0].extensions!.code).toBe('NOT_FOUND');
  });
});
