import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ DEPCAT_BODY_LIMIT: String(64 * 1024) });
});
afterAll(() => t?.close());

const fields = (res: { body: { error: { details: { field: string }[] } } }) =>
  res.body.error.details.map((d) => d.field).sort();

describe('PUT /v1/assets/{kind}/{name}', () => {
  it('creates with 201, then answers 200 and bumps the revision only when something changed', async () => {
    const created = await t.http
      .put('/v1/assets/source/impressions')
      .send({ owner: 'data-eng', stability: 'volatile', tags: ['logs', 'logs'], platforms: ['batch'] });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/assets/source/impressions');
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toMatchObject({
      ref: 'source:impressions',
      kind: 'source',
      name: 'impressions',
      owner: 'data-eng',
      lifecycle: 'production',
      stability: 'volatile',
      tags: ['logs'],
      platforms: ['batch'],
      domains: null,
      dependsOn: [],
      deprecation: null,
      revision: 1,
      warnings: [],
    });

    const same = await t.http
      .put('/v1/assets/source/impressions')
      .send({ owner: 'data-eng', stability: 'volatile', tags: ['logs'], platforms: ['batch'] });
    expect(same.status).toBe(200);
    expect(same.body.revision).toBe(1);

    const changed = await t.http.put('/v1/assets/source/impressions').send({ owner: 'platform' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ owner: 'platform', revision: 2, stability: null, tags: [] });
  });

  it('stores every typed annotation and the dependency attributes', async () => {
    await register(t, [{ ref: 'source:pageviews' }]);
    const res = await t.http.put('/v1/assets/feature/ctr_7d').send({
      owner: 'ranking',
      description: 'click-through rate over 7 days',
      lifecycle: 'experimental',
      valueType: 'ratio',
      domains: ['ads', 'region:eu'],
      accessPolicy: 'warn',
      metadata: { window: '7d', nested: { ok: true } },
      dependsOn: [{ ref: 'source:pageviews', pinnedVersion: 'v3', importance: 0.02, note: 'denominator' }],
    });
    expect(res.status).toBe(201);
    const read = await t.http.get('/v1/assets/feature/ctr_7d');
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).toMatchObject({
      description: 'click-through rate over 7 days',
      lifecycle: 'experimental',
      valueType: 'ratio',
      domains: ['ads', 'region:eu'],
      accessPolicy: 'warn',
      metadata: { window: '7d', nested: { ok: true } },
      dependsOn: [{ ref: 'source:pageviews', pinnedVersion: 'v3', importance: 0.02, note: 'denominator' }],
    });
  });

  it('registers a consumer with contact and SLA', async () => {
    await register(t, [{ ref: 'model:ctr_sla' }]);
    const res = await t.http.put('/v1/assets/consumer/bidder').send({
      owner: 'ads-serving',
      contact: 'ads-oncall@example.com',
      sla: { maxStalenessHours: 6, notify: 'https://hooks.example.com/depcat' },
      dependsOn: ['model:ctr_sla'],
    });
    expect(res.status).toBe(201);
    expect(res.body.sla).toEqual({ maxStalenessHours: 6, notify: 'https://hooks.example.com/depcat' });
  });

  it('honours If-Match: a stale revision is 412 and changes nothing', async () => {
    await t.http.put('/v1/assets/source/guarded').send({ owner: 'a' }).expect(201);
    await t.http.put('/v1/assets/source/guarded').set('If-Match', '"1"').send({ owner: 'b' }).expect(200);
    const stale = await t.http.put('/v1/assets/source/guarded').set('If-Match', '"1"').send({ owner: 'c' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    expect(stale.body.error.details).toEqual({ currentRevision: 2 });
    expect((await t.http.get('/v1/assets/source/guarded')).body.owner).toBe('b');
    expect((await t.http.put('/v1/assets/source/unborn').set('If-Match', '*').send({ owner: 'a' })).status).toBe(412);
    const bad = await t.http.put('/v1/assets/source/guarded').set('If-Match', 'yesterday').send({ owner: 'c' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ in: 'headers', field: 'if-match', message: expect.any(String) }]);
  });
});

