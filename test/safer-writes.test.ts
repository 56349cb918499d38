import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { startReceiver, until, type Received } from './helpers/webhook-receiver.js';

// Issue 13, "Safer writes": a DELETE honours If-Match as a PUT does, and a forced deletion
// or a reinstatement tells the consumers downstream, as a deprecation does.

type Notice = { id: number; event: string; asset: string; consumer: string; url: string; state: string };

let t: TestApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver(() => 200);
  t = await startTestApp({ DEPCAT_WEBHOOK_BACKOFF_MS: '50' });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

const onlyError = (res: GraphQLResponse) => {
  expect(res.errors, 'expected exactly one error').toHaveLength(1);
  return res.errors![0];
};

/** Every notice about an asset, newest first, as GET /v1/notifications lists them. */
async function noticesAbout(asset: string): Promise<Notice[]> {
  const res = await t.http.get('/v1/notifications').query({ asset, limit: 1000 });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** What the receiver got on `path`, once `count` deliveries of `event` have arrived there. */
async function deliveredTo(path: string, event: string, count = 1): Promise<Received[]> {
  return until(async () => {
    const got = receiver.received.filter((r) => r.path === path && r.body.event === event);
    return got.length >= count && got;
  }, `${count} ${event} notice(s) on ${path}`);
}

const hook = (path: string) => ({ notify: `${receiver.url}${path}` });

describe('DELETE honours If-Match', () => {
  it('refuses a stale revision with 412 and deletes nothing; the current revision deletes', async () => {
    await register(t, [{ ref: 'source:im_stale' }]);
    await t.http.put('/v1/assets/source/im_stale').send({ owner: 'team-source', description: 'second revision' }).expect(200);

    const stale = await t.http.delete('/v1/assets/source/im_stale').set('if-match', '"1"');
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'If-Match: revision 1 is stale; source:im_stale is at revision 2',
      details: { currentRevision: 2 },
    });
    const kept = await t.http.get('/v1/assets/source/im_stale');
    expect(kept.status).toBe(200);
    expect(kept.body.revision).toBe(2);
    const history = await t.http.get('/v1/assets/source/im_stale/history');
    expect(history.body.items.map((e: { action: string }) => e.action)).toEqual(['update', 'create']);

    // The ETag of a read is what a client sends back.
    expect((await t.http.delete('/v1/assets/source/im_stale').set('if-match', kept.headers.etag)).status).toBe(204);
    expect((await t.http.get('/v1/assets/source/im_stale')).status).toBe(404);
  });

  it('takes * as any existing revision, and a bare or weak revision as PUT does', async () => {
    await register(t, [{ ref: 'source:im_any' }, { ref: 'source:im_bare' }, { ref: 'source:im_weak' }]);
    await t.http.put('/v1/assets/source/im_any').send({ owner: 'team-source', description: 'changed' }).expect(200);
    expect((await t.http.delete('/v1/assets/source/im_any').set('if-match', '*')).status).toBe(204);
    expect((await t.http.delete('/v1/assets/source/im_bare').set('if-match', '1')).status).toBe(204);
    expect((await t.http.delete('/v1/assets/source/im_weak').set('if-match', 'W/"1"')).status).toBe(204);
    for (const name of ['im_any', 'im_bare', 'im_weak']) expect((await t.http.get(`/v1/assets/source/${name}`)).status).toBe(404);
  });

  it('answers 404 for a missing asset whatever the precondition, and 400 for a malformed one', async () => {
    for (const value of ['*', '"1"']) {
      const res = await t.http.delete('/v1/assets/source/im_never').set('if-match', value);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    await register(t, [{ ref: 'source:im_malformed' }]);
    const bad = await t.http.delete('/v1/assets/source/im_malformed').set('if-match', '"1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ in: 'headers', field: 'if-match' })]);
    expect((await t.http.get('/v1/assets/source/im_malformed')).status).toBe(200);
  });

  it('checks the precondition before the dependents: a stale forced deletion is a 412 that drops no edge and notifies nobody', async () => {
    await register(t, [
      { ref: 'source:im_held' },
      { ref: 'consumer:im_reader', dependsOn: ['source:im_held'], sla: hook('/im_reader') },
    ]);
    await t.http.put('/v1/assets/source/im_held').send({ owner: 'team-source', tags: ['v2'] }).expect(200);

    // Stale beats "has dependents": the client's view is out of date either way.
    const plain = await t.http.delete('/v1/assets/source/im_held').set('if-match', '"1"');
    expect(plain.status).toBe(412);
    const forced = await t.http.delete('/v1/assets/source/im_held').query({ force: 'true', reason: 'gone' }).set('if-match', '"1"');
    expect(forced.status).toBe(412);
    expect(forced.body.error.details).toEqual({ currentRevision: 2 });

    expect((await t.http.get('/v1/assets/source/im_held')).status).toBe(200);
    const reader = await t.http.get('/v1/assets/consumer/im_reader');
    expect(reader.body.dependsOn.map((d: { ref: string }) => d.ref)).toEqual(['source:im_held']);
    expect(reader.body.revision).toBe(1);
    expect(await noticesAbout('source:im_held')).toEqual([]);

    // The right revision with force deletes, and then the reader hears of it.
    expect((await t.http.delete('/v1/assets/source/im_held').query({ force: 'true', reason: 'gone' }).set('if-match', '"2"')).status).toBe(204);
    expect((await noticesAbout('source:im_held')).map((n) => [n.event, n.consumer])).toEqual([['asset.deleted', 'consumer:im_reader']]);
  });

  it('is described in the OpenAPI document, with its 412', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    const op = doc.paths['/v1/assets/{kind}/{name}'].delete;
    expect(op.description).toMatch(/If-Match/);
    expect(op.description).toMatch(/asset\.deleted/);
    expect(Object.keys(op.responses)).toContain('412');
  });
});

