import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN_TOKEN, type TestApp } from './helpers/test-app.js';
import type { RuleName } from '../src/domain/policy.js';

/**
 * Who may change what, on every write path of both APIs (issue 13). Every route of the
 * app and every mutation of the schema must have an entry below, so a new write path
 * without a rule fails here; each entry runs against every principal, and a refused
 * request must have stored nothing.
 */

const PRINCIPALS = ['none', 'bad', 'revoked', 'expired', 'other-team', 'own-team', 'consumer', 'admin'] as const;
type PrincipalName = (typeof PRINCIPALS)[number];

/** The rules a 403 may name, but the one a missing token gets (a 401). */
type Rule = Exclude<RuleName, 'token-required'>;

/** A success status (2xx), 401, or the rule a 403 must name. */
type Outcome = number | Rule;

/** What each principal with a valid token must get; without one (none, bad, revoked, expired) it is a 401 unless said. */
type Expectations = Record<'other-team' | 'own-team' | 'consumer' | 'admin', Outcome> & Partial<Record<PrincipalName, Outcome>>;

const UNAUTHENTICATED: Record<'none' | 'bad' | 'revoked' | 'expired', Outcome> = { none: 401, bad: 401, revoked: 401, expired: 401 };

const OWN = 'ads';
const OTHER = 'risk';
const CONSUMER = 'bidder';

let t: TestApp;
let db: pg.Client;
const secrets: Partial<Record<PrincipalName, string>> = {};

const sql = async <R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> =>
  (await db.query<R>(text, values)).rows;

type Method = 'get' | 'put' | 'post' | 'delete';

/** A request as `principal`: its token (or none) and nothing else. */
function as(principal: PrincipalName, method: Method, url: string) {
  const request = t.anon[method](url);
  const secret = secrets[principal];
  return secret === undefined ? request : request.set('authorization', `Bearer ${secret}`);
}

/** An admin's request, for fixtures and for looking at what is stored. */
const admin = (method: Method, url: string) => t.http[method](url);

async function adminOk(res: Promise<Response> | Response, label: string): Promise<Response> {
  const done = await res;
  if (done.status >= 300) throw new Error(`fixture ${label}: ${done.status} ${JSON.stringify(done.body)}`);
  return done;
}

/** An asset owned by `owner`, made by the admin; its ref. */
async function asset(ref: string, owner = OWN, extra: Record<string, unknown> = {}): Promise<string> {
  const [kind, name] = ref.split(':');
  await adminOk(admin('put', `/v1/assets/${kind}/${name}`).send({ owner, ...extra }), ref);
  return ref;
}

const path = (ref: string) => `/v1/assets/${ref.replace(':', '/')}`;

/** What an asset looks like as stored: its revision, lifecycle and dependencies, or that it is not there. */
async function assetState(ref: string): Promise<unknown> {
  const res = await admin('get', path(ref));
  if (res.status === 404) return 'absent';
  const { revision, lifecycle, owner, description, dependsOn } = res.body;
  return { revision, lifecycle, owner, description, dependsOn };
}

/** A given_up notice about `ref` to the consumer, as the outbox holds one after its last failed attempt. */
async function givenUpNotice(ref: string): Promise<number> {
  const [row] = await sql<{ id: string }>(
    `INSERT INTO notification_outbox (event, asset, consumer, url, payload, state, attempts, next_attempt_at)
     VALUES ('asset.deprecated', $1, $2, 'http://127.0.0.1:9/hook', '{}', 'given_up', 8, NULL) RETURNING id::text AS id`,
    [ref, `consumer:${CONSUMER}`],
  );
  return Number(row.id);
}

const noticeState = async (id: number) =>
  (await sql<{ state: string; attempts: number }>('SELECT state, attempts FROM notification_outbox WHERE id = $1', [id]))[0];

const usageOf = async (ref: string) => {
  const [kind, name] = ref.split(':');
  return sql('SELECT identity, count::int AS count FROM usage_reads u JOIN assets a ON a.id = u.asset_id WHERE a.kind = $1 AND a.name = $2 ORDER BY identity', [kind, name]);
};

const consumerTokens = async () =>
  sql(`SELECT t.id, t.revoked_at FROM tokens t JOIN assets a ON a.id = t.consumer_id WHERE a.kind = 'consumer' AND a.name = $1 ORDER BY t.id`, [CONSUMER]);

// ---------------------------------------------------------------------------------------
// The operation table: every write path, how to build a request for a principal, and what
// each principal must get. `cell` is unique to one (operation, principal): a fresh target.

interface Case<Ctx> {
  title: string;
  expect: Expectations;
  prepare(cell: string): Promise<Ctx>;
  /** What the write would change, read back: equal after a refusal, different after a success. */
  stored(ctx: Ctx): Promise<unknown>;
  /** Runs after the admin's cell (the last one), to undo what would disturb later cases. */
  cleanup?(ctx: Ctx): Promise<void>;
}

interface RestCase<Ctx> extends Case<Ctx> {
  send(principal: PrincipalName, ctx: Ctx): Promise<Response>;
  /** More to check on a success. */
  check?(res: Response, principal: PrincipalName, ctx: Ctx): void;
}

interface MutationCase<Ctx> extends Case<Ctx> {
  operation(ctx: Ctx, principal: PrincipalName): { query: string; variables?: Record<string, unknown> };
}