describe('bad input is a 400 naming every field, and writes nothing', () => {
  it.each([
    ['unknown kind', '/v1/assets/widget/x', { owner: 'a' }, ['kind']],
    ['bad name', '/v1/assets/source/-starts-with-dash', { owner: 'a' }, ['name']],
    ['missing owner', '/v1/assets/source/x', {}, ['owner']],
    ['empty owner', '/v1/assets/source/x', { owner: '  ' }, ['owner']],
    ['unknown field', '/v1/assets/source/x', { owner: 'a', ownr: 'b' }, ['ownr']],
    ['wrong types', '/v1/assets/feature/x', { owner: 1, tags: 'a', valueType: 'percent' }, ['owner', 'tags', 'valueType']],
    ['consumer without contact', '/v1/assets/consumer/x', { owner: 'a' }, ['contact']],
    ['annotation of another kind', '/v1/assets/source/x', { owner: 'a', valueType: 'count', contact: 'me' }, ['contact', 'valueType']],
    ['webhook that is not http(s)', '/v1/assets/consumer/x', { owner: 'a', contact: 'c', sla: { notify: 'ftp://x' } }, ['sla.notify']],
    ['malformed refs', '/v1/assets/model/x', { owner: 'a', dependsOn: ['nokind', 'widget:x', 7, { ref: 'source:ok', extra: 1 }] },
      ['dependsOn[0]', 'dependsOn[1]', 'dependsOn[2]', 'dependsOn[3].extra']],
    ['self dependency', '/v1/assets/model/x', { owner: 'a', dependsOn: ['model:x'] }, ['dependsOn[0]']],
  ])('%s', async (_label, path, body, expected) => {
    const res = await t.http.put(path).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(fields(res)).toEqual([...expected].sort());
    const name = path.split('/').pop();
    const kind = path.split('/')[3];
    expect((await t.http.get(`/v1/assets/${kind}/${name}`)).status).not.toBe(200);
  });

  it('refuses a dependency on a consumer', async () => {
    await register(t, [{ ref: 'consumer:dashboard' }]);
    const res = await t.http.put('/v1/assets/model/reads_consumer').send({ owner: 'a', dependsOn: ['consumer:dashboard'] });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ field: 'dependsOn[0]', message: expect.stringContaining('consumer') });
  });

  it('lists every dependency that does not exist', async () => {
    await register(t, [{ ref: 'source:exists' }]);
    const res = await t.http
      .put('/v1/assets/model/dangling')
      .send({ owner: 'a', dependsOn: ['feature:ghost', 'source:exists', 'source:phantom'] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { in: 'body', field: 'dependsOn[0]', message: 'feature:ghost does not exist' },
      { in: 'body', field: 'dependsOn[2]', message: 'source:phantom does not exist' },
    ]);
    expect((await t.http.get('/v1/assets/model/dangling')).status).toBe(404);
  });

  it('answers invalid JSON with 400 and an oversized body with 413', async () => {
    const invalid = await t.http.put('/v1/assets/source/x').set('content-type', 'application/json').send('{"owner":');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('INVALID_INPUT');
    const huge = await t.http
      .put('/v1/assets/source/x')
      .send({ owner: 'a', description: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses oversized metadata and bad query parameters', async () => {
    const big = await t.http.put('/v1/assets/source/meta').send({ owner: 'a', metadata: { blob: 'x'.repeat(17_000) } });
    expect(big.status).toBe(400);
    expect(fields(big)).toEqual(['metadata']);
    const list = await t.http.get('/v1/assets?limit=0&kind=widget&colour=red');
    expect(list.status).toBe(400);
    expect(fields(list)).toEqual(['colour', 'kind', 'limit']);
    const cursor = await t.http.get('/v1/assets?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(fields(cursor)).toEqual(['cursor']);
  });
});

describe('GET /v1/assets', () => {
  beforeAll(async () => {
    await register(t, [
      { ref: 'source:list_a', owner: 'alpha', tags: ['pii'], description: 'Raw Orders table' },
      { ref: 'source:list_b', owner: 'beta', lifecycle: 'experimental' },
      { ref: 'feature:list_c', owner: 'alpha', tags: ['pii', 'eu'], dependsOn: ['source:list_a'] },
    ]);
  });

  it('filters by kind, owner, lifecycle, tag and text', async () => {
    const refs = async (query: string) =>
      (await t.http.get(`/v1/assets?${query}`).expect(200)).body.items.map((a: { ref: string }) => a.ref);
    expect(await refs('owner=alpha')).toEqual(['feature:list_c', 'source:list_a']);
    expect(await refs('owner=alpha&kind=source')).toEqual(['source:list_a']);
    expect(await refs('lifecycle=experimental&q=list_')).toEqual(['source:list_b']);
    expect(await refs('tag=eu')).toEqual(['feature:list_c']);
    expect(await refs('q=ORDERS')).toEqual(['source:list_a']);
    expect(await refs('owner=nobody')).toEqual([]);
  });

  it('pages with a cursor until nextCursor is null, visiting each asset once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.http.get('/v1/assets').query({ limit: 2, q: 'list_', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((a: { ref: string }) => a.ref));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(['feature:list_c', 'source:list_a', 'source:list_b']);
  });

  it('includes dependencies in listed assets', async () => {
    const res = await t.http.get('/v1/assets?kind=feature&owner=alpha');
    expect(res.body.items[0].dependsOn).toEqual([{ ref: 'source:list_a', pinnedVersion: null, importance: null, note: null }]);
  });
});