describe('GraphQL deleteAsset(ifMatch:)', () => {
  const del = `mutation ($ref: String!, $ifMatch: Int, $force: Boolean, $reason: String) {
    deleteAsset(ref: $ref, ifMatch: $ifMatch, force: $force, reason: $reason) { ref deleted }
  }`;

  it('refuses a stale revision with PRECONDITION_FAILED and deletes nothing; the current one deletes', async () => {
    await register(t, [{ ref: 'feature:gq_stale' }]);
    await t.http.put('/v1/assets/feature/gq_stale').send({ owner: 'team-feature', tags: ['b'] }).expect(200);

    const stale = await gql(t, del, { ref: 'feature:gq_stale', ifMatch: 1 });
    expect(stale.data).toBeNull();
    expect(onlyError(stale)).toMatchObject({
      message: 'revision 1 is stale; feature:gq_stale is at revision 2',
      extensions: { code: 'PRECONDITION_FAILED', details: { currentRevision: 2 } },
    });
    expect((await t.http.get('/v1/assets/feature/gq_stale')).status).toBe(200);

    const done = await gql(t, del, { ref: 'feature:gq_stale', ifMatch: 2 });
    expect(done.errors).toBeUndefined();
    expect(done.data.deleteAsset).toEqual({ ref: 'feature:gq_stale', deleted: true });
    expect((await t.http.get('/v1/assets/feature/gq_stale')).status).toBe(404);
  });

  it('a stale forced deletion queues nothing; the current one queues the notices', async () => {
    await register(t, [
      { ref: 'feature:gq_forced' },
      { ref: 'consumer:gq_reader', dependsOn: ['feature:gq_forced'], sla: hook('/gq_reader') },
    ]);
    const stale = await gql(t, del, { ref: 'feature:gq_forced', ifMatch: 7, force: true, reason: 'retired' });
    expect(onlyError(stale).extensions!.code).toBe('PRECONDITION_FAILED');
    expect(await noticesAbout('feature:gq_forced')).toEqual([]);

    const forced = await gql(t, del, { ref: 'feature:gq_forced', ifMatch: 1, force: true, reason: 'retired' }, { 'x-actor': 'gq-ops' });
    expect(forced.data.deleteAsset.deleted).toBe(true);
    const [notice] = await deliveredTo('/gq_reader', 'asset.deleted');
    expect(notice.body).toMatchObject({ asset: 'feature:gq_forced', reason: 'retired', actor: 'admin', onBehalfOf: 'gq-ops', path: ['feature:gq_forced', 'consumer:gq_reader'] });
  });

  it('refuses a malformed ifMatch as input', async () => {
    await register(t, [{ ref: 'feature:gq_bad' }]);
    const res = await gql(t, del, { ref: 'feature:gq_bad', ifMatch: -1 });
    expect(onlyError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [expect.objectContaining({ field: 'ifMatch' })] });
    expect((await t.http.get('/v1/assets/feature/gq_bad')).status).toBe(200);
  });
});

