import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distances, fixtures, register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [...fixtures.diamond, ...fixtures.cycle, ...fixtures.cascade, ...fixtures.disconnected]);
});
afterAll(() => t?.close());

const get = async (path: string) => {
  const res = await t.http.get(path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

describe('diamond', () => {
  it('downstream: each dependent once, at its shortest distance, with counts', async () => {
    const page = await get('/v1/assets/source/raw/downstream');
    expect(page).toMatchObject({ root: 'source:raw', direction: 'downstream', total: 4, nextCursor: null });
    expect(page.countsByKind).toEqual({ source: 0, feature: 2, model: 1, consumer: 1 });
    expect(distances(page.items)).toEqual({ 'feature:left': 1, 'feature:right': 1, 'model:m': 2, 'consumer:app': 3 });
    expect(page.items[0]).toEqual({ ref: 'feature:left', kind: 'feature', name: 'left', owner: 'team-feature', distance: 1 });
  });

  it('upstream: back to the raw source; nothing from other graphs', async () => {
    const page = await get('/v1/assets/consumer/app/upstream');
    expect(distances(page.items)).toEqual({ 'model:m': 1, 'feature:left': 2, 'feature:right': 2, 'source:raw': 3 });
    expect(page.items.map((i: { ref: string }) => i.ref)).not.toContain('source:island');
  });

  it('depth limits the hops; countsByKind follows depth, total follows depth and kind', async () => {
    const page = await get('/v1/assets/source/raw/downstream?depth=2&kind=feature');
    expect(page.total).toBe(2);
    expect(page.countsByKind).toEqual({ source: 0, feature: 2, model: 1, consumer: 0 });
    expect(distances(page.items)).toEqual({ 'feature:left': 1, 'feature:right': 1 });
    const one = await get('/v1/assets/source/raw/downstream?depth=1');
    expect(one.total).toBe(2);
    const multi = await get('/v1/assets/source/raw/downstream?kind=model,consumer');
    expect(distances(multi.items)).toEqual({ 'model:m': 2, 'consumer:app': 3 });
  });

  it('pages through a closure with a cursor, in distance order, without repeats', async () => {
    const seen: { ref: string; distance: number }[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/v1/assets/source/raw/downstream?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.total).toBe(4);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((i) => i.distance)).toEqual([1, 1, 2, 3]);
    expect(new Set(seen.map((i) => i.ref)).size).toBe(4);
  });

  it('consumers: contact, distance and a shortest path from the root', async () => {
    const report = await get('/v1/assets/source/raw/consumers');
    expect(report.total).toBe(1);
    expect(report.undeclared).toEqual([]);
    expect(report.consumers).toHaveLength(1);
    const [app] = report.consumers;
    expect(app).toMatchObject({ ref: 'consumer:app', contact: 'app@example.com', distance: 3, sla: null });
    expect(app.path).toHaveLength(4);
    expect(app.path[0]).toBe('source:raw');
    expect(['feature:left', 'feature:right']).toContain(app.path[1]);
    expect(app.path.slice(2)).toEqual(['model:m', 'consumer:app']);
  });

  it('impact: not safe to delete, with dependents, consumers and owners', async () => {
    const report = await get('/v1/assets/feature/left/impact');
    expect(report).toMatchObject({ root: 'feature:left', safeToDelete: false, total: 2 });
    expect(distances(report.dependents)).toEqual({ 'model:m': 1, 'consumer:app': 2 });
    expect(report.consumers.map((c: { path: string[] }) => c.path)).toEqual([['feature:left', 'model:m', 'consumer:app']]);
    expect(report.owners).toEqual(['team-consumer', 'team-model']);
    const leaf = await get('/v1/assets/consumer/app/impact');
    expect(leaf).toMatchObject({ safeToDelete: true, total: 0, dependents: [], consumers: [], owners: [] });
  });
});

describe('cycle (a feedback loop)', () => {
  it('terminates, never lists the root, and keeps shortest distances', async () => {
    const down = await get('/v1/assets/model/rec/downstream');
    expect(distances(down.items)).toEqual({ 'source:log': 1, 'consumer:feed': 1, 'feature:clicks': 2 });
    const up = await get('/v1/assets/model/rec/upstream');
    expect(distances(up.items)).toEqual({ 'feature:clicks': 1, 'source:log': 2 });
  });

  it('consumers of a node inside the loop come out once', async () => {
    const report = await get('/v1/assets/source/log/consumers');
    expect(report.consumers.map((c: { ref: string; path: string[] }) => [c.ref, c.path])).toEqual([
      ['consumer:feed', ['source:log', 'feature:clicks', 'model:rec', 'consumer:feed']],
    ]);
  });
});

describe('cascade', () => {
  it('follows model-on-model chains to the end', async () => {
    const down = await get('/v1/assets/model/m1/downstream');
    expect(distances(down.items)).toEqual({ 'model:m2': 1, 'model:m3': 2, 'consumer:c': 3 });
    const up = await get('/v1/assets/consumer/c/upstream?kind=model');
    expect(distances(up.items)).toEqual({ 'model:m3': 1, 'model:m2': 2, 'model:m1': 3 });
    expect(up.total).toBe(3);
    expect(up.countsByKind).toEqual({ source: 1, feature: 1, model: 3, consumer: 0 });
  });
});

describe('disconnected', () => {
  it('an isolated asset has empty closures', async () => {
    const page = await get('/v1/assets/source/other/downstream');
    expect(page).toMatchObject({ total: 0, items: [], countsByKind: { source: 0, feature: 0, model: 0, consumer: 0 } });
    expect((await get('/v1/assets/source/other/upstream')).total).toBe(0);
    expect((await get('/v1/assets/source/island/downstream')).items.map((i: { ref: string }) => i.ref)).toEqual([
      'feature:lonely',
    ]);
  });
});

describe('exact right after a write', () => {
  it('sees a new edge, a removed edge and a deleted asset on the next read', async () => {
    await t.http.put('/v1/assets/model/late').send({ owner: 'o', dependsOn: ['source:other'] }).expect(201);
    expect(distances((await get('/v1/assets/source/other/downstream')).items)).toEqual({ 'model:late': 1 });
    await t.http.put('/v1/assets/model/late').send({ owner: 'o', dependsOn: ['feature:lonely'] }).expect(200);
    expect((await get('/v1/assets/source/other/downstream')).total).toBe(0);
    expect(distances((await get('/v1/assets/source/island/downstream')).items)).toEqual({
      'feature:lonely': 1,
      'model:late': 2,
    });
    await t.http.delete('/v1/assets/model/late').expect(204);
    expect((await get('/v1/assets/source/island/downstream')).total).toBe(1);
  });
});

describe('errors', () => {
  it.each(['upstream', 'downstream', 'consumers', 'impact'])('%s of an unknown asset is 404', async (what) => {
    const res = await t.http.get(`/v1/assets/feature/ghost/${what}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: 'feature:ghost does not exist', requestId: expect.any(String) });
  });

  it('names bad query parameters', async () => {
    const res = await t.http.get('/v1/assets/source/raw/downstream?depth=0&kind=table&limit=5000&cursor=zz');
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'cursor',
      'depth',
      'kind',
      'limit',
    ]);
  });
});
