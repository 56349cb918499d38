import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Entry = { action: string; actor: string; onBehalfOf: string | null; revision: number; reason: string | null; changes: { field: string; before: unknown; after: unknown }[] };

async function history(path: string): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.http.get(`${path}/history`).query({ limit: 2, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(2);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

describe('GET /v1/assets/{kind}/{name}/history', () => {
  it('records create, update, deprecate, reinstate and delete, newest first, with a field-level diff', async () => {
    await register(t, [{ ref: 'source:raw' }, { ref: 'source:raw2' }]);
    await t.http.put('/v1/assets/feature/h').set('x-actor', 'alice').send({ owner: 'ml', tags: ['a'], dependsOn: ['source:raw'] }).expect(201);
    await t.http
      .put('/v1/assets/feature/h')
      .set('x-actor', 'bob')
      .send({ owner: 'ranking', tags: ['a'], dependsOn: [{ ref: 'source:raw', pinnedVersion: 'v2' }] })
      .expect(200);
    await t.http.put('/v1/assets/feature/h').set('x-actor', 'bob').send({ owner: 'ranking', tags: ['a'], dependsOn: [{ ref: 'source:raw', pinnedVersion: 'v2' }] });
    const dep = await t.http
      .post('/v1/assets/feature/h/deprecate')
      .set('x-actor', 'carol')
      .send({ reason: 'superseded', replacedBy: 'source:raw2' })
      .expect(200);
    await t.http.post('/v1/assets/feature/h/reinstate').set('x-actor', 'dave').send({ reason: 'still used' }).expect(200);

    const items = await history('/v1/assets/feature/h');
    // The actor is the token's name; X-Actor is only whom it said it acted for.
    expect(items.map((i) => [i.action, i.actor, i.onBehalfOf, i.revision])).toEqual([
      ['reinstate', 'admin', 'dave', 4],
      ['deprecate', 'admin', 'carol', 3],
      ['update', 'admin', 'bob', 2],
      ['create', 'admin', 'alice', 1],
    ]);
    const [reinstate, deprecate, update, create] = items;
    expect(update.changes).toEqual([
      { field: 'owner', before: 'ml', after: 'ranking' },
      {
        field: 'dependsOn',
        before: [{ ref: 'source:raw', pinnedVersion: null, importance: null, note: null }],
        after: [{ ref: 'source:raw', pinnedVersion: 'v2', importance: null, note: null }],
      },
    ]);
    // Every field that holds something, in field order (lifecycle takes its default).
    expect(create.changes).toEqual([
      { field: 'owner', before: null, after: 'ml' },
      { field: 'lifecycle', before: null, after: 'production' },
      { field: 'tags', before: null, after: ['a'] },
      { field: 'dependsOn', before: null, after: [{ ref: 'source:raw', pinnedVersion: null, importance: null, note: null }] },
    ]);
    const deprecation = dep.body.asset.deprecation;
    expect(deprecate).toMatchObject({ reason: 'superseded' });
    expect(deprecate.changes).toEqual([
      { field: 'lifecycle', before: 'production', after: 'deprecated' },
      { field: 'deprecation', before: null, after: deprecation },
    ]);
    expect(deprecation).toMatchObject({ reason: 'superseded', replacedBy: 'source:raw2', sunsetAt: null });
    expect(reinstate).toMatchObject({ reason: 'still used' });
    expect(reinstate.changes).toEqual([
      { field: 'lifecycle', before: 'deprecated', after: 'production' },
      { field: 'deprecation', before: deprecation, after: null },
    ]);
  });

  it('stays readable after a forced deletion, records its reason, and continues when the name is reused', async () => {
    await register(t, [{ ref: 'source:gone' }, { ref: 'feature:leaning', dependsOn: ['source:gone'] }]);
    await t.http.delete('/v1/assets/source/gone').query({ force: 'true', reason: 'vendor contract ended' }).set('x-actor', 'erin').expect(204);
    expect((await t.http.get('/v1/assets/source/gone')).status).toBe(404);

    const afterDelete = await history('/v1/assets/source/gone');
    expect(afterDelete.map((i) => i.action)).toEqual(['delete', 'create']);
    expect(afterDelete[0]).toMatchObject({ actor: 'admin', onBehalfOf: 'erin', reason: 'vendor contract ended', revision: 1 });
    // Registered without X-Actor: the token acted for nobody else.
    expect(afterDelete[1]).toMatchObject({ action: 'create', actor: 'admin', onBehalfOf: null });
    expect(afterDelete[0].changes).toContainEqual({ field: 'owner', before: 'team-source', after: null });

    const dependent = await history('/v1/assets/feature/leaning');
    expect(dependent[0]).toMatchObject({ action: 'update', reason: 'forced deletion of source:gone: vendor contract ended' });
    expect(dependent[0].changes).toEqual([
      { field: 'dependsOn', before: [{ ref: 'source:gone', pinnedVersion: null, importance: null, note: null }], after: [] },
    ]);

    await t.http.put('/v1/assets/source/gone').set('x-actor', 'frank').send({ owner: 'new-team' }).expect(201);
    const reused = await history('/v1/assets/source/gone');
    expect(reused.map((i) => [i.action, i.revision])).toEqual([
      ['create', 1],
      ['delete', 1],
      ['create', 1],
    ]);
    expect(reused[0]).toMatchObject({ actor: 'admin', onBehalfOf: 'frank' });
  });

  it('is 404 for a ref that never existed and 400 for a bad cursor or limit', async () => {
    const missing = await t.http.get('/v1/assets/feature/never/history');
    expect(missing.status).toBe(404);
    await register(t, [{ ref: 'feature:paged' }]);
    expect((await t.http.get('/v1/assets/feature/paged/history?cursor=nope')).status).toBe(400);
    expect((await t.http.get('/v1/assets/feature/paged/history?limit=0')).status).toBe(400);
    expect((await t.http.get('/v1/assets/feature/paged/history?other=1')).status).toBe(400);
  });
});