describe('a forced deletion notifies the consumers downstream', () => {
  // feature:fd_f is read by consumer:fd_near directly, by consumer:fd_far through model:fd_m
  // (and, further, through model:fd_m2 as well: still one notice), and by consumer:fd_quiet,
  // which has no webhook. consumer:fd_elsewhere reads something else.
  beforeAll(async () => {
    await register(t, [
      { ref: 'source:fd_raw' },
      { ref: 'source:fd_other' },
      { ref: 'feature:fd_f', dependsOn: ['source:fd_raw'] },
      { ref: 'model:fd_m', dependsOn: ['feature:fd_f'] },
      { ref: 'model:fd_m2', dependsOn: ['model:fd_m'] },
      { ref: 'consumer:fd_near', dependsOn: ['feature:fd_f'], sla: hook('/fd_near') },
      { ref: 'consumer:fd_far', dependsOn: ['model:fd_m', 'model:fd_m2'], sla: hook('/fd_far'), contact: 'far-oncall@example.com' },
      { ref: 'consumer:fd_quiet', dependsOn: ['feature:fd_f'] },
      { ref: 'consumer:fd_elsewhere', dependsOn: ['source:fd_other'], sla: hook('/fd_elsewhere') },
    ]);
  });

  it('a refused deletion (409, or 400 without a reason) queues nothing', async () => {
    const refused = await t.http.delete('/v1/assets/feature/fd_f');
    expect(refused.status).toBe(409);
    const noReason = await t.http.delete('/v1/assets/feature/fd_f').query({ force: 'true' });
    expect(noReason.status).toBe(400);
    expect(await noticesAbout('feature:fd_f')).toEqual([]);
  });

  it('sends each consumer with sla.notify one asset.deleted notice, with the path before the deletion and the reason', async () => {
    const res = await t.http
      .delete('/v1/assets/feature/fd_f')
      .query({ force: 'true', reason: '  replaced by feature:fd_g  ' })
      .set('x-actor', 'fd-ops');
    expect(res.status).toBe(204);

    const listed = await noticesAbout('feature:fd_f');
    expect(listed.map((n) => [n.event, n.consumer]).sort()).toEqual([
      ['asset.deleted', 'consumer:fd_far'],
      ['asset.deleted', 'consumer:fd_near'],
    ]);
    const byConsumer = Object.fromEntries(listed.map((n) => [n.consumer, n]));
    expect(byConsumer['consumer:fd_near'].url).toBe(`${receiver.url}/fd_near`);

    const [near] = await deliveredTo('/fd_near', 'asset.deleted');
    const [far] = await deliveredTo('/fd_far', 'asset.deleted');
    expect(near.body).toEqual({
      id: byConsumer['consumer:fd_near'].id,
      event: 'asset.deleted',
      asset: 'feature:fd_f',
      reason: 'replaced by feature:fd_g',
      revision: 1,
      actor: 'admin',
      onBehalfOf: 'fd-ops',
      consumer: 'consumer:fd_near',
      contact: 'fd_near@example.com',
      distance: 1,
      path: ['feature:fd_f', 'consumer:fd_near'],
    });
    expect(far.body).toEqual({
      id: byConsumer['consumer:fd_far'].id,
      event: 'asset.deleted',
      asset: 'feature:fd_f',
      reason: 'replaced by feature:fd_g',
      revision: 1,
      actor: 'admin',
      onBehalfOf: 'fd-ops',
      consumer: 'consumer:fd_far',
      contact: 'far-oncall@example.com',
      distance: 2,
      path: ['feature:fd_f', 'model:fd_m', 'consumer:fd_far'],
    });
    expect(far.headers['x-depcat-event']).toBe('asset.deleted');

    // Delivered, and to nobody else: one each, none to the consumer elsewhere in the graph.
    await until(async () => (await noticesAbout('feature:fd_f')).every((n) => n.state === 'delivered'), 'both notices delivered');
    expect(receiver.received.filter((r) => r.body.asset === 'feature:fd_f').map((r) => r.path).sort()).toEqual(['/fd_far', '/fd_near']);
    expect(receiver.received.some((r) => r.path === '/fd_elsewhere')).toBe(false);

    // GraphQL lists the same notices with their event name.
    const listedByGraphql = await gql(t, `{ notifications(filter: { asset: "feature:fd_f" }) { items { event consumer } } }`);
    expect(listedByGraphql.errors).toBeUndefined();
    expect(listedByGraphql.data.notifications.items.map((n: { event: string; consumer: string }) => `${n.event} ${n.consumer}`).sort()).toEqual([
      'asset.deleted consumer:fd_far',
      'asset.deleted consumer:fd_near',
    ]);
  });

  it('a deletion that needs no force notifies nobody, the deleted consumer included', async () => {
    await register(t, [
      { ref: 'source:fd_leaf_src' },
      { ref: 'consumer:fd_leaf', dependsOn: ['source:fd_leaf_src'], sla: hook('/fd_leaf') },
      { ref: 'feature:fd_unread' },
    ]);
    expect((await t.http.delete('/v1/assets/consumer/fd_leaf')).status).toBe(204);
    expect((await t.http.delete('/v1/assets/feature/fd_unread')).status).toBe(204);
    // Forced, but with nothing downstream: nobody to tell either.
    await register(t, [{ ref: 'feature:fd_unread_forced' }]);
    expect((await t.http.delete('/v1/assets/feature/fd_unread_forced').query({ force: 'true', reason: 'r' })).status).toBe(204);
    for (const asset of ['consumer:fd_leaf', 'feature:fd_unread', 'feature:fd_unread_forced']) expect(await noticesAbout(asset)).toEqual([]);
    const toLeaf = await t.http.get('/v1/notifications').query({ consumer: 'fd_leaf' });
    expect(toLeaf.body.items).toEqual([]);
  });
});

