import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtures, register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // source:s ← feature:f ← model:m1 ← model:m2 ← model:m3 ← consumer:c
  await register(t, [...fixtures.cascade, { ref: 'source:s2' }, { ref: 'source:unrelated' }]);
});
afterAll(() => t?.close());
afterEach(() => vi.useRealTimers());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const fields = (res: { body: { error: { details: { field: string }[] } } }) =>
  res.body.error.details.map((d) => d.field).sort();

describe('POST /v1/assets/{kind}/{name}/deprecate', () => {
  it('deprecates, answers every affected consumer with its path, and warns every dependent at any distance', async () => {
    const sunset = day(30);
    const res = await t.http
      .post('/v1/assets/source/s/deprecate')
      .set('x-actor', 'alice')
      .send({ reason: 'moving to the new pipeline', replacedBy: 'source:s2', sunsetAt: sunset });
    expect(res.status).toBe(200);
    expect(res.body.asset).toMatchObject({
      ref: 'source:s',
      lifecycle: 'deprecated',
      revision: 2,
      deprecation: { reason: 'moving to the new pipeline', replacedBy: 'source:s2', sunsetAt: sunset },
    });
    expect(Date.parse(res.body.asset.deprecation.deprecatedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.body.affectedConsumers).toEqual([
      {
        ref: 'consumer:c',
        name: 'c',
        owner: 'team-consumer',
        contact: 'c@example.com',
        sla: null,
        distance: 5,
        path: ['source:s', 'feature:f', 'model:m1', 'model:m2', 'model:m3', 'consumer:c'],
      },
    ]);
    expect(res.body.notificationsQueued).toBe(0);

    const direct = await t.http.get('/v1/assets/feature/f');
    expect(direct.body.warnings).toEqual([
      expect.objectContaining({ code: 'depends_on_deprecated', asset: 'source:s', replacedBy: 'source:s2', sunsetAt: sunset, distance: 1 }),
    ]);
    expect(direct.body.warnings[0].message).toContain('directly');
    expect(direct.body.warnings[0].message).toContain('source:s2');

    const third = await t.http.get('/v1/assets/model/m2');
    expect(third.body.warnings).toHaveLength(1);
    expect(third.body.warnings[0]).toMatchObject({ code: 'depends_on_deprecated', asset: 'source:s', distance: 3 });
    expect(third.body.warnings[0].message).toContain('model:m1 → feature:f');
    expect(third.body.warnings[0].message).toContain(sunset);

    // The deprecated asset itself and assets beside it carry no such warning.
    expect((await t.http.get('/v1/assets/source/s')).body.warnings).toEqual([]);
    expect((await t.http.get('/v1/assets/source/unrelated')).body.warnings).toEqual([]);

    const list = await t.http.get('/v1/assets?kind=model');
    const byRef = Object.fromEntries(list.body.items.map((a: { ref: string; warnings: { distance: number }[] }) => [a.ref, a.warnings]));
    expect(byRef['model:m1'][0].distance).toBe(2);
    expect(byRef['model:m2'][0].distance).toBe(3);
    expect(byRef['model:m3'][0].distance).toBe(4);
  });

  it('refuses bad input with 400 naming each field, and writes nothing', async () => {
    await register(t, [{ ref: 'feature:bad_input' }]);
    const cases: [unknown, string[]][] = [
      [{}, ['reason']],
      [{ reason: '  ' }, ['reason']],
      [{ reason: 'x', replacedBy: 'feature:nope' }, ['replacedBy']],
      [{ reason: 'x', replacedBy: 'feature:bad_input' }, ['replacedBy']],
      [{ reason: 'x', replacedBy: 'nokind' }, ['replacedBy']],
      [{ reason: 'x', sunsetAt: '2020-01-01' }, ['sunsetAt']],
      [{ reason: 'x', sunsetAt: '2027-02-30' }, ['sunsetAt']],
      [{ reason: 'x', sunsetAt: 'tomorrow' }, ['sunsetAt']],
      [{ reason: 'x', extra: 1 }, ['']],
    ];
    for (const [body, expected] of cases) {
      const res = await t.http.post('/v1/assets/feature/bad_input/deprecate').send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (expected[0] !== '') expect(fields(res)).toEqual(expected);
    }
    const asset = await t.http.get('/v1/assets/feature/bad_input');
    expect(asset.body).toMatchObject({ lifecycle: 'production', deprecation: null, revision: 1 });
    expect((await t.http.post('/v1/assets/feature/missing/deprecate').send({ reason: 'x' })).status).toBe(404);
  });

  it('accepts a new dependency on a deprecated asset with a warning; after the sunset refuses it with 409 naming the replacement', async () => {
    await register(t, [{ ref: 'source:old' }, { ref: 'source:new' }, { ref: 'feature:kept', dependsOn: ['source:old'] }]);
    const tomorrow = day(1);
    await t.http.post('/v1/assets/source/old/deprecate').send({ reason: 'old', replacedBy: 'source:new', sunsetAt: tomorrow }).expect(200);

    const accepted = await t.http.put('/v1/assets/feature/late').send({ owner: 'ml', dependsOn: ['source:old'] });
    expect(accepted.status).toBe(201);
    expect(accepted.body.warnings.map((w: { code: string }) => w.code)).toEqual(['new_dependency_on_deprecated', 'depends_on_deprecated']);
    expect(accepted.body.warnings[0].message).toContain('source:new');

    const batch = await t.http.post('/v1/batch').send({ assets: [{ ref: 'feature:late_b', owner: 'ml', dependsOn: ['source:old'] }] });
    expect(batch.body.items[0].warnings).toEqual([expect.objectContaining({ code: 'new_dependency_on_deprecated', asset: 'source:old' })]);

    // Three days on, the sunset has passed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3 * 86_400_000);
    const refused = await t.http.put('/v1/assets/feature/too_late').send({ owner: 'ml', dependsOn: ['source:old'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('source:new');
    expect(refused.body.error.details.refused).toEqual([
      { field: 'dependsOn[0]', dependency: 'source:old', sunsetAt: tomorrow, replacedBy: 'source:new' },
    ]);
    expect((await t.http.get('/v1/assets/feature/too_late')).status).toBe(404);

    // An edge the asset already had is not new: re-sending it (with a change elsewhere) is accepted.
    const kept = await t.http.put('/v1/assets/feature/kept').send({ owner: 'someone-else', dependsOn: ['source:old'] });
    expect(kept.status).toBe(200);
    expect(kept.body.warnings).toEqual([expect.objectContaining({ code: 'depends_on_past_sunset', asset: 'source:old' })]);
    expect(kept.body.warnings[0].message).toContain('use source:new instead');
  });

  it('keeps a deprecation across a PUT that omits the lifecycle, refuses one that names another, and reinstates', async () => {
    await register(t, [{ ref: 'feature:phoenix' }, { ref: 'model:uses_phoenix', dependsOn: ['feature:phoenix'] }]);
    await t.http.post('/v1/assets/feature/phoenix/deprecate').send({ reason: 'unused' }).expect(200);

    const put = await t.http.put('/v1/assets/feature/phoenix').send({ owner: 'new-owner' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ lifecycle: 'deprecated', deprecation: { reason: 'unused' } });
    const undo = await t.http.put('/v1/assets/feature/phoenix').send({ owner: 'new-owner', lifecycle: 'production' });
    expect(undo.status).toBe(400);
    expect(fields(undo)).toEqual(['lifecycle']);

    const same = await t.http.post('/v1/assets/feature/phoenix/deprecate').send({ reason: 'unused' });
    expect(same.body.asset.revision).toBe(put.body.revision);

    const back = await t.http.post('/v1/assets/feature/phoenix/reinstate').send({ lifecycle: 'experimental', reason: 'still needed' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ lifecycle: 'experimental', deprecation: null, revision: put.body.revision + 1 });
    expect((await t.http.get('/v1/assets/model/uses_phoenix')).body.warnings).toEqual([]);
    expect((await t.http.post('/v1/assets/feature/phoenix/reinstate')).status).toBe(409);
    expect((await t.http.post('/v1/assets/feature/phoenix/reinstate').send({ lifecycle: 'deprecated' })).status).toBe(400);
  });

  it('is described in the OpenAPI document, with a strict body', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/assets/{kind}/{name}/deprecate',
        '/v1/assets/{kind}/{name}/reinstate',
        '/v1/assets/{kind}/{name}/history',
        '/v1/notifications',
      ]),
    );
    const body = doc.paths['/v1/assets/{kind}/{name}/deprecate'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['reason']);
    expect(body.additionalProperties).toBe(false);
  });
});
