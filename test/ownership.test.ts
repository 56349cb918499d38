import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, issueToken, type Issued } from './helpers/tokens.js';

// Issue 13, "Rules": a team writes only its own assets (but may depend on anyone's); a
// consumer token writes only its own consumer asset, checks access and reports reads as
// itself. Through the real REST routes, each refusal a 403 naming its rule.

let t: TestApp;
let ads: Issued;
let adsReadOnly: Issued;
let app: Issued;
let appNoIngest: Issued;
let other: Issued;
let weakAdmin: Issued;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [
    { ref: 'source:ow_search_raw', owner: 'search' },
    { ref: 'feature:ow_search_f', owner: 'search', dependsOn: ['source:ow_search_raw'] },
    { ref: 'source:ow_ads_raw', owner: 'ads' },
    { ref: 'consumer:ow_app', owner: 'ads', contact: 'app@example.com', dependsOn: ['source:ow_ads_raw'] },
    { ref: 'consumer:ow_other', owner: 'ads', contact: 'other@example.com' },
  ]);
  ads = await issueToken(t, { name: 'ow-ads', team: 'ads', scopes: ['read', 'write', 'ingest'] });
  adsReadOnly = await issueToken(t, { name: 'ow-ads-ro', team: 'ads', scopes: ['read'] });
  app = await issueToken(t, { name: 'ow-app', consumer: 'ow_app', scopes: ['read', 'write', 'ingest'] });
  appNoIngest = await issueToken(t, { name: 'ow-app-ro', consumer: 'ow_app', scopes: ['read', 'write'] });
  other = await issueToken(t, { name: 'ow-other', consumer: 'ow_other', scopes: ['read', 'write', 'ingest'] });
  weakAdmin = await issueToken(t, { name: 'ow-weak-admin', scopes: ['read', 'write'] });
});
afterAll(async () => {
  await t?.close();
});

const as = (token: Issued) => bearer(token.secret);
const exists = async (ref: string) => (await t.http.get(`/v1/assets/${ref.replace(':', '/')}`)).status === 200;
const assetOf = async (ref: string) => (await t.http.get(`/v1/assets/${ref.replace(':', '/')}`)).body;
function expectRefusal(res: { status: number; body: { error: { code: string; message: string; details?: Record<string, unknown> } } }, rule: string, field?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', details: { rule } });
  if (field) {
    expect(res.body.error.details!.field).toBe(field);
    expect(res.body.error.message.startsWith(`${field}: `)).toBe(true);
  }
}
const undeclaredOf = async (asset: string): Promise<string[]> => {
  const res = await t.http.get('/v1/undeclared-consumers').query({ asset });
  expect(res.status).toBe(200);
  return res.body.items.map((i: { identity: string }) => i.identity);
};