describe('a reinstatement notifies the consumers downstream', () => {
  beforeAll(async () => {
    await register(t, [
      { ref: 'source:re_s' },
      { ref: 'feature:re_f', dependsOn: ['source:re_s'] },
      { ref: 'consumer:re_hooked', dependsOn: ['feature:re_f'], sla: hook('/re_hooked') },
      { ref: 'consumer:re_quiet', dependsOn: ['feature:re_f'] },
    ]);
  });

  it('REST: one asset.reinstated notice per consumer with sla.notify, after the asset.deprecated one', async () => {
    const deprecated = await t.http.post('/v1/assets/source/re_s/deprecate').send({ reason: 'flaky' });
    expect(deprecated.body.notificationsQueued).toBe(1);
    const res = await t.http.post('/v1/assets/source/re_s/reinstate').set('x-actor', 're-team').send({ reason: 'false alarm' });
    expect(res.status).toBe(200);

    const listed = await noticesAbout('source:re_s');
    expect(listed.map((n) => [n.event, n.consumer])).toEqual([
      ['asset.reinstated', 'consumer:re_hooked'],
      ['asset.deprecated', 'consumer:re_hooked'],
    ]);
    const [notice] = await deliveredTo('/re_hooked', 'asset.reinstated');
    expect(notice.body).toEqual({
      id: listed[0].id,
      event: 'asset.reinstated',
      asset: 'source:re_s',
      reason: 'false alarm',
      lifecycle: 'production',
      revision: res.body.revision,
      actor: 'admin',
      onBehalfOf: 're-team',
      consumer: 'consumer:re_hooked',
      contact: 're_hooked@example.com',
      distance: 2,
      path: ['source:re_s', 'feature:re_f', 'consumer:re_hooked'],
    });
  });

  it('GraphQL reinstateAsset does the same; a refused reinstatement queues nothing', async () => {
    await t.http.post('/v1/assets/feature/re_f/deprecate').send({ reason: 'again' }).expect(200);
    const res = await gql(
      t,
      `mutation { reinstateAsset(ref: "feature:re_f", lifecycle: experimental) { ref lifecycle revision } }`,
      undefined,
      { 'x-actor': 're-gql' },
    );
    expect(res.errors).toBeUndefined();
    const [notice] = (await deliveredTo('/re_hooked', 'asset.reinstated', 2)).filter((r) => r.body.asset === 'feature:re_f');
    expect(notice.body).toMatchObject({
      event: 'asset.reinstated',
      asset: 'feature:re_f',
      reason: null,
      lifecycle: 'experimental',
      revision: res.data.reinstateAsset.revision,
      actor: 'admin',
      onBehalfOf: 're-gql',
      distance: 1,
      path: ['feature:re_f', 'consumer:re_hooked'],
    });

    const listed = await gql(t, `{ notifications(filter: { asset: "feature:re_f" }) { items { event consumer } } }`);
    expect(listed.data.notifications.items).toEqual([
      { event: 'asset.reinstated', consumer: 'consumer:re_hooked' },
      { event: 'asset.deprecated', consumer: 'consumer:re_hooked' },
    ]);

    // Not deprecated any more: CONFLICT, and no third notice.
    const again = await gql(t, `mutation { reinstateAsset(ref: "feature:re_f") { ref } }`);
    expect(onlyError(again).extensions!.code).toBe('CONFLICT');
    expect(await noticesAbout('feature:re_f')).toHaveLength(2);
  });
});