describe('POST /v1/batch', () => {
  it('accepts forward references and reports what it did', async () => {
    const res = await t.http.post('/v1/batch').send({
      assets: [
        { ref: 'consumer:b_app', owner: 'o', contact: 'c', dependsOn: ['model:b_model'] },
        { ref: 'model:b_model', owner: 'o', dependsOn: ['feature:b_feature'] },
        { ref: 'feature:b_feature', owner: 'o', dependsOn: ['source:b_source'] },
        { ref: 'source:b_source', owner: 'o' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ created: 4, updated: 0, unchanged: 0 });
    const down = await t.http.get('/v1/assets/source/b_source/downstream');
    expect(down.body.total).toBe(3);
  });

  it('is atomic: one bad item writes nothing, and every bad field is named with its index', async () => {
    const res = await t.http.post('/v1/batch').send({
      assets: [
        { ref: 'source:atomic_ok', owner: 'o' },
        { ref: 'feature:atomic_bad', owner: 'o', dependsOn: ['source:missing_one'] },
        { ref: 'model:atomic_bad2', dependsOn: [] },
      ],
    });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['assets[2].owner']);
    const second = await t.http.post('/v1/batch').send({
      assets: [
        { ref: 'source:atomic_ok', owner: 'o' },
        { ref: 'feature:atomic_bad', owner: 'o', dependsOn: ['source:missing_one', 'source:atomic_ok'] },
        { ref: 'source:atomic_ok', owner: 'again' },
      ],
    });
    expect(second.status).toBe(400);
    expect(fields(second)).toEqual(['assets[1].dependsOn[0]', 'assets[2].ref']);
    expect((await t.http.get('/v1/assets/source/atomic_ok')).status).toBe(404);
    expect((await t.http.get('/v1/assets/feature/atomic_bad')).status).toBe(404);
  });

  it('rolls back a batch that fails inside the transaction', async () => {
    await register(t, [{ ref: 'source:rb_existing', owner: 'before' }]);
    const res = await t.http.post('/v1/batch').send({
      assets: [
        { ref: 'source:rb_existing', owner: 'after' },
        { ref: 'source:rb_new', owner: 'o' },
        { ref: 'model:rb_model', owner: 'o', dependsOn: ['feature:rb_nowhere'] },
      ],
    });
    expect(res.status).toBe(400);
    expect((await t.http.get('/v1/assets/source/rb_existing')).body.owner).toBe('before');
    expect((await t.http.get('/v1/assets/source/rb_new')).status).toBe(404);
  });

  it('refuses an empty batch and a body without assets', async () => {
    expect(fields(await t.http.post('/v1/batch').send({ assets: [] }))).toEqual(['assets']);
    expect(fields(await t.http.post('/v1/batch').send({}))).toEqual(['assets']);
  });
});

describe('DELETE /v1/assets/{kind}/{name}', () => {
  beforeAll(async () => {
    await register(t, [
      { ref: 'source:del_src' },
      { ref: 'feature:del_feat', dependsOn: ['source:del_src'] },
      { ref: 'consumer:del_app', dependsOn: ['feature:del_feat'] },
    ]);
  });

  it('refuses with 409 and the impact report while anything depends on it', async () => {
    const res = await t.http.delete('/v1/assets/source/del_src');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(res.body.error.details).toMatchObject({
      root: 'source:del_src',
      safeToDelete: false,
      total: 2,
      countsByKind: { source: 0, feature: 1, model: 0, consumer: 1 },
      consumers: [{ ref: 'consumer:del_app', contact: 'del_app@example.com', distance: 2 }],
      owners: ['team-consumer', 'team-feature'],
    });
    expect((await t.http.get('/v1/assets/source/del_src')).status).toBe(200);
  });

  it('needs a reason to force', async () => {
    const res = await t.http.delete('/v1/assets/source/del_src?force=true');
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['reason']);
  });

  it('deletes with 204 when nothing depends on it, and 404 afterwards', async () => {
    expect((await t.http.delete('/v1/assets/consumer/del_app')).status).toBe(204);
    expect((await t.http.get('/v1/assets/consumer/del_app')).status).toBe(404);
    expect((await t.http.delete('/v1/assets/consumer/del_app')).status).toBe(404);
  });

  it('forces a deletion, dropping the dependents\' edges and bumping their revision', async () => {
    const before = (await t.http.get('/v1/assets/feature/del_feat')).body.revision;
    const res = await t.http.delete('/v1/assets/source/del_src').query({ force: 'true', reason: 'table dropped upstream' });
    expect(res.status).toBe(204);
    const feature = (await t.http.get('/v1/assets/feature/del_feat')).body;
    expect(feature.dependsOn).toEqual([]);
    expect(feature.revision).toBe(before + 1);
    expect((await t.http.get('/v1/assets/feature/del_feat/upstream')).body.total).toBe(0);
  });
});

describe('unknown assets and routes', () => {
  it('is a 404 with the error shape', async () => {
    const res = await t.http.get('/v1/assets/model/nobody');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'model:nobody does not exist', requestId: expect.any(String) } });
    expect((await t.http.get('/v1/nothing-here')).body.error.code).toBe('NOT_FOUND');
  });
});