describe('a team token', () => {
  it('creates assets with its own owner only', async () => {
    expect((await t.anon.put('/v1/assets/source/ow_t1').set(as(ads)).send({ owner: 'ads' })).status).toBe(201);
    const foreign = await t.anon.put('/v1/assets/source/ow_t2').set(as(ads)).send({ owner: 'search' });
    expectRefusal(foreign, 'team-creates-own');
    expect(foreign.body.error.message).toContain('ow-ads');
    expect(await exists('source:ow_t2')).toBe(false);
  });

  it('declares a dependency on another team\'s asset', async () => {
    const res = await t.anon.put('/v1/assets/feature/ow_t3').set(as(ads)).send({ owner: 'ads', dependsOn: ['feature:ow_search_f', 'source:ow_search_raw'] });
    expect(res.status).toBe(201);
    const consumers = await t.http.get('/v1/assets/feature/ow_search_f/downstream');
    expect(consumers.body.items.map((i: { ref: string }) => i.ref)).toContain('feature:ow_t3');
    // And the other team's asset is untouched.
    expect((await assetOf('feature:ow_search_f')).revision).toBe(1);
  });

  it("changes only its team's assets, and moving one to another owner needs an admin", async () => {
    const update = await t.anon.put('/v1/assets/feature/ow_search_f').set(as(ads)).send({ owner: 'search', description: 'hijacked' });
    expectRefusal(update, 'team-owns-asset');
    const takeover = await t.anon.put('/v1/assets/feature/ow_search_f').set(as(ads)).send({ owner: 'ads' });
    expectRefusal(takeover, 'team-owns-asset');
    expect(await assetOf('feature:ow_search_f')).toMatchObject({ owner: 'search', revision: 1 });

    await t.anon.put('/v1/assets/source/ow_move').set(as(ads)).send({ owner: 'ads' }).expect(201);
    const move = await t.anon.put('/v1/assets/source/ow_move').set(as(ads)).send({ owner: 'search' });
    expectRefusal(move, 'owner-change-needs-admin');
    expect((await assetOf('source:ow_move')).owner).toBe('ads');
    expect((await t.http.put('/v1/assets/source/ow_move').send({ owner: 'search' })).status).toBe(200);
    expect((await assetOf('source:ow_move')).owner).toBe('search');
  });

  it('needs the write scope', async () => {
    expectRefusal(await t.anon.put('/v1/assets/source/ow_ro').set(as(adsReadOnly)).send({ owner: 'ads' }), 'scope');
  });

  it('in a batch: the refusal names the item assets[i], and nothing is stored', async () => {
    const res = await t.anon
      .post('/v1/batch')
      .set(as(ads))
      .send({
        assets: [
          { ref: 'source:ow_b0', owner: 'ads' },
          { ref: 'feature:ow_b1', owner: 'ads', dependsOn: ['source:ow_search_raw'] },
          { ref: 'source:ow_b2', owner: 'search' },
        ],
      });
    expectRefusal(res, 'team-creates-own', 'assets[2]');
    for (const ref of ['source:ow_b0', 'feature:ow_b1', 'source:ow_b2']) expect(await exists(ref)).toBe(false);

    const update = await t.anon
      .post('/v1/batch')
      .set(as(ads))
      .send({ assets: [{ ref: 'source:ow_b0', owner: 'ads' }, { ref: 'source:ow_search_raw', owner: 'search', tags: ['x'] }] });
    expectRefusal(update, 'team-owns-asset', 'assets[1]');
    expect(await exists('source:ow_b0')).toBe(false);

    const fine = await t.anon
      .post('/v1/batch')
      .set(as(ads))
      .send({ assets: [{ ref: 'source:ow_b0', owner: 'ads' }, { ref: 'feature:ow_b1', owner: 'ads', dependsOn: ['source:ow_search_raw'] }] });
    expect(fine.status).toBe(200);
  });

  it('in an import: the refusal names the line lines[n], and nothing is stored', async () => {
    const ndjson = (lines: object[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
    const res = await t.anon
      .post('/v1/import')
      .set(as(ads))
      .set('content-type', 'application/x-ndjson')
      .send(
        ndjson([
          { ref: 'source:ow_i1', owner: 'ads' },
          { ref: 'feature:ow_i2', owner: 'ads', dependsOn: ['source:ow_i1', 'feature:ow_search_f'] },
          { ref: 'feature:ow_search_f', owner: 'search', description: 'rewritten by ads' },
        ]),
      );
    expectRefusal(res, 'team-owns-asset', 'lines[3]');
    expect(await exists('source:ow_i1')).toBe(false);
    expect(await exists('feature:ow_i2')).toBe(false);
    expect((await assetOf('feature:ow_search_f')).revision).toBe(1);

    const foreign = await t.anon
      .post('/v1/import')
      .set(as(ads))
      .set('content-type', 'application/x-ndjson')
      .send(ndjson([{ ref: 'source:ow_i3', owner: 'search' }]));
    expectRefusal(foreign, 'team-creates-own', 'lines[1]');
    expect(await exists('source:ow_i3')).toBe(false);
  });

  it("deprecates and reinstates only its team's assets", async () => {
    await register(t, [{ ref: 'source:ow_d_ads', owner: 'ads' }, { ref: 'source:ow_d_search', owner: 'search' }]);
    const foreign = await t.anon.post('/v1/assets/source/ow_d_search/deprecate').set(as(ads)).send({ reason: 'mine now' });
    expectRefusal(foreign, 'team-owns-asset');
    expect((await assetOf('source:ow_d_search')).lifecycle).not.toBe('deprecated');
    expect((await t.anon.post('/v1/assets/source/ow_d_ads/deprecate').set(as(ads)).send({ reason: 'old' })).status).toBe(200);
    expect((await assetOf('source:ow_d_ads')).lifecycle).toBe('deprecated');

    await t.http.post('/v1/assets/source/ow_d_search/deprecate').send({ reason: 'by search' }).expect(200);
    expectRefusal(await t.anon.post('/v1/assets/source/ow_d_search/reinstate').set(as(ads)).send({}), 'team-owns-asset');
    expect((await assetOf('source:ow_d_search')).lifecycle).toBe('deprecated');
    expect((await t.anon.post('/v1/assets/source/ow_d_ads/reinstate').set(as(ads)).send({})).status).toBe(200);
    expect((await assetOf('source:ow_d_ads')).lifecycle).not.toBe('deprecated');
  });

  it("deletes only its team's assets", async () => {
    await register(t, [{ ref: 'source:ow_x_ads', owner: 'ads' }, { ref: 'source:ow_x_search', owner: 'search' }]);
    expectRefusal(await t.anon.delete('/v1/assets/source/ow_x_search').set(as(ads)), 'team-owns-asset');
    expect(await exists('source:ow_x_search')).toBe(true);
    expect((await t.anon.delete('/v1/assets/source/ow_x_ads').set(as(ads))).status).toBe(204);
    expect(await exists('source:ow_x_ads')).toBe(false);
  });

  it("forces the deletion of its own asset; another team's needs the admin scope", async () => {
    await register(t, [
      { ref: 'source:ow_f_ads', owner: 'ads' },
      { ref: 'source:ow_f_search', owner: 'search' },
      // Each has a dependent of the other team: only a forced deletion removes it.
      { ref: 'feature:ow_f_dep1', owner: 'search', dependsOn: ['source:ow_f_ads'] },
      { ref: 'feature:ow_f_dep2', owner: 'ads', dependsOn: ['source:ow_f_search'] },
    ]);
    const force = { force: 'true', reason: 'cleanup' };
    expectRefusal(await t.anon.delete('/v1/assets/source/ow_f_search').query(force).set(as(ads)), 'admin-only');
    expectRefusal(await t.anon.delete('/v1/assets/source/ow_f_search').query(force).set(as(weakAdmin)), 'admin-only');
    expect(await exists('source:ow_f_search')).toBe(true);
    expect((await assetOf('feature:ow_f_dep2')).dependsOn).toEqual([expect.objectContaining({ ref: 'source:ow_f_search' })]);

    // Unforced, the dependents refuse it (409) for the owner too; forced, the owner may.
    expect((await t.anon.delete('/v1/assets/source/ow_f_ads').set(as(ads))).status).toBe(409);
    expect((await t.anon.delete('/v1/assets/source/ow_f_ads').query(force).set(as(ads))).status).toBe(204);
    expect((await assetOf('feature:ow_f_dep1')).dependsOn).toEqual([]);

    // An admin token without the admin scope deletes without force, not with it.
    await register(t, [{ ref: 'source:ow_f_plain', owner: 'search' }]);
    expect((await t.anon.delete('/v1/assets/source/ow_f_plain').set(as(weakAdmin))).status).toBe(204);
    expect((await t.http.delete('/v1/assets/source/ow_f_search').query(force)).status).toBe(204);
    expect(await exists('source:ow_f_search')).toBe(false);
  });

  it('is held to the same rules on GraphQL', async () => {
    await register(t, [{ ref: 'source:ow_g_search', owner: 'search' }]);
    const res = await t.anon
      .post('/graphql')
      .set(as(ads))
      .send({ query: 'mutation { deleteAsset(ref: "source:ow_g_search") { deleted } }' });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'team-owns-asset' } });
    expect(await exists('source:ow_g_search')).toBe(true);
    const batch = await t.anon
      .post('/graphql')
      .set(as(ads))
      .send({ query: 'mutation { upsertAssets(assets: [{ ref: "source:ow_g1", owner: "ads" }, { ref: "source:ow_g2", owner: "search" }]) { counts { created } } }' });
    expect(batch.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'team-creates-own', field: 'assets[1]' } });
    expect(await exists('source:ow_g1')).toBe(false);
  });
});

