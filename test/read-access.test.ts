import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, issueToken, type Issued } from './helpers/tokens.js';

// Issue 13: DEPCAT_READ_ACCESS=token — every read needs a token with `read`, on both APIs,
// checked before anything runs; the probes and the docs stay public.

let t: TestApp;
let reader: Issued;
let writer: Issued;
let consumer: Issued;
beforeAll(async () => {
  t = await startTestApp({ DEPCAT_READ_ACCESS: 'token' });
  await register(t, [
    { ref: 'source:ra_raw', owner: 'ra' },
    { ref: 'feature:ra_f', owner: 'ra', dependsOn: ['source:ra_raw'] },
    { ref: 'consumer:ra_app', owner: 'ra', dependsOn: ['feature:ra_f'] },
  ]);
  reader = await issueToken(t, { name: 'ra-reader', team: 'ra', scopes: ['read'] });
  writer = await issueToken(t, { name: 'ra-writer', team: 'ra', scopes: ['write'] });
  consumer = await issueToken(t, { name: 'ra-consumer', consumer: 'ra_app', scopes: ['read'] });
});
afterAll(async () => {
  await t?.close();
});

const READS = [
  '/v1/assets',
  '/v1/assets/source/ra_raw',
  '/v1/assets/source/ra_raw/history',
  '/v1/assets/source/ra_raw/downstream',
  '/v1/assets/feature/ra_f/upstream',
  '/v1/assets/source/ra_raw/consumers',
  '/v1/assets/source/ra_raw/impact',
  '/v1/undeclared-consumers',
  '/v1/findings',
  '/v1/notifications',
  '/metrics',
];

const graphql = (query: string, headers: Record<string, string> = {}) => t.anon.post('/graphql').set(headers).send({ query });

describe('REST reads under DEPCAT_READ_ACCESS=token', () => {
  it.each(READS)('GET %s: 401 without a token, 403 (scope) with a write-only one, 200 with read', async (path) => {
    const anonymous = await t.anon.get(path);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="depcat"');
    expect(anonymous.body.error).toMatchObject({ code: 'UNAUTHORIZED', details: { rule: 'token-required' } });

    const writeOnly = await t.anon.get(path).set(bearer(writer.secret));
    expect(writeOnly.status).toBe(403);
    expect(writeOnly.body.error).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'scope', scope: 'read' } });
    expect(writeOnly.body.error.message).toContain('ra-writer');

    for (const token of [reader, consumer]) expect((await t.anon.get(path).set(bearer(token.secret))).status).toBe(200);
    expect((await t.http.get(path)).status).toBe(200);
  });

  it('refuses a read with an unknown token with 401, not as an anonymous read', async () => {
    const res = await t.anon.get('/v1/assets').set(bearer('dct_' + 'z'.repeat(43)));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('not known');
  });

  it('leaves /healthz, /readyz, /openapi.json and /docs public', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs/', '/docs/json']) {
      const res = await t.anon.get(path);
      expect(res.status, path).toBe(200);
    }
    const docs = await t.anon.get('/docs');
    expect(docs.status).toBeLessThan(400);
    // Public means not even looked at: a bad token there is no failure.
    expect((await t.anon.get('/healthz').set(bearer('dct_' + 'q'.repeat(43)))).status).toBe(200);
  });

  it('the access check needs a token with read; a write-only token is refused', async () => {
    const body = { asset: 'feature:ra_f', consumer: 'ra_app' };
    const anonymous = await t.anon.post('/v1/access-check').send(body);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="depcat"');
    const writeOnly = await t.anon.post('/v1/access-check').set(bearer(writer.secret)).send(body);
    expect(writeOnly.status).toBe(403);
    expect(writeOnly.body.error.details).toMatchObject({ rule: 'scope' });
    const allowed = await t.anon.post('/v1/access-check').set(bearer(reader.secret)).send(body);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ consumer: 'ra_app', asset: 'feature:ra_f', allowed: true });
  });

  it('writes are judged as before: a write-only token writes its own team\'s asset', async () => {
    expect((await t.anon.put('/v1/assets/source/ra_w').set(bearer(writer.secret)).send({ owner: 'ra' })).status).toBe(201);
    expect((await t.anon.put('/v1/assets/source/ra_w2').set(bearer(reader.secret)).send({ owner: 'ra' })).status).toBe(403);
    expect((await t.anon.put('/v1/assets/source/ra_w3').send({ owner: 'ra' })).status).toBe(401);
  });
});

describe('GraphQL under DEPCAT_READ_ACCESS=token', () => {
  const QUERY = '{ asset(ref: "source:ra_raw") { ref owner } assets { items { ref } } }';
  // Executed, each of these fields would answer an error of its own (BAD_USER_INPUT,
  // NOT_FOUND): a refusal before execution answers only the one error.
  const FAILING = '{ bad: asset(ref: "not a ref") { ref } gone: asset(ref: "source:ra_nope") { ref } }';

  it('refuses a query without a token with UNAUTHENTICATED, before it runs', async () => {
    for (const query of [QUERY, FAILING]) {
      const res = await graphql(query);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    // With a token, the same operation does run.
    const ran = await graphql(FAILING, bearer(reader.secret));
    expect(ran.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code).sort()).toEqual(['BAD_USER_INPUT', 'NOT_FOUND']);
  });

  it('refuses introspection without a token too', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __typename }', getIntrospectionQuery()]) {
      const res = await graphql(query);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const withToken = await graphql('{ __schema { queryType { name } } }', bearer(reader.secret));
    expect(withToken.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses a write-only token with FORBIDDEN (scope), before it runs; read answers', async () => {
    for (const query of [QUERY, FAILING]) {
      const refused = await graphql(query, bearer(writer.secret));
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors).toHaveLength(1);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'scope' } });
    }

    const allowed = await graphql(QUERY, bearer(reader.secret));
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.asset).toEqual({ ref: 'source:ra_raw', owner: 'ra' });
  });

  it('judges mutations by their own rules: anonymous is UNAUTHENTICATED, a write-only token writes its own asset', async () => {
    const upsert = (ref: string, owner: string) =>
      `mutation { upsertAsset(ref: "${ref}", input: { owner: "${owner}" }) { asset { ref owner } } }`;
    const anonymous = await graphql(upsert('source:ra_g1', 'ra'));
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const own = await graphql(upsert('source:ra_g2', 'ra'), bearer(writer.secret));
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.upsertAsset.asset).toEqual({ ref: 'source:ra_g2', owner: 'ra' });
    const foreign = await graphql(upsert('source:ra_g3', 'elsewhere'), bearer(writer.secret));
    expect(foreign.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'team-creates-own' } });
    const readOnly = await graphql(upsert('source:ra_g4', 'ra'), bearer(reader.secret));
    expect(readOnly.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'scope' } });
    const stored = await t.http.get('/v1/assets').query({ owner: 'ra', limit: 100 });
    const refs = stored.body.items.map((i: { ref: string }) => i.ref);
    expect(refs).toContain('source:ra_g2');
    for (const ref of ['source:ra_g1', 'source:ra_g3', 'source:ra_g4']) expect(refs).not.toContain(ref);
  });
});