const rest = <Ctx>(c: RestCase<Ctx>) => c as RestCase<unknown>;
const mutation = <Ctx>(c: MutationCase<Ctx>) => c as MutationCase<unknown>;

const assetWrite: Pick<Expectations, 'other-team' | 'consumer'> = { 'other-team': 'team-owns-asset', consumer: 'consumer-writes-itself' };

const REST: Record<string, RestCase<unknown>[]> = {
  'PUT /v1/assets/:kind/:name': [
    rest({
      title: "updates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:put-${cell}`),
      send: (p, ref) => as(p, 'put', path(ref)).send({ owner: OWN, description: `by ${p}` }),
      stored: assetState,
    }),
    rest({
      title: 'creates an asset for its team',
      expect: { 'other-team': 'team-creates-own', 'own-team': 201, consumer: 'consumer-writes-itself', admin: 201 },
      prepare: async (cell) => `feature:new-${cell}`,
      send: (p, ref) => as(p, 'put', path(ref)).send({ owner: OWN }),
      stored: assetState,
    }),
    rest({
      title: 'moves an asset to another owner',
      expect: { ...assetWrite, 'own-team': 'owner-change-needs-admin', admin: 200 },
      prepare: (cell) => asset(`feature:move-${cell}`),
      send: (p, ref) => as(p, 'put', path(ref)).send({ owner: OTHER }),
      stored: assetState,
    }),
    rest({
      title: 'a consumer declares what it reads (its own asset)',
      expect: { 'other-team': 'team-owns-asset', 'own-team': 200, consumer: 200, admin: 200 },
      prepare: async () => `consumer:${CONSUMER}`,
      send: (p, ref) =>
        as(p, 'put', path(ref)).send({ owner: OWN, contact: 'bidder@example.com', description: `by ${p}`, dependsOn: ['source:shared'] }),
      stored: assetState,
    }),
    rest({
      title: 'a consumer moves its own asset to another owner',
      expect: { 'other-team': 'team-owns-asset', 'own-team': 'owner-change-needs-admin', consumer: 'consumer-writes-itself', admin: 200 },
      prepare: async () => `consumer:${CONSUMER}`,
      send: (p, ref) => as(p, 'put', path(ref)).send({ owner: OTHER, contact: 'bidder@example.com' }),
      stored: assetState,
      cleanup: async () => {
        await asset(`consumer:${CONSUMER}`, OWN, { contact: 'bidder@example.com' });
      },
    }),
  ],
  'DELETE /v1/assets/:kind/:name': [
    rest({
      title: "deletes its team's asset",
      expect: { ...assetWrite, 'own-team': 204, admin: 204 },
      prepare: (cell) => asset(`feature:del-${cell}`),
      send: (p, ref) => as(p, 'delete', path(ref)),
      stored: assetState,
    }),
    rest({
      title: 'forces the deletion of an asset another team depends on',
      expect: { 'other-team': 'admin-only', 'own-team': 204, consumer: 'consumer-writes-itself', admin: 204 },
      prepare: async (cell) => {
        const ref = await asset(`feature:force-${cell}`);
        const dependent = await asset(`model:force-${cell}`, OTHER, { dependsOn: [ref] });
        return { ref, dependent };
      },
      send: (p, { ref }) => as(p, 'delete', path(ref)).query({ force: 'true', reason: 'matrix' }),
      stored: async ({ ref, dependent }) => [await assetState(ref), await assetState(dependent)],
    }),
  ],
  'POST /v1/batch': [
    rest({
      title: "replaces its team's asset in a batch",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:batch-${cell}`),
      send: (p, ref) => as(p, 'post', '/v1/batch').send({ assets: [{ ref, owner: OWN, description: `by ${p}` }] }),
      stored: assetState,
    }),
    rest({
      title: "its team's asset and another team's: all or nothing",
      expect: { ...assetWrite, 'own-team': 'team-owns-asset', admin: 200 },
      prepare: async (cell) => [await asset(`feature:mixed-own-${cell}`), await asset(`feature:mixed-other-${cell}`, OTHER)],
      send: (p, refs) =>
        as(p, 'post', '/v1/batch').send({ assets: refs.map((ref, i) => ({ ref, owner: i === 0 ? OWN : OTHER, description: `by ${p}` })) }),
      check: (res) => expect(res.body.items).toHaveLength(2),
      stored: async (refs) => Promise.all(refs.map(assetState)),
    }),
  ],
  'POST /v1/import': [
    rest({
      title: "replaces its team's asset in an import",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:import-${cell}`),
      send: (p, ref) =>
        as(p, 'post', '/v1/import')
          .set('content-type', 'application/x-ndjson')
          .send(`${JSON.stringify({ ref, owner: OWN, description: `by ${p}` })}\n`),
      stored: assetState,
    }),
    rest({
      // The app imports one line per chunk (DEPCAT_IMPORT_CHUNK=1): the first is stored before the second is judged.
      title: "its team's asset, then another team's: all or nothing",
      expect: { ...assetWrite, 'own-team': 'team-owns-asset', admin: 200 },
      prepare: async (cell) => [await asset(`feature:import-own-${cell}`), await asset(`feature:import-other-${cell}`, OTHER)],
      send: (p, refs) =>
        as(p, 'post', '/v1/import')
          .set('content-type', 'application/x-ndjson')
          .send(refs.map((ref, i) => `${JSON.stringify({ ref, owner: i === 0 ? OWN : OTHER, description: `by ${p}` })}\n`).join('')),
      stored: async (refs) => Promise.all(refs.map(assetState)),
    }),
  ],
  'POST /v1/assets/:kind/:name/deprecate': [
    rest({
      title: "deprecates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:deprecate-${cell}`),
      send: (p, ref) => as(p, 'post', `${path(ref)}/deprecate`).send({ reason: 'matrix' }),
      stored: assetState,
    }),
  ],
  'POST /v1/assets/:kind/:name/reinstate': [
    rest({
      title: "reinstates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => {
        const ref = await asset(`feature:reinstate-${cell}`);
        await adminOk(admin('post', `${path(ref)}/deprecate`).send({ reason: 'matrix' }), ref);
        return ref;
      },
      send: (p, ref) => as(p, 'post', `${path(ref)}/reinstate`).send({ reason: 'matrix' }),
      stored: assetState,
    }),
  ],
  'POST /v1/notifications/retry': [
    rest({
      title: "retries the given_up notices about its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:retry-all-${cell}`)),
      send: async (p, id) => {
        const [{ asset: ref }] = await sql<{ asset: string }>('SELECT asset FROM notification_outbox WHERE id = $1', [id]);
        return as(p, 'post', '/v1/notifications/retry').query({ asset: ref });
      },
      check: (res, _p, id) => expect(res.body.items.map((n: { id: number }) => n.id)).toEqual([id]),
      stored: noticeState,
    }),
    rest({
      title: 'retries every given_up notice (no filter)',
      expect: { 'other-team': 'admin-only', 'own-team': 'admin-only', consumer: 'admin-only', admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:retry-every-${cell}`)),
      send: (p) => as(p, 'post', '/v1/notifications/retry'),
      stored: noticeState,
    }),
    rest({
      title: "retries the given_up notices to its team's consumer, named by its name",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:retry-to-${cell}`, OTHER)),
      send: (p) => as(p, 'post', '/v1/notifications/retry').query({ consumer: CONSUMER }),
      stored: noticeState,
    }),
  ],
  'POST /v1/notifications/:id/retry': [
    rest({
      title: "retries a given_up notice about its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:retry-one-${cell}`)),
      send: (p, id) => as(p, 'post', `/v1/notifications/${id}/retry`),
      stored: noticeState,
    }),
  ],
  'POST /v1/usage': [
    rest({
      title: "reports the consumer's own reads",
      expect: { 'other-team': 200, 'own-team': 200, consumer: 200, admin: 200 },
      prepare: (cell) => asset(`feature:usage-own-${cell}`),
      send: (p, ref) => as(p, 'post', '/v1/usage').send({ events: [{ consumer: CONSUMER, asset: ref }] }),
      stored: usageOf,
    }),
    rest({
      title: "reports someone else's reads",
      expect: { 'other-team': 200, 'own-team': 200, consumer: 'consumer-reports-itself', admin: 200 },
      prepare: (cell) => asset(`feature:usage-other-${cell}`),
      send: (p, ref) => as(p, 'post', '/v1/usage').send({ events: [{ consumer: 'someone-else', asset: ref }] }),
      stored: usageOf,
    }),
  ],
  'POST /v1/access-check': [
    rest({
      title: 'checks access (a consumer token as itself, whatever the body names)',
      // A read under DEPCAT_READ_ACCESS=open: no token is fine, a token that fails is not.
      expect: { none: 200, 'other-team': 200, 'own-team': 200, consumer: 200, admin: 200 },
      prepare: (cell) => asset(`feature:access-${cell}`),
      send: (p, ref) => as(p, 'post', '/v1/access-check').send({ asset: ref, consumer: 'someone-else' }),
      check: (res, p) => expect(res.body.consumer).toBe(p === 'consumer' ? CONSUMER : 'someone-else'),
      // The read it records, once the read buffer is flushed (which listing undeclared readers does).
      stored: async (ref) => (await admin('get', '/v1/undeclared-consumers').query({ asset: ref })).body.items,
    }),
  ],
  'POST /v1/assets/consumer/:name/keys': [
    rest({
      title: "issues a key for its team's consumer",
      expect: { ...assetWrite, 'own-team': 201, admin: 201 },
      prepare: async () => null,
      send: (p) => as(p, 'post', `/v1/assets/consumer/${CONSUMER}/keys`),
      stored: consumerTokens,
    }),
  ],
  'DELETE /v1/assets/consumer/:name/keys/:id': [
    rest({
      title: "revokes a key of its team's consumer",
      expect: { ...assetWrite, 'own-team': 204, admin: 204 },
      prepare: async () => (await adminOk(admin('post', `/v1/assets/consumer/${CONSUMER}/keys`), 'key')).body.id as number,
      send: (p, id) => as(p, 'delete', `/v1/assets/consumer/${CONSUMER}/keys/${id}`),
      stored: consumerTokens,
    }),
  ],
  'POST /v1/tokens': [
    rest({
      title: 'issues a token',
      expect: { 'other-team': 'scope', 'own-team': 'scope', consumer: 'scope', admin: 201 },
      prepare: async (cell) => `issued-${cell}`,
      send: (p, name) => as(p, 'post', '/v1/tokens').send({ name, team: OWN, scopes: ['read'] }),
      stored: async (name) => sql('SELECT id FROM tokens WHERE name = $1', [name]),
    }),
  ],
  'DELETE /v1/tokens/:id': [
    rest({
      title: 'revokes a token',
      expect: { 'other-team': 'scope', 'own-team': 'scope', consumer: 'scope', admin: 204 },
      prepare: async (cell) =>
        (await adminOk(admin('post', '/v1/tokens').send({ name: `victim-${cell}`, team: OWN, scopes: ['read'] }), 'token')).body.id as number,
      send: (p, id) => as(p, 'delete', `/v1/tokens/${id}`),
      stored: async (id) => sql('SELECT revoked_at FROM tokens WHERE id = $1', [id]),
    }),
  ],
  'POST /v1/assets/consumer/:name/webhook-secret': [
    rest({
      title: "rotates its team's consumer's webhook secret",
      expect: { ...assetWrite, 'own-team': 201, admin: 201 },
      prepare: async () => null,
      send: (p) => as(p, 'post', `/v1/assets/consumer/${CONSUMER}/webhook-secret`),
      stored: async () =>
        sql(`SELECT w.secret FROM webhook_secrets w JOIN assets a ON a.id = w.consumer_id WHERE a.kind = 'consumer' AND a.name = $1`, [CONSUMER]),
    }),
  ],
};

