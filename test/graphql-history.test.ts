import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtures, register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// GraphQL's history, deprecateAsset, reinstateAsset and notifications: the REST
// deprecation routes' services, reached through the other adapter.
let t: TestApp;
let receiver: Server;
let hook: string;
beforeAll(async () => {
  // A webhook that accepts every notice, so deliveries succeed quietly.
  receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  t = await startTestApp();
  // source:s ← feature:f ← model:m1 ← model:m2 ← model:m3 ← consumer:c (c has a webhook)
  await register(t, [
    ...fixtures.cascade.map((a) => (a.ref === 'consumer:c' ? { ...a, sla: { notify: hook } } : a)),
    { ref: 'source:s2' },
    { ref: 'feature:solo' },
  ]);
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

afterEach(() => vi.useRealTimers());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

const onlyError = (res: GraphQLResponse) => {
  expect(res.errors, 'expected exactly one error').toHaveLength(1);
  return res.errors![0];
};
const fields = (res: GraphQLResponse) => onlyError(res).extensions!.issues.map((i: { field: string }) => i.field).sort();

const deprecate = `mutation ($ref: String!, $input: DeprecateInput!) {
  deprecateAsset(ref: $ref, input: $input) {
    asset { ref lifecycle revision deprecation { reason replacedBy sunsetAt deprecatedAt } history(first: 1) { items { action actor onBehalfOf revision reason } } }
    affectedConsumers { ref contact distance path sla { notify } }
    notificationsQueued
  }
}`;
const reinstate = `mutation ($ref: String!, $lifecycle: Lifecycle, $reason: String) {
  reinstateAsset(ref: $ref, lifecycle: $lifecycle, reason: $reason) { ref lifecycle revision deprecation { reason } }
}`;
const history = `query ($ref: String!, $first: Int, $after: String) {
  history(ref: $ref, first: $first, after: $after) {
    items { action actor onBehalfOf at revision reason changes { field before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('deprecateAsset', () => {
  it('deprecates, answers the affected consumers, queues their webhook, and the same operation sees the history', async () => {
    const sunset = day(30);
    const res = await gql(t, deprecate, { ref: 'source:s', input: { reason: 'moving to s2', replacedBy: 'source:s2', sunsetAt: sunset } }, { 'x-actor': 'alice' });
    expect(res.errors).toBeUndefined();
    const result = res.data.deprecateAsset;
    expect(result.asset).toMatchObject({
      ref: 'source:s',
      lifecycle: 'deprecated',
      revision: 2,
      deprecation: { reason: 'moving to s2', replacedBy: 'source:s2', sunsetAt: sunset },
      history: { items: [{ action: 'deprecate', actor: 'admin', onBehalfOf: 'alice', revision: 2, reason: 'moving to s2' }] },
    });
    expect(result.affectedConsumers).toEqual([
      {
        ref: 'consumer:c',
        contact: 'c@example.com',
        distance: 5,
        path: ['source:s', 'feature:f', 'model:m1', 'model:m2', 'model:m3', 'consumer:c'],
        sla: { notify: hook },
      },
    ]);
    expect(result.notificationsQueued).toBe(1);

    // The same values again change nothing and notify nobody; REST sees the deprecation.
    const again = await gql(t, deprecate, { ref: 'source:s', input: { reason: 'moving to s2', replacedBy: 'source:s2', sunsetAt: sunset } });
    expect(again.data.deprecateAsset).toMatchObject({ asset: { revision: 2 }, notificationsQueued: 0 });
    expect((await t.http.get('/v1/assets/source/s')).body).toMatchObject({ lifecycle: 'deprecated', revision: 2 });
  });

  it('BAD_USER_INPUT names each field under input., from the zod schema and from the service; nothing written', async () => {
    const shape = await gql(t, deprecate, { ref: 'feature:solo', input: { reason: '  ', sunsetAt: '31/12/2099', replacedBy: 'table:x' } });
    expect(onlyError(shape).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(shape)).toEqual(['input.reason', 'input.replacedBy', 'input.sunsetAt']);

    const rules = await gql(t, deprecate, { ref: 'feature:solo', input: { reason: 'old', replacedBy: 'feature:missing', sunsetAt: day(-2) } });
    expect(onlyError(rules).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(rules)).toEqual(['input.replacedBy', 'input.sunsetAt']);
    expect(onlyError(rules).message).toContain('feature:missing does not exist');

    const self = await gql(t, deprecate, { ref: 'feature:solo', input: { reason: 'old', replacedBy: 'feature:solo' } });
    expect(fields(self)).toEqual(['input.replacedBy']);

    const badRef = await gql(t, deprecate, { ref: 'feature', input: { reason: 'old' } });
    expect(fields(badRef)).toEqual(['ref']);
    expect((await t.http.get('/v1/assets/feature/solo')).body).toMatchObject({ lifecycle: 'production', revision: 1 });
  });

  it('NOT_FOUND for an unknown asset', async () => {
    const res = await gql(t, deprecate, { ref: 'model:ghost', input: { reason: 'x' } });
    expect(res.data).toBeNull();
    expect(onlyError(res)).toMatchObject({ message: 'model:ghost does not exist', extensions: { code: 'NOT_FOUND' } });
  });

  it('after the sunset, a new dependency on the asset is refused with CONFLICT naming the replacement', async () => {
    await register(t, [{ ref: 'source:old' }, { ref: 'source:new' }]);
    const tomorrow = day(1);
    const res = await gql(t, deprecate, { ref: 'source:old', input: { reason: 'old', replacedBy: 'source:new', sunsetAt: tomorrow } });
    expect(res.errors).toBeUndefined();
    // Three days on, the sunset has passed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3 * 86_400_000);
    const refused = await gql(t, `mutation { upsertAsset(ref: "feature:too_late", input: { owner: "ml", dependsOn: [{ ref: "source:old" }] }) { status } }`);
    expect(refused.data).toBeNull();
    const error = onlyError(refused);
    expect(error.extensions!.code).toBe('CONFLICT');
    expect(error.message).toContain('source:new');
    expect(error.extensions!.details.refused).toEqual([
      expect.objectContaining({ dependency: 'source:old', sunsetAt: tomorrow, replacedBy: 'source:new' }),
    ]);
    expect((await t.http.get('/v1/assets/feature/too_late')).status).toBe(404);
  });
});

describe('reinstateAsset', () => {
  it('clears the deprecation with the lifecycle given; CONFLICT once it is not deprecated', async () => {
    await register(t, [{ ref: 'feature:phoenix' }]);
    await gql(t, deprecate, { ref: 'feature:phoenix', input: { reason: 'unused' } });
    const back = await gql(t, reinstate, { ref: 'feature:phoenix', lifecycle: 'experimental', reason: 'still needed' }, { 'x-actor': 'bob' });
    expect(back.errors).toBeUndefined();
    expect(back.data.reinstateAsset).toEqual({ ref: 'feature:phoenix', lifecycle: 'experimental', revision: 3, deprecation: null });

    const again = await gql(t, reinstate, { ref: 'feature:phoenix' });
    expect(again.data).toBeNull();
    expect(onlyError(again)).toMatchObject({ message: 'feature:phoenix is not deprecated', extensions: { code: 'CONFLICT' } });
    expect((await t.http.get('/v1/assets/feature/phoenix')).body).toMatchObject({ lifecycle: 'experimental', revision: 3 });
  });

  it('BAD_USER_INPUT for a lifecycle other than experimental or production, naming it; NOT_FOUND for an unknown asset', async () => {
    await register(t, [{ ref: 'feature:stays' }]);
    await gql(t, deprecate, { ref: 'feature:stays', input: { reason: 'unused' } });
    const bad = await gql(t, reinstate, { ref: 'feature:stays', lifecycle: 'retired', reason: '' });
    expect(onlyError(bad).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(bad)).toEqual(['lifecycle', 'reason']);
    expect((await t.http.get('/v1/assets/feature/stays')).body.lifecycle).toBe('deprecated');

    const missing = await gql(t, reinstate, { ref: 'feature:ghost' });
    expect(onlyError(missing).extensions!.code).toBe('NOT_FOUND');
  });
});

describe('history', () => {
  it('lists create, update, deprecate, reinstate newest first, with actor, revision, JSON before/after and reason', async () => {
    await register(t, [{ ref: 'model:hist', tags: ['a'] }]);
    await t.http.put('/v1/assets/model/hist').set('x-actor', 'carol').send({ owner: 'ranking', tags: ['a', 'b'], metadata: { n: 1 } });
    await gql(t, deprecate, { ref: 'model:hist', input: { reason: 'replaced' } }, { 'x-actor': 'dave' });
    await gql(t, reinstate, { ref: 'model:hist' }, { 'x-actor': 'erin' });

    const res = await gql(t, `{ asset(ref: "model:hist") { history { items { action actor onBehalfOf revision reason changes { field before after } } pageInfo { hasNextPage } } } }`);
    expect(res.errors).toBeUndefined();
    const { items, pageInfo } = res.data.asset.history;
    // The actor is the token's name; X-Actor is only whom it said it acted for.
    type Item = { action: string; actor: string; onBehalfOf: string | null; revision: number };
    expect(items.map((i: Item) => [i.action, i.actor, i.onBehalfOf, i.revision])).toEqual([
      ['reinstate', 'admin', 'erin', 4],
      ['deprecate', 'admin', 'dave', 3],
      ['update', 'admin', 'carol', 2],
      ['create', 'admin', null, 1],
    ]);
    expect(pageInfo.hasNextPage).toBe(false);
    const update = items[2];
    expect(update.changes).toEqual(
      expect.arrayContaining([
        { field: 'owner', before: 'team-model', after: 'ranking' },
        { field: 'tags', before: ['a'], after: ['a', 'b'] },
        { field: 'metadata', before: {}, after: { n: 1 } },
      ]),
    );
    expect(items[1]).toMatchObject({ reason: 'replaced' });
    expect(items[1].changes).toEqual(
      expect.arrayContaining([
        { field: 'lifecycle', before: 'production', after: 'deprecated' },
        { field: 'deprecation', before: null, after: expect.objectContaining({ reason: 'replaced', replacedBy: null }) },
      ]),
    );
  });

  it('pages with first and after, without repeats, as REST does', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse = await gql(t, history, { ref: 'model:hist', first: 3, after });
      expect(page.errors).toBeUndefined();
      seen.push(...page.data.history.items.map((i: { revision: number }) => i.revision));
      after = page.data.history.pageInfo.hasNextPage ? page.data.history.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([4, 3, 2, 1]);
  });

  it('Query.history reads a deleted asset; NOT_FOUND only for a ref that never existed', async () => {
    await register(t, [{ ref: 'source:gone' }]);
    const deleted = await gql(t, `mutation { deleteAsset(ref: "source:gone") { deleted } }`, undefined, { 'x-actor': 'frank' });
    expect(deleted.data.deleteAsset.deleted).toBe(true);
    const res = await gql(t, history, { ref: 'source:gone' });
    expect(res.errors).toBeUndefined();
    type Item = { action: string; actor: string; onBehalfOf: string | null };
    expect(res.data.history.items.map((i: Item) => [i.action, i.actor, i.onBehalfOf])).toEqual([
      ['delete', 'admin', 'frank'],
      ['create', 'admin', null],
    ]);

    const never = await gql(t, history, { ref: 'source:never' });
    expect(never.data).toBeNull();
    expect(onlyError(never)).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('a bad first or after is BAD_USER_INPUT naming each', async () => {
    const res = await gql(t, history, { ref: 'model:hist', first: 0, after: 'nope' });
    expect(onlyError(res).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(res)).toEqual(['after', 'first']);
    const onAsset = await gql(t, `{ asset(ref: "model:hist") { history(first: 1001) { items { action } } } }`);
    expect(fields(onAsset)).toEqual(['first']);
  });
});

describe('notifications', () => {
  const notifications = `query ($filter: NotificationFilter, $first: Int, $after: String) {
    notifications(filter: $filter, first: $first, after: $after) {
      items { id event asset consumer url state attempts createdAt }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  it('lists the notices a deprecation queued, filtered by asset or consumer', async () => {
    const res = await gql(t, notifications, { filter: { asset: 'source:s' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.notifications.items).toEqual([
      expect.objectContaining({ event: 'asset.deprecated', asset: 'source:s', consumer: 'consumer:c', url: hook }),
    ]);
    expect(['pending', 'delivered', 'failing']).toContain(res.data.notifications.items[0].state);
    const byConsumer = await gql(t, notifications, { filter: { consumer: 'consumer:c' } });
    expect(byConsumer.data.notifications.items.map((n: { asset: string }) => n.asset)).toContain('source:s');
    const none = await gql(t, notifications, { filter: { asset: 'feature:solo' } });
    expect(none.data.notifications).toEqual({ items: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('a malformed filter or cursor is BAD_USER_INPUT naming it', async () => {
    const res = await gql(t, notifications, { filter: { asset: 'source' }, after: 'x' });
    expect(onlyError(res).extensions!.code).toBe('BAD_USER_INPUT');
    expect(fields(res)).toEqual(['after', 'filter.asset']);
  });
});
