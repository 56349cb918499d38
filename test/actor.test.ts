import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, issueToken, type Issued } from './helpers/tokens.js';
import { startReceiver, until } from './helpers/webhook-receiver.js';

// Issue 13: the history's actor is the token's name; X-Actor adds whom it acted for
// (`onBehalfOf`) beside it, never in its place — on both APIs and in notice payloads.

interface Entry {
  action: string;
  actor: string;
  onBehalfOf: string | null;
}

let t: TestApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let ci: Issued;
beforeAll(async () => {
  receiver = await startReceiver(() => 200);
  t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '50' });
  ci = await issueToken(t, { name: 'ads-ci', team: 'ads', scopes: ['read', 'write'] });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

const historyOf = async (path: string): Promise<Entry[]> => {
  const res = await t.http.get(`/v1/assets/${path}/history`);
  expect(res.status).toBe(200);
  return res.body.items.map((i: Entry) => ({ action: i.action, actor: i.actor, onBehalfOf: i.onBehalfOf }));
};
const graphql = (query: string, headers: Record<string, string>) => t.anon.post('/graphql').set(headers).send({ query });

describe('REST', () => {
  it('records the token name as actor and X-Actor as onBehalfOf', async () => {
    const auth = bearer(ci.secret);
    expect((await t.anon.put('/v1/assets/source/ac_raw').set(auth).set('x-actor', 'alice@ads').send({ owner: 'ads' })).status).toBe(201);
    expect((await t.anon.put('/v1/assets/source/ac_raw').set(auth).send({ owner: 'ads', description: 'no X-Actor' })).status).toBe(200);
    expect((await t.anon.post('/v1/assets/source/ac_raw/deprecate').set(auth).set('x-actor', 'bob').send({ reason: 'old' })).status).toBe(200);
    expect((await t.anon.post('/v1/assets/source/ac_raw/reinstate').set(auth).set('x-actor', '  carol  ').send({})).status).toBe(200);
    expect((await t.http.put('/v1/assets/source/ac_raw').set('x-actor', 'dave').send({ owner: 'ads', description: 'by admin' })).status).toBe(200);
    expect(await historyOf('source/ac_raw')).toEqual([
      { action: 'update', actor: 'admin', onBehalfOf: 'dave' },
      { action: 'reinstate', actor: 'ads-ci', onBehalfOf: 'carol' },
      { action: 'deprecate', actor: 'ads-ci', onBehalfOf: 'bob' },
      { action: 'update', actor: 'ads-ci', onBehalfOf: null },
      { action: 'create', actor: 'ads-ci', onBehalfOf: 'alice@ads' },
    ]);
  });

  it('never lets X-Actor replace the actor, even when it names another token or "admin"', async () => {
    const auth = bearer(ci.secret);
    await t.anon.put('/v1/assets/source/ac_spoof').set(auth).set('x-actor', 'admin').send({ owner: 'ads' }).expect(201);
    await t.anon.put('/v1/assets/source/ac_spoof').set(auth).set('x-actor', 'other-ci').send({ owner: 'ads', tags: ['x'] }).expect(200);
    expect(await historyOf('source/ac_spoof')).toEqual([
      { action: 'update', actor: 'ads-ci', onBehalfOf: 'other-ci' },
      { action: 'create', actor: 'ads-ci', onBehalfOf: 'admin' },
    ]);
  });

  it('records the batch, import and forced deletion the same way', async () => {
    const auth = bearer(ci.secret);
    const batch = await t.anon.post('/v1/batch').set(auth).set('x-actor', 'eve').send({ assets: [{ ref: 'source:ac_b', owner: 'ads' }] });
    expect(batch.status).toBe(200);
    const imported = await t.anon
      .post('/v1/import')
      .set(auth)
      .set('x-actor', 'frank')
      .set('content-type', 'application/x-ndjson')
      .send(JSON.stringify({ ref: 'feature:ac_i', owner: 'ads', dependsOn: ['source:ac_b'] }));
    expect(imported.status).toBe(200);
    const deleted = await t.anon.delete('/v1/assets/source/ac_b').query({ force: 'true', reason: 'gone' }).set(auth).set('x-actor', 'grace');
    expect(deleted.status).toBe(204);
    expect(await historyOf('source/ac_b')).toEqual([
      { action: 'delete', actor: 'ads-ci', onBehalfOf: 'grace' },
      { action: 'create', actor: 'ads-ci', onBehalfOf: 'eve' },
    ]);
    expect((await historyOf('feature/ac_i'))[0]).toEqual({ action: 'update', actor: 'ads-ci', onBehalfOf: 'grace' });
  });

  it('refuses an X-Actor longer than 200 characters with a 400 naming it, and writes nothing', async () => {
    const res = await t.anon.put('/v1/assets/source/ac_bad').set(bearer(ci.secret)).set('x-actor', 'x'.repeat(201)).send({ owner: 'ads' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ in: 'headers', field: 'x-actor' })]);
    expect((await t.http.get('/v1/assets/source/ac_bad')).status).toBe(404);
  });
});