/** Routes whose writes are the GraphQL mutations below. */
const GRAPHQL_ROUTES = ['POST /graphql'];

const GRAPHQL: Record<string, MutationCase<unknown>[]> = {
  upsertAsset: [
    mutation({
      title: "updates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:gql-put-${cell}`),
      operation: (ref, p) => ({
        query: 'mutation($ref: String!, $input: AssetInput!) { upsertAsset(ref: $ref, input: $input) { status } }',
        variables: { ref, input: { owner: OWN, description: `by ${p}` } },
      }),
      stored: assetState,
    }),
    mutation({
      title: 'creates an asset for its team',
      expect: { 'other-team': 'team-creates-own', 'own-team': 200, consumer: 'consumer-writes-itself', admin: 200 },
      prepare: async (cell) => `feature:gql-new-${cell}`,
      operation: (ref) => ({
        query: 'mutation($ref: String!, $input: AssetInput!) { upsertAsset(ref: $ref, input: $input) { status } }',
        variables: { ref, input: { owner: OWN } },
      }),
      stored: assetState,
    }),
  ],
  upsertAssets: [
    mutation({
      title: "replaces its team's asset in a batch",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:gql-batch-${cell}`),
      operation: (ref, p) => ({
        query: 'mutation($assets: [BatchAssetInput!]!) { upsertAssets(assets: $assets) { counts { updated } } }',
        variables: { assets: [{ ref, owner: OWN, description: `by ${p}` }] },
      }),
      stored: assetState,
    }),
  ],
  deleteAsset: [
    mutation({
      title: "deletes its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:gql-del-${cell}`),
      operation: (ref) => ({ query: 'mutation($ref: String!) { deleteAsset(ref: $ref) { deleted } }', variables: { ref } }),
      stored: assetState,
    }),
    mutation({
      title: 'forces the deletion of an asset another team depends on',
      expect: { 'other-team': 'admin-only', 'own-team': 200, consumer: 'consumer-writes-itself', admin: 200 },
      prepare: async (cell) => {
        const ref = await asset(`feature:gql-force-${cell}`);
        const dependent = await asset(`model:gql-force-${cell}`, OTHER, { dependsOn: [ref] });
        return { ref, dependent };
      },
      operation: ({ ref }) => ({
        query: 'mutation($ref: String!) { deleteAsset(ref: $ref, force: true, reason: "matrix") { deleted } }',
        variables: { ref },
      }),
      stored: async ({ ref, dependent }) => [await assetState(ref), await assetState(dependent)],
    }),
  ],
  deprecateAsset: [
    mutation({
      title: "deprecates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: (cell) => asset(`feature:gql-deprecate-${cell}`),
      operation: (ref) => ({
        query: 'mutation($ref: String!) { deprecateAsset(ref: $ref, input: { reason: "matrix" }) { notificationsQueued } }',
        variables: { ref },
      }),
      stored: assetState,
    }),
  ],
  reinstateAsset: [
    mutation({
      title: "reinstates its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => {
        const ref = await asset(`feature:gql-reinstate-${cell}`);
        await adminOk(admin('post', `${path(ref)}/deprecate`).send({ reason: 'matrix' }), ref);
        return ref;
      },
      operation: (ref) => ({ query: 'mutation($ref: String!) { reinstateAsset(ref: $ref) { lifecycle } }', variables: { ref } }),
      stored: assetState,
    }),
  ],
  recordUsage: [
    mutation({
      title: "reports the consumer's own reads",
      expect: { 'other-team': 200, 'own-team': 200, consumer: 200, admin: 200 },
      prepare: (cell) => asset(`feature:gql-usage-own-${cell}`),
      operation: (ref) => ({
        query: 'mutation($events: [UsageEventInput!]!) { recordUsage(events: $events) { events } }',
        variables: { events: [{ consumer: CONSUMER, asset: ref }] },
      }),
      stored: usageOf,
    }),
    mutation({
      title: "reports someone else's reads",
      expect: { 'other-team': 200, 'own-team': 200, consumer: 'consumer-reports-itself', admin: 200 },
      prepare: (cell) => asset(`feature:gql-usage-other-${cell}`),
      operation: (ref) => ({
        query: 'mutation($events: [UsageEventInput!]!) { recordUsage(events: $events) { events } }',
        variables: { events: [{ consumer: 'someone-else', asset: ref }] },
      }),
      stored: usageOf,
    }),
  ],
  retryNotification: [
    mutation({
      title: "retries a given_up notice about its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:gql-retry-one-${cell}`)),
      operation: (id) => ({ query: 'mutation($id: Int!) { retryNotification(id: $id) { state } }', variables: { id } }),
      stored: noticeState,
    }),
  ],
  retryNotifications: [
    mutation({
      title: "retries the given_up notices about its team's asset",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => {
        const ref = await asset(`feature:gql-retry-all-${cell}`);
        return { ref, id: await givenUpNotice(ref) };
      },
      operation: ({ ref }) => ({
        query: 'mutation($asset: String!) { retryNotifications(filter: { asset: $asset }) { items { id } } }',
        variables: { asset: ref },
      }),
      stored: ({ id }) => noticeState(id),
    }),
    mutation({
      title: 'retries every given_up notice (no filter)',
      expect: { 'other-team': 'admin-only', 'own-team': 'admin-only', consumer: 'admin-only', admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:gql-retry-every-${cell}`)),
      operation: () => ({ query: 'mutation { retryNotifications { remaining } }' }),
      stored: noticeState,
    }),
    mutation({
      title: "retries the given_up notices to its team's consumer, named by its name",
      expect: { ...assetWrite, 'own-team': 200, admin: 200 },
      prepare: async (cell) => givenUpNotice(await asset(`feature:gql-retry-to-${cell}`, OTHER)),
      operation: () => ({
        query: 'mutation($consumer: String!) { retryNotifications(filter: { consumer: $consumer }) { remaining } }',
        variables: { consumer: CONSUMER },
      }),
      stored: noticeState,
    }),
  ],
};

/** The outcome as the matrix names it: a 2xx, 401, a 403's rule, or anything else spelled out. */
function restOutcome(res: Response): string {
  if (res.status === 403 && res.body?.error?.code === 'FORBIDDEN') return String(res.body.error.details?.rule);
  if (res.status === 401) {
    if (res.body?.error?.code !== 'UNAUTHORIZED') return `401 with ${JSON.stringify(res.body)}`;
    if (res.headers['www-authenticate'] !== 'Bearer realm="depcat"') return '401 without WWW-Authenticate';
    return '401';
  }
  if (res.status >= 200 && res.status < 300) return String(res.status);
  return `${res.status} ${JSON.stringify(res.body?.error ?? res.body)}`;
}

/** A GraphQL answer as the matrix names it: 200 for data without errors, 401 for UNAUTHENTICATED, a FORBIDDEN's rule. */
function graphqlOutcome(res: Response): string {
  const error = res.body?.errors?.[0];
  if (!error) return res.status === 200 && res.body?.data ? '200' : `${res.status} ${JSON.stringify(res.body)}`;
  if (error.extensions?.code === 'UNAUTHENTICATED') {
    // Refused by authentication, before yoga: a 401 as REST's, in GraphQL's shape.
    if (res.status === 401 && res.headers['www-authenticate'] !== 'Bearer realm="depcat"') return '401 without WWW-Authenticate';
    return '401';
  }
  if (error.extensions?.code === 'FORBIDDEN') return String(error.extensions.details?.rule);
  return `${res.status} ${JSON.stringify(error)}`;
}

const wanted = (expect: Expectations, principal: PrincipalName): string =>
  String({ ...UNAUTHENTICATED, ...expect }[principal]);

const isSuccess = (outcome: string) => /^2\d\d$/.test(outcome);

const counted = { rest: 0, graphql: 0 };
let caseNumber = 0;

/** Runs one case against every principal; answers what went other than expected. */
async function runCase<Ctx>(
  label: string,
  c: Case<Ctx>,
  send: (principal: PrincipalName, ctx: Ctx) => Promise<{ outcome: string; res: Response }>,
  check?: (res: Response, principal: PrincipalName, ctx: Ctx) => void,
): Promise<string[]> {
  const mismatches: string[] = [];
  const slug = `c${++caseNumber}`;
  let ctx: Ctx | undefined;
  for (const principal of PRINCIPALS) {
    const cell = `${slug}-${principal}`;
    ctx = await c.prepare(cell);
    const before = await c.stored(ctx);
    const { outcome, res } = await send(principal, ctx);
    const after = await c.stored(ctx);
    const want = wanted(c.expect, principal);
    const at = `${label} as ${principal}`;
    if (outcome !== want) mismatches.push(`${at}: expected ${want}, got ${outcome}`);
    else if (isSuccess(outcome)) {
      // The snapshot must see the write, or a refusal's "nothing stored" would prove nothing.
      if (JSON.stringify(after) === JSON.stringify(before)) mismatches.push(`${at}: succeeded but stored nothing visible`);
      try {
        check?.(res, principal, ctx);
      } catch (error) {
        mismatches.push(`${at}: ${(error as Error).message}`);
      }
    } else if (JSON.stringify(after) !== JSON.stringify(before))
      mismatches.push(`${at}: refused (${outcome}) but stored ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  }
  if (ctx !== undefined) await c.cleanup?.(ctx);
  return mismatches;
}

/** Write routes: every method but the reading ones, every access but public. */
const isWrite = (route: { method: string; access: string | undefined }) =>
  !['GET', 'HEAD', 'OPTIONS'].includes(route.method) && route.access !== 'public';

describe('the authorization matrix', () => {
  beforeAll(async () => {
    // The matrix fails authentication on purpose, hundreds of times, from one address.
    t = await startTestApp({ DEPCAT_AUTH_FAILURE_LIMIT: '100000', DEPCAT_IMPORT_CHUNK: '1' });
    // Notices put back to pending stay there: nothing here is about their delivery.
    await t.container.outboxWorker.stop();
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();

    await asset('source:shared', OTHER);
    await asset(`consumer:${CONSUMER}`, OWN, { contact: 'bidder@example.com' });
    const token = async (body: Record<string, unknown>) =>
      (await adminOk(admin('post', '/v1/tokens').send(body), String(body.name))).body as { id: number; secret: string };
    const writes = ['read', 'write', 'ingest'];
    secrets['own-team'] = (await token({ name: 'ads-ci', team: OWN, scopes: writes })).secret;
    secrets['other-team'] = (await token({ name: 'risk-ci', team: OTHER, scopes: writes })).secret;
    secrets.consumer = (await token({ name: 'bidder-service', consumer: CONSUMER, scopes: writes })).secret;
    secrets.admin = (await token({ name: 'matrix-admin', scopes: [...writes, 'admin'] })).secret;
    const revoked = await token({ name: 'ads-revoked', team: OWN, scopes: writes });
    await adminOk(admin('delete', `/v1/tokens/${revoked.id}`), 'revoke');
    secrets.revoked = revoked.secret;
    const expired = await token({ name: 'ads-expired', team: OWN, scopes: writes });
    await sql(`UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    secrets.expired = expired.secret;
    secrets.bad = `dct_${randomBytes(32).toString('base64url')}`;
  });

  afterAll(async () => {
    await db?.end();
    await t?.close();
    const rest = counted.rest / PRINCIPALS.length;
    const graphql = counted.graphql / PRINCIPALS.length;
    const n = PRINCIPALS.length;
    console.log(
      `authorization matrix: ${rest} REST writes (${Object.keys(REST).length} routes) × ${n} principals + ` +
        `${graphql} GraphQL writes (${Object.keys(GRAPHQL).length} mutations) × ${n} = ${counted.rest + counted.graphql} requests`,
    );
  });

  it('has an entry for every write route of the app and every mutation of the schema', async () => {
    const routes = t.app.declaredAccess();
    const writes = [...new Set(routes.filter(isWrite).map((r) => `${r.method} ${r.url}`))].sort();
    const table = [...Object.keys(REST), ...GRAPHQL_ROUTES].sort();
    expect(
      writes.filter((route) => !table.includes(route)),
      'write routes without an entry in the matrix (add one, with the rule that judges it)',
    ).toEqual([]);
    expect(table.filter((route) => !writes.includes(route)), 'matrix entries for routes that no longer exist').toEqual([]);

    const introspection = await admin('post', '/graphql').send({ query: '{ __schema { mutationType { fields { name } } } }' }).expect(200);
    const mutations: string[] = introspection.body.data.__schema.mutationType.fields.map((f: { name: string }) => f.name).sort();
    expect(mutations.length).toBeGreaterThan(0);
    expect(
      mutations.filter((m) => !(m in GRAPHQL)),
      'mutations without an entry in the matrix',
    ).toEqual([]);
    expect(Object.keys(GRAPHQL).filter((m) => !mutations.includes(m)), 'matrix entries for mutations that no longer exist').toEqual([]);
  });

  it('judges every REST write for every principal, and a refusal stores nothing', async () => {
    const mismatches: string[] = [];
    for (const [route, cases] of Object.entries(REST))
      for (const c of cases) {
        mismatches.push(
          ...(await runCase(
            `${route} (${c.title})`,
            c,
            async (p, ctx) => {
              const res = await c.send(p, ctx);
              return { outcome: restOutcome(res), res };
            },
            (res, p, ctx) => c.check?.(res, p, ctx),
          )),
        );
        counted.rest += PRINCIPALS.length;
      }
    expect(mismatches).toEqual([]);
  });

  it('refuses a token without the scope a write needs, naming the scope', async () => {
    const readOnly = (await adminOk(admin('post', '/v1/tokens').send({ name: 'ads-read-only', team: OWN, scopes: ['read'] }), 'token')).body
      .secret as string;
    const ref = await asset('feature:scoped');
    const before = await assetState(ref);
    const auth = { authorization: `Bearer ${readOnly}` };
    const put = await t.anon.put(path(ref)).set(auth).send({ owner: OWN, description: 'read-only' });
    expect([put.status, put.body.error?.details]).toEqual([403, { rule: 'scope', scope: 'write' }]);
    const usage = await t.anon.post('/v1/usage').set(auth).send({ events: [{ consumer: CONSUMER, asset: ref }] });
    expect([usage.status, usage.body.error?.details]).toEqual([403, { rule: 'scope', scope: 'ingest' }]);
    const gql = await t.anon
      .post('/graphql')
      .set(auth)
      .send({ query: `mutation { upsertAsset(ref: "${ref}", input: { owner: "${OWN}", description: "read-only" }) { status } }` });
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'scope', scope: 'write' } });
    expect(await assetState(ref)).toEqual(before);
    expect(await usageOf(ref)).toEqual([]);
  });

  it("revokes no key of another team's consumer through its own consumer's path", async () => {
    await asset('consumer:risk-reader', OTHER, { contact: 'risk@example.com' });
    const theirs = (await adminOk(admin('post', '/v1/assets/consumer/risk-reader/keys'), 'key')).body as { id: number; secret: string };
    const ours = (await adminOk(admin('post', `/v1/assets/consumer/${CONSUMER}/keys`), 'key')).body as { id: number; secret: string };
    const viaOwn = await as('own-team', 'delete', `/v1/assets/consumer/${CONSUMER}/keys/${theirs.id}`);
    expect([viaOwn.status, viaOwn.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    const viaOther = await as('other-team', 'delete', `/v1/assets/consumer/risk-reader/keys/${ours.id}`);
    expect([viaOther.status, viaOther.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    const live = await sql<{ revoked_at: unknown }>('SELECT revoked_at FROM tokens WHERE id = ANY($1) ORDER BY id', [[theirs.id, ours.id]]);
    expect(live).toEqual([{ revoked_at: null }, { revoked_at: null }]);
    // Both keys still authenticate.
    for (const key of [theirs, ours])
      expect((await t.anon.post('/v1/access-check').set('authorization', `Bearer ${key.secret}`).send({ asset: 'source:shared' })).status).toBe(200);
  });

  it('judges every GraphQL mutation for every principal, and a refusal stores nothing', async () => {
    const mismatches: string[] = [];
    for (const [name, cases] of Object.entries(GRAPHQL))
      for (const c of cases) {
        mismatches.push(
          ...(await runCase(`${name} (${c.title})`, c, async (p, ctx) => {
            const res = await as(p, 'post', '/graphql').send(c.operation(ctx, p));
            return { outcome: graphqlOutcome(res), res };
          })),
        );
        counted.graphql += PRINCIPALS.length;
      }
    expect(mismatches).toEqual([]);
  });
});

describe('GraphQL refuses a mutation without a token before looking at it', () => {
  beforeAll(async () => {
    t = await startTestApp();
    await asset('feature:exists');
  });
  afterAll(() => t?.close());

  it('answers UNAUTHENTICATED, not a verdict on its arguments or on whether its target exists', async () => {
    const send = async (query: string) => (await t.anon.post('/graphql').send({ query })).body;
    for (const query of [
      'mutation { deleteAsset(ref: "feature:missing") { deleted } }',
      'mutation { deleteAsset(ref: "feature:exists") { deleted } }',
      'mutation { upsertAsset(ref: "not a ref", input: { owner: "" }) { status } }',
      'mutation { retryNotification(id: 999999) { state } }',
    ]) {
      const body = await send(query);
      expect(body.errors?.[0]?.extensions, query).toMatchObject({ code: 'UNAUTHENTICATED', details: { rule: 'token-required' } });
      expect(body.data ?? null, query).toBeNull();
    }
    expect((await admin('get', path('feature:exists'))).status).toBe(200);
  });

  it('answers a token that fails authentication with a 401 in GraphQL shape', async () => {
    const res = await t.anon.post('/graphql').set('authorization', `Bearer dct_${randomBytes(32).toString('base64url')}`).send({ query: '{ __typename }' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="depcat"');
    expect(res.body).toEqual({
      errors: [{ message: 'the token is not known', extensions: { code: 'UNAUTHENTICATED', requestId: res.headers['x-request-id'] } }],
    });
  });
});

/**
 * Reads: every GET route is public or follows the read rule (two exceptions, named), and
 * under DEPCAT_READ_ACCESS=token a read needs a token with `read`.
 */
describe('reads under DEPCAT_READ_ACCESS=token', () => {
  const TARGET = 'feature:read-target';
  const READS: Record<string, string> = {
    'GET /metrics': '/metrics',
    'GET /v1/assets': '/v1/assets',
    'GET /v1/assets/:kind/:name': path(TARGET),
    'GET /v1/assets/:kind/:name/upstream': `${path(TARGET)}/upstream`,
    'GET /v1/assets/:kind/:name/downstream': `${path(TARGET)}/downstream`,
    'GET /v1/assets/:kind/:name/consumers': `${path(TARGET)}/consumers`,
    'GET /v1/assets/:kind/:name/impact': `${path(TARGET)}/impact`,
    'GET /v1/assets/:kind/:name/history': `${path(TARGET)}/history`,
    'GET /v1/notifications': '/v1/notifications',
    'GET /v1/undeclared-consumers': '/v1/undeclared-consumers',
    // The owner team's (or an admin's) read: the token below is ads's.
    'GET /v1/assets/consumer/:name/keys': `/v1/assets/consumer/${CONSUMER}/keys`,
    'GET /v1/findings': '/v1/findings',
  };
  const PUBLIC: Record<string, string> = {
    'GET /healthz': '/healthz',
    'GET /readyz': '/readyz',
    'GET /openapi.json': '/openapi.json',
    'GET /docs': '/docs',
    'GET /docs/json': '/docs/json',
    'GET /docs/yaml': '/docs/yaml',
    'GET /docs/static/index.html': '/docs/static/index.html',
    'GET /docs/static/swagger-initializer.js': '/docs/static/swagger-initializer.js',
    'GET /docs/static/*': '/docs/static/swagger-ui.css',
  };
  /** GET routes that are not reads: listing tokens is an admin's; GraphQL judges each operation. */
  const OTHERS: Record<string, 'write' | 'service'> = { 'GET /v1/tokens': 'write', 'GET /graphql': 'service' };

  const reader: Record<'read' | 'no-read' | 'admin', string> = { read: '', 'no-read': '', admin: TEST_ADMIN_TOKEN };
  const get = (url: string, token?: string, method: 'get' | 'head' = 'get') => {
    const request = t.anon[method](url);
    return token === undefined ? request : request.set('authorization', `Bearer ${token}`);
  };

  beforeAll(async () => {
    t = await startTestApp({ DEPCAT_READ_ACCESS: 'token' });
    await t.container.graph.start();
    await asset(`consumer:${CONSUMER}`, OWN, { contact: 'bidder@example.com' });
    await asset(TARGET);
    const token = async (name: string, scopes: string[]) =>
      (await adminOk(admin('post', '/v1/tokens').send({ name, team: OWN, scopes }), name)).body.secret as string;
    reader.read = await token('ads-reader', ['read', 'write', 'ingest']);
    reader['no-read'] = await token('ads-writer', ['write', 'ingest']);
  });
  afterAll(() => t?.close());

  it('every GET route is public or a read, but for the two named', () => {
    const routes = t.app.declaredAccess().filter((r) => r.method === 'GET' || r.method === 'HEAD');
    const declared = (key: string) => routes.find((r) => `${r.method} ${r.url}` === key)?.access;
    const gets = routes.filter((r) => r.method === 'GET').map((r) => `${r.method} ${r.url}`);
    const table = { ...Object.fromEntries(Object.keys(READS).map((k) => [k, 'read'])), ...Object.fromEntries(Object.keys(PUBLIC).map((k) => [k, 'public'])), ...OTHERS };
    expect(gets.filter((key) => !(key in table)), 'GET routes without an entry (public or read?)').toEqual([]);
    expect(Object.keys(table).filter((key) => !gets.includes(key)), 'entries for GET routes that no longer exist').toEqual([]);
    expect(Object.fromEntries(gets.map((key) => [key, declared(key)]))).toEqual(table);
    // HEAD answers as GET does, under the same rule.
    for (const key of gets) expect(declared(key.replace(/^GET/, 'HEAD')), key).toBe(declared(key));
  });

  it('a read needs a token with read: none is a 401, one without read a 403 naming the scope', async () => {
    for (const [route, url] of Object.entries(READS)) {
      const none = await get(url);
      expect([route, none.status, none.body.error?.code, none.headers['www-authenticate']]).toEqual([route, 401, 'UNAUTHORIZED', 'Bearer realm="depcat"']);
      expect([route, (await get(url, undefined, 'head')).status]).toEqual([route, 401]);
      const noRead = await get(url, reader['no-read']);
      expect([route, noRead.status, noRead.body.error?.details]).toEqual([route, 403, { rule: 'scope', scope: 'read' }]);
      expect([route, (await get(url, reader.read)).status]).toEqual([route, 200]);
    }
  });

  it('public routes answer without a token as they do with one', async () => {
    for (const [route, url] of Object.entries(PUBLIC)) {
      const none = await get(url);
      expect([route, none.status]).toEqual([route, (await get(url, TEST_ADMIN_TOKEN)).status]);
      expect([route, none.status < 400]).toEqual([route, true]);
    }
  });

  it('listing tokens is an admin\'s; a GraphQL query is a read', async () => {
    expect((await get('/v1/tokens')).status).toBe(401);
    const team = await get('/v1/tokens', reader.read);
    expect([team.status, team.body.error?.details?.rule]).toEqual([403, 'scope']);
    expect((await get('/v1/tokens', reader.admin)).status).toBe(200);

    const query = (token?: string) => {
      const request = t.anon.post('/graphql');
      return (token === undefined ? request : request.set('authorization', `Bearer ${token}`)).send({ query: '{ assets { items { ref } } }' });
    };
    expect((await query()).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const noRead = (await query(reader['no-read'])).body;
    expect(noRead.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'scope' } });
    expect(noRead.data ?? null).toBeNull();
    const read = (await query(reader.read)).body;
    expect(read.errors).toBeUndefined();
    expect(read.data.assets.items.map((a: { ref: string }) => a.ref)).toContain(TARGET);
  });
});

describe('failed authentications are rate-limited per address', () => {
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('past 20 failures in a minute even a valid token gets 429 with Retry-After; no token still reads', async () => {
    // supertest's requests all come from 127.0.0.1.
    const bad = `dct_${randomBytes(32).toString('base64url')}`;
    for (let i = 1; i <= 20; i++) {
      const res = await t.anon.post('/v1/batch').set('authorization', `Bearer ${bad}`).send({ assets: [] });
      expect([i, res.status]).toEqual([i, 401]);
    }
    const refused = await t.anon.post('/v1/batch').set('authorization', `Bearer ${bad}`).send({ assets: [] });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const valid = await t.http.get('/v1/tokens');
    expect(valid.status).toBe(429);
    expect(Number(valid.headers['retry-after'])).toBeGreaterThan(0);
    const graphql = await t.http.post('/graphql').send({ query: '{ __typename }' });
    expect(graphql.status).toBe(429);
    expect(graphql.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    // Reads without a token do not authenticate, and are not limited by it.
    expect((await t.anon.get('/v1/assets')).status).toBe(200);
  });
});
