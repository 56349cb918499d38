import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * source:hub → feature:f1..f3 → model:hm1, model:hm2 → consumers at distances 2, 3 and 4,
 * so each page's consumers come from a different part of the dependents' order.
 */
const graph = [
  { ref: 'source:hub' },
  { ref: 'feature:f1', dependsOn: ['source:hub'] },
  { ref: 'feature:f2', dependsOn: ['source:hub'] },
  { ref: 'feature:f3', dependsOn: ['source:hub'] },
  { ref: 'consumer:near1', dependsOn: ['feature:f1'] },
  { ref: 'consumer:near2', dependsOn: ['feature:f3'] },
  { ref: 'model:hm1', dependsOn: ['feature:f1', 'feature:f2'] },
  { ref: 'model:hm2', dependsOn: ['model:hm1'] },
  { ref: 'consumer:mid1', dependsOn: ['model:hm1'] },
  { ref: 'consumer:mid2', dependsOn: ['model:hm1'] },
  { ref: 'consumer:far1', dependsOn: ['model:hm2'] },
  { ref: 'consumer:far2', dependsOn: ['model:hm2'] },
  { ref: 'consumer:far3', dependsOn: ['model:hm2'] },
];
const allDependents = graph.map((a) => a.ref).filter((ref) => ref !== 'source:hub');
const allConsumers = allDependents.filter((ref) => ref.startsWith('consumer:'));

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, graph);
});
afterAll(() => t?.close());

type Report = { dependents: { ref: string }[]; consumers: { ref: string; contact: string | null; path: string[] }[]; nextCursor: string | null };

/** Follows `nextCursor` from `first` to the end, collecting both lists. */
async function pageThrough(first: Report, limit: number) {
  const dependents: string[] = [];
  const consumers: string[] = [];
  let pages = 0;
  for (let report: Report = first; ; pages++) {
    expect(report.dependents.length).toBeLessThanOrEqual(limit);
    expect(report.consumers.length).toBeLessThanOrEqual(limit);
    dependents.push(...report.dependents.map((d) => d.ref));
    consumers.push(...report.consumers.map((c) => c.ref));
    if (!report.nextCursor) break;
    expect(pages).toBeLessThan(50);
    const res = await t.http.get('/v1/assets/source/hub/impact').query({ limit, cursor: report.nextCursor });
    expect(res.status).toBe(200);
    report = res.body;
  }
  return { dependents, consumers };
}

describe('impact pages through its consumers as well as its dependents', () => {
  it.each([1, 2, 3, 100])('limit=%i: following nextCursor shows every dependent and every consumer exactly once', async (limit) => {
    const first = await t.http.get('/v1/assets/source/hub/impact').query({ limit });
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(allDependents.length);
    const seen = await pageThrough(first.body, limit);
    expect([...seen.dependents].sort()).toEqual([...allDependents].sort());
    expect(seen.dependents).toHaveLength(allDependents.length);
    expect([...seen.consumers].sort()).toEqual([...allConsumers].sort());
    expect(seen.consumers).toHaveLength(allConsumers.length);
  });

  it('each consumer keeps its contact and path on a later page', async () => {
    const first = (await t.http.get('/v1/assets/source/hub/impact').query({ limit: 6 })).body;
    const second = (await t.http.get('/v1/assets/source/hub/impact').query({ limit: 6, cursor: first.nextCursor })).body;
    expect(second.consumers.length).toBeGreaterThan(0);
    for (const consumer of second.consumers) {
      expect(consumer.contact).toBe(`${consumer.ref.split(':')[1]}@example.com`);
      expect(consumer.path[0]).toBe('source:hub');
      expect(consumer.path.at(-1)).toBe(consumer.ref);
    }
  });

  it('a refused DELETE carries a nextCursor that pages on through impact', async () => {
    const refused = await t.http.delete('/v1/assets/source/hub');
    expect(refused.status).toBe(409);
    const details = refused.body.error.details;
    expect(details.total).toBe(allDependents.length);
    // The refusal shows 100 of each: everything here, so nothing is left to page.
    expect(details.nextCursor).toBeNull();
    expect(details.consumers.map((c: { ref: string }) => c.ref).sort()).toEqual([...allConsumers].sort());
  });

  it('a cursor it did not issue is a 400 naming cursor', async () => {
    const res = await t.http.get('/v1/assets/source/hub/impact').query({ cursor: 'bm9wZQ' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['cursor']);
  });

  it('GraphQL: impact(first, after) pages the same way', async () => {
    const query = `query ($after: String) { asset(ref: "source:hub") {
      impact(first: 2, after: $after) { dependents { ref } consumers { ref } pageInfo { hasNextPage endCursor } } } }`;
    const dependents: string[] = [];
    const consumers: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res: GraphQLResponse = await gql(t, query, { after });
      expect(res.errors).toBeUndefined();
      const impact: { dependents: { ref: string }[]; consumers: { ref: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } =
        res.data.asset.impact;
      dependents.push(...impact.dependents.map((d: { ref: string }) => d.ref));
      consumers.push(...impact.consumers.map((c: { ref: string }) => c.ref));
      after = impact.pageInfo.endCursor;
      if (!impact.pageInfo.hasNextPage) break;
    }
    expect(after).toBeNull();
    expect([...dependents].sort()).toEqual([...allDependents].sort());
    expect([...consumers].sort()).toEqual([...allConsumers].sort());
    expect(consumers).toHaveLength(allConsumers.length);
  });
});

describe('a refused DELETE of an asset with more than 100 dependents', () => {
  it('pages on through impact from its nextCursor to every consumer', async () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ ref: `consumer:wide_${String(i).padStart(3, '0')}`, dependsOn: ['source:wide'] }));
    await register(t, [{ ref: 'source:wide' }, ...many]);
    const refused = await t.http.delete('/v1/assets/source/wide');
    expect(refused.status).toBe(409);
    const { details } = refused.body.error;
    expect(details.consumers).toHaveLength(100);
    expect(typeof details.nextCursor).toBe('string');
    const next = await t.http.get('/v1/assets/source/wide/impact').query({ limit: 100, cursor: details.nextCursor });
    expect(next.status).toBe(200);
    const refs = [...details.consumers, ...next.body.consumers].map((c: { ref: string }) => c.ref);
    expect(new Set(refs).size).toBe(130);
    expect(refs.sort()).toEqual(many.map((a) => a.ref).sort());
    expect(next.body.nextCursor).toBeNull();
  });
});