describe('GraphQL', () => {
  it('records the token name as actor and X-Actor as onBehalfOf, and shows both', async () => {
    const res = await graphql('mutation { upsertAsset(ref: "source:ac_g", input: { owner: "ads" }) { asset { ref } } }', {
      ...bearer(ci.secret),
      'x-actor': 'heidi',
    });
    expect(res.body.errors).toBeUndefined();
    const dep = await graphql('mutation { deprecateAsset(ref: "source:ac_g", input: { reason: "r" }) { asset { ref } } }', {
      ...bearer(ci.secret),
      'x-actor': 'admin',
    });
    expect(dep.body.errors).toBeUndefined();
    const expected = [
      { action: 'deprecate', actor: 'ads-ci', onBehalfOf: 'admin' },
      { action: 'create', actor: 'ads-ci', onBehalfOf: 'heidi' },
    ];
    expect(await historyOf('source/ac_g')).toEqual(expected);
    const read = await graphql('{ history(ref: "source:ac_g") { items { action actor onBehalfOf } } }', bearer(ci.secret));
    expect(read.body).toEqual({ data: { history: { items: expected } } });
  });

  it('refuses an X-Actor that cannot be stored, and writes nothing', async () => {
    const res = await graphql('mutation { upsertAsset(ref: "source:ac_gbad", input: { owner: "ads" }) { asset { ref } } }', {
      ...bearer(ci.secret),
      'x-actor': 'y'.repeat(201),
    });
    expect(JSON.stringify(res.body)).toContain('x-actor');
    expect((await t.http.get('/v1/assets/source/ac_gbad')).status).toBe(404);
  });
});

describe('notice payloads', () => {
  it('carry the actor and onBehalfOf of the deprecation, reinstatement and forced deletion', async () => {
    const notify = { notify: `${receiver.url}/ac_reader` };
    await register(t, [
      { ref: 'feature:ac_n', owner: 'ads' },
      { ref: 'consumer:ac_reader', owner: 'readers', dependsOn: ['feature:ac_n'], sla: notify },
    ]);
    const auth = bearer(ci.secret);
    await t.anon.post('/v1/assets/feature/ac_n/deprecate').set(auth).set('x-actor', 'ivan').send({ reason: 'old' }).expect(200);
    await graphql('mutation { reinstateAsset(ref: "feature:ac_n") { ref } }', { ...auth });
    await t.anon.delete('/v1/assets/feature/ac_n').query({ force: 'true', reason: 'bye' }).set(auth).set('x-actor', 'judy').expect(204);
    const got = await until(async () => {
      const bodies = receiver.received.filter((r) => r.path === '/ac_reader').map((r) => r.body);
      return bodies.length >= 3 && bodies;
    }, 'three notices to consumer:ac_reader');
    const byEvent = Object.fromEntries(got.map((b) => [b.event, b]));
    expect(byEvent['asset.deprecated']).toMatchObject({ asset: 'feature:ac_n', actor: 'ads-ci', onBehalfOf: 'ivan' });
    expect(byEvent['asset.reinstated']).toMatchObject({ asset: 'feature:ac_n', actor: 'ads-ci', onBehalfOf: null });
    expect(byEvent['asset.deleted']).toMatchObject({ asset: 'feature:ac_n', actor: 'ads-ci', onBehalfOf: 'judy' });
  });
});