describe('a consumer token', () => {
  it('checks access as itself, whatever consumer the body names, and the read is recorded as its own', async () => {
    const res = await t.anon.post('/v1/access-check').set(as(app)).send({ asset: 'feature:ow_search_f', consumer: 'ow_other' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ consumer: 'ow_app', asset: 'feature:ow_search_f' });
    const bare = await t.anon.post('/v1/access-check').set(as(app)).send({ asset: 'source:ow_ads_raw' });
    expect(bare.body).toMatchObject({ consumer: 'ow_app', asset: 'source:ow_ads_raw', allowed: true });
    const undeclared = await undeclaredOf('feature:ow_search_f');
    expect(undeclared).toContain('ow_app');
    expect(undeclared).not.toContain('ow_other');
  });

  it('reports its own reads (by name, ref or its own secret), and no one else\'s', async () => {
    const own = await t.anon
      .post('/v1/usage')
      .set(as(app))
      .send({ events: [{ consumer: 'ow_app', asset: 'source:ow_search_raw' }, { consumer: 'consumer:ow_app', asset: 'source:ow_search_raw' }, { consumer: app.secret, asset: 'source:ow_search_raw' }] });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ events: 3, reads: 3, pairs: 1 });

    for (const stranger of ['ow_other', 'consumer:ow_other', 'svc-batch', other.secret]) {
      const res = await t.anon
        .post('/v1/usage')
        .set(as(app))
        .send({ events: [{ consumer: 'ow_app', asset: 'feature:ow_search_f' }, { consumer: stranger, asset: 'feature:ow_search_f', count: 5 }] });
      expectRefusal(res, 'consumer-reports-itself', 'events[1].consumer');
      expect(res.body.error.message).not.toContain(other.secret);
    }
    const count = await t.http.get('/v1/undeclared-consumers').query({ asset: 'feature:ow_search_f' });
    const pairs = count.body.items.map((i: { identity: string; count: number }) => [i.identity, i.count]);
    // Only the access check's read of the test above; no refused event was stored.
    expect(pairs).toEqual([['ow_app', 1]]);
  });

  it('needs the ingest scope to report reads', async () => {
    expectRefusal(await t.anon.post('/v1/usage').set(as(appNoIngest)).send({ events: [{ consumer: 'ow_app', asset: 'source:ow_ads_raw' }] }), 'scope');
  });

  it('updates its own consumer asset, declaring what it reads', async () => {
    const res = await t.anon
      .put('/v1/assets/consumer/ow_app')
      .set(as(app))
      .send({ owner: 'ads', contact: 'app@example.com', dependsOn: ['source:ow_ads_raw', 'feature:ow_search_f'] });
    expect(res.status).toBe(200);
    expect((await assetOf('consumer:ow_app')).dependsOn.map((d: { ref: string }) => d.ref).sort()).toEqual(['feature:ow_search_f', 'source:ow_ads_raw']);
    expect(await undeclaredOf('feature:ow_search_f')).not.toContain('ow_app');
    const history = await t.http.get('/v1/assets/consumer/ow_app/history');
    expect(history.body.items[0]).toMatchObject({ action: 'update', actor: 'ow-app' });
  });

  it('cannot change its own owner, write another asset, or create one', async () => {
    const move = await t.anon.put('/v1/assets/consumer/ow_app').set(as(app)).send({ owner: 'mine', contact: 'app@example.com' });
    expectRefusal(move, 'consumer-writes-itself');
    expect((await assetOf('consumer:ow_app')).owner).toBe('ads');
    expectRefusal(await t.anon.put('/v1/assets/consumer/ow_other').set(as(app)).send({ owner: 'ads', contact: 'x@example.com' }), 'consumer-writes-itself');
    expectRefusal(await t.anon.put('/v1/assets/feature/ow_search_f').set(as(app)).send({ owner: 'search' }), 'consumer-writes-itself');
    expectRefusal(await t.anon.put('/v1/assets/source/ow_c_new').set(as(app)).send({ owner: 'ads' }), 'consumer-writes-itself');
    expect(await exists('source:ow_c_new')).toBe(false);
    expectRefusal(await t.anon.delete('/v1/assets/consumer/ow_app').set(as(app)), 'consumer-writes-itself');
    expectRefusal(await t.anon.post('/v1/assets/source/ow_ads_raw/deprecate').set(as(app)).send({ reason: 'x' }), 'consumer-writes-itself');
    const batch = await t.anon
      .post('/v1/batch')
      .set(as(app))
      .send({ assets: [{ ref: 'consumer:ow_app', owner: 'ads', contact: 'app@example.com' }, { ref: 'consumer:ow_other', owner: 'ads', contact: 'x@example.com' }] });
    expectRefusal(batch, 'consumer-writes-itself', 'assets[1]');
    expect((await assetOf('consumer:ow_other')).revision).toBe(1);
  });
});
