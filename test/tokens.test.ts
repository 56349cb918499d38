import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { register } from './helpers/fixtures.js';
import { ADMIN_AUTH, startTestApp, TEST_ADMIN_TOKEN, TEST_ENV, type TestApp } from './helpers/test-app.js';
import { bearer, issueToken, rowsOf, type Issued } from './helpers/tokens.js';

// Issue 13, "Principals and tokens": POST/GET/DELETE /v1/tokens through the real app, and
// what a token is worth once issued, revoked or expired, in this process and in another.

const SECRET = /^dct_[A-Za-z0-9_-]{43}$/;
const DAY_MS = 24 * 60 * 60_000;
// Many 401s on purpose: the failed-authentication limit is not what this file tests.
const ENV = { DEPCAT_AUTH_FAILURE_LIMIT: '1000' };

let t: TestApp;
/** A second app on the same database, as another replica would be, with a lifetime of 7 days. */
let other: BuiltApp;
let otherHttp: ReturnType<typeof supertest>;
beforeAll(async () => {
  t = await startTestApp(ENV);
  other = await buildApp(loadConfig({ ...TEST_ENV, ...ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent', DEPCAT_TOKEN_TTL_DAYS: '7' }));
  await other.app.ready();
  otherHttp = supertest(other.app.server);
  await register(t, [{ ref: 'consumer:tk_reader', owner: 'tk-team' }, { ref: 'consumer:tk_other', owner: 'tk-team' }]);
});
afterAll(async () => {
  await other?.app.close();
  await t?.close();
});

const fieldsOf = (res: { body: { error: { details?: { field: string }[] } } }) => (res.body.error.details ?? []).map((d) => d.field);
const whoami = (http: ReturnType<typeof supertest>, secret: string) => http.get('/v1/assets').set(bearer(secret));
/** A write any token with `write` may attempt; its answer's status says whether the token authenticated. */
const write = (http: ReturnType<typeof supertest>, secret: string) =>
  http.put('/v1/assets/source/tk_probe').set(bearer(secret)).send({ owner: 'nobody-owns-this' });

describe('POST /v1/tokens', () => {
  it('answers 201 with the token and its secret: dct_ and 43 base64url characters, shown only here', async () => {
    const before = Date.now();
    const res = await t.http.post('/v1/tokens').send({ name: 'tk-ads-ci', team: 'ads', scopes: ['read', 'write'] });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['consumer', 'createdAt', 'expiresAt', 'id', 'name', 'prefix', 'scopes', 'secret', 'team']);
    expect(res.body).toMatchObject({ name: 'tk-ads-ci', team: 'ads', consumer: null, scopes: ['read', 'write'] });
    expect(res.body.id).toEqual(expect.any(Number));
    expect(res.body.secret).toMatch(SECRET);
    expect(res.body.secret.startsWith(res.body.prefix)).toBe(true);
    expect(res.body.prefix.length).toBeLessThan(res.body.secret.length - 32);
    expect(Date.parse(res.body.createdAt)).toBeGreaterThanOrEqual(before - 5000);

    // The only place: neither the listing nor the stored row holds it.
    const listed = await t.http.get('/v1/tokens').query({ team: 'ads' });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(res.body.secret);
    expect(listed.body.items).toEqual([
      {
        id: res.body.id,
        name: 'tk-ads-ci',
        team: 'ads',
        consumer: null,
        scopes: ['read', 'write'],
        prefix: res.body.prefix,
        createdAt: res.body.createdAt,
        expiresAt: res.body.expiresAt,
        revokedAt: null,
      },
    ]);
  });

  it('stores only a hash: the secret, or its random part, appears nowhere in the tokens table', async () => {
    const issued = await issueToken(t, { name: 'tk-hashed', scopes: ['read'] });
    const rows = await rowsOf(t.db.url, 'SELECT * FROM tokens');
    expect(rows.some((row) => row.name === 'tk-hashed')).toBe(true);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(issued.secret);
    expect(dump).not.toContain(issued.secret.slice('dct_'.length));
    expect(dump).not.toContain(issued.secret.slice(-20));
    // And the hash authenticates.
    expect((await whoami(t.anon, issued.secret)).status).toBe(200);
  });

  it('issues consumer tokens for an existing consumer, and admin tokens with the admin scope', async () => {
    const consumer = await issueToken(t, { name: 'tk-consumer', consumer: 'tk_reader', scopes: ['read', 'ingest'] });
    expect(consumer).toMatchObject({ team: null, consumer: 'tk_reader', scopes: ['read', 'ingest'] });
    const admin = await issueToken(t, { name: 'tk-admin-2', scopes: ['admin', 'read', 'write'] });
    expect(admin).toMatchObject({ team: null, consumer: null, scopes: ['admin', 'read', 'write'] });
    // An admin token it issued manages tokens in turn.
    expect((await t.anon.get('/v1/tokens').set(bearer(admin.secret))).status).toBe(200);
  });

  it.each([
    ['a name that does not start with a letter or digit', { name: '-ci', scopes: ['read'] }, 'name'],
    ['a name with a space', { name: 'my token', scopes: ['read'] }, 'name'],
    ['a name that is not a string', { name: 7, scopes: ['read'] }, 'name'],
    ['a name longer than 200 characters', { name: 'n'.repeat(201), scopes: ['read'] }, 'name'],
    ['both a team and a consumer', { name: 'tk-both', team: 'ads', consumer: 'tk_reader', scopes: ['read'] }, 'consumer'],
    ['an unknown consumer', { name: 'tk-ghost', consumer: 'tk_ghost', scopes: ['read'] }, 'consumer'],
    ['the admin scope on a team token', { name: 'tk-team-admin', team: 'ads', scopes: ['read', 'admin'] }, 'scopes'],
    ['the admin scope on a consumer token', { name: 'tk-cons-admin', consumer: 'tk_reader', scopes: ['admin'] }, 'scopes'],
    ['a repeated scope', { name: 'tk-twice', team: 'ads', scopes: ['read', 'read'] }, 'scopes'],
    ['no scope', { name: 'tk-none', team: 'ads', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'tk-root', team: 'ads', scopes: ['root'] }, 'scopes'],
    ['an expiry in the past', { name: 'tk-past', team: 'ads', scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ['a malformed expiry', { name: 'tk-when', team: 'ads', scopes: ['read'], expiresAt: 'next tuesday' }, 'expiresAt'],
    ['an expiry without a zone', { name: 'tk-zone', team: 'ads', scopes: ['read'], expiresAt: '2099-01-01T00:00:00' }, 'expiresAt'],
    ['an unknown field', { name: 'tk-extra', team: 'ads', scopes: ['read'], owner: 'ads' }, 'owner'],
  ])('refuses %s with a 400 naming the field, and stores nothing', async (_what, body, field) => {
    const before = await rowsOf(t.db.url, 'SELECT count(*)::int AS n FROM tokens');
    const res = await t.http.post('/v1/tokens').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(fieldsOf(res).some((f) => f === field || f.startsWith(`${field}[`) || f.startsWith(`${field}.`)), JSON.stringify(res.body)).toBe(true);
    expect(res.body.error.message).toContain(field);
    expect(await rowsOf(t.db.url, 'SELECT count(*)::int AS n FROM tokens')).toEqual(before);
  });

  it('refuses a name already taken with 409, revoked tokens included', async () => {
    const first = await issueToken(t, { name: 'tk-dup', team: 'ads', scopes: ['read'] });
    const again = await t.http.post('/v1/tokens').send({ name: 'tk-dup', team: 'search', scopes: ['write'] });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('tk-dup') });
    await t.http.delete(`/v1/tokens/${first.id}`).expect(204);
    expect((await t.http.post('/v1/tokens').send({ name: 'tk-dup', team: 'ads', scopes: ['read'] })).status).toBe(409);
  });

  it('gives a token DEPCAT_TOKEN_TTL_DAYS to live when its creation names no expiry', async () => {
    const before = Date.now();
    const ninety = await issueToken(t, { name: 'tk-ttl-90', team: 'ads', scopes: ['read'] });
    const sevenRes = await otherHttp.post('/v1/tokens').set(ADMIN_AUTH).send({ name: 'tk-ttl-7', team: 'ads', scopes: ['read'] });
    expect(sevenRes.status).toBe(201);
    const after = Date.now();
    const ttl = (issued: Issued) => Date.parse(issued.expiresAt!);
    expect(ttl(ninety)).toBeGreaterThanOrEqual(before + 90 * DAY_MS - 5000);
    expect(ttl(ninety)).toBeLessThanOrEqual(after + 90 * DAY_MS + 5000);
    expect(ttl(sevenRes.body)).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 5000);
    expect(ttl(sevenRes.body)).toBeLessThanOrEqual(after + 7 * DAY_MS + 5000);
  });

  it('keeps an explicit expiry, and expiresAt: null never expires', async () => {
    const at = new Date(Date.now() + 3 * DAY_MS);
    at.setUTCMilliseconds(0);
    const dated = await issueToken(t, { name: 'tk-dated', team: 'ads', scopes: ['read'], expiresAt: at.toISOString().replace('.000Z', '+00:00') });
    expect(Date.parse(dated.expiresAt!)).toBe(at.getTime());
    const forever = await issueToken(t, { name: 'tk-forever', team: 'ads', scopes: ['read'], expiresAt: null });
    expect(forever.expiresAt).toBeNull();
    const listed = await t.http.get('/v1/tokens').query({ team: 'ads', limit: 100 });
    expect(listed.body.items.find((i: Issued) => i.name === 'tk-forever').expiresAt).toBeNull();
    expect((await whoami(t.anon, forever.secret)).status).toBe(200);
  });
});

describe('GET /v1/tokens', () => {
  const secrets: string[] = [];
  beforeAll(async () => {
    for (const [name, body] of [
      ['pg-a1', { team: 'pg-a' }],
      ['pg-a2', { team: 'pg-a' }],
      ['pg-a3', { team: 'pg-a' }],
      ['pg-b1', { team: 'pg-b' }],
      ['pg-c1', { consumer: 'tk_other' }],
    ] as const)
      secrets.push((await issueToken(t, { name, ...body, scopes: ['read'] })).secret);
  });

  it('pages in creation order with limit and cursor, never showing a secret', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { limit: 2 };
      if (cursor) query.cursor = cursor;
      const res = await t.http.get('/v1/tokens').query(query);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      const text = JSON.stringify(res.body);
      for (const secret of secrets) expect(text).not.toContain(secret);
      for (const item of res.body.items) expect(item).not.toHaveProperty('secret');
      names.push(...res.body.items.map((i: Issued) => i.name));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    expect(pages).toBeGreaterThan(2);
    const ours = names.filter((n) => n.startsWith('pg-'));
    expect(ours).toEqual(['pg-a1', 'pg-a2', 'pg-a3', 'pg-b1', 'pg-c1']);
    expect(new Set(names).size).toBe(names.length);
  });

  it('filters by team and by consumer', async () => {
    const team = await t.http.get('/v1/tokens').query({ team: 'pg-a' });
    expect(team.body.items.map((i: Issued) => i.name)).toEqual(['pg-a1', 'pg-a2', 'pg-a3']);
    const page = await t.http.get('/v1/tokens').query({ team: 'pg-a', limit: 2 });
    expect(page.body.items.map((i: Issued) => i.name)).toEqual(['pg-a1', 'pg-a2']);
    const rest = await t.http.get('/v1/tokens').query({ team: 'pg-a', limit: 2, cursor: page.body.nextCursor });
    expect(rest.body).toMatchObject({ items: [{ name: 'pg-a3' }], nextCursor: null });
    const consumer = await t.http.get('/v1/tokens').query({ consumer: 'tk_other' });
    expect(consumer.body.items.map((i: Issued) => [i.name, i.consumer])).toEqual([['pg-c1', 'tk_other']]);
    expect((await t.http.get('/v1/tokens').query({ team: 'pg-none' })).body).toEqual({ items: [], nextCursor: null });
    expect((await t.http.get('/v1/tokens').query({ consumer: 'tk_nobody' })).status).toBe(404);
  });

  it('refuses a bad limit or cursor with a 400 naming it', async () => {
    const limit = await t.http.get('/v1/tokens').query({ limit: 0 });
    expect(limit.status).toBe(400);
    expect(fieldsOf(limit)).toContain('limit');
    const cursor = await t.http.get('/v1/tokens').query({ cursor: 'not-a-cursor' });
    expect(cursor.status).toBe(400);
    expect(fieldsOf(cursor)).toContain('cursor');
  });
});

describe('revoking and expiring', () => {
  it('a revoked token gets 401 from then on, in this process and in another on the same database', async () => {
    const issued = await issueToken(t, { name: 'tk-revoked', team: 'ads', scopes: ['read', 'write'] });
    // Both processes have used it, so any cache would hold it now.
    expect((await whoami(t.anon, issued.secret)).status).toBe(200);
    expect((await whoami(otherHttp, issued.secret)).status).toBe(200);
    expect((await write(otherHttp, issued.secret)).status).toBe(403);

    const revoked = await t.http.delete(`/v1/tokens/${issued.id}`);
    expect(revoked.status).toBe(204);
    for (const http of [t.anon, otherHttp]) {
      for (const res of [await whoami(http, issued.secret), await write(http, issued.secret)]) {
        expect(res.status).toBe(401);
        expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('revoked') });
        expect(res.body.error.message).toContain('tk-revoked');
      }
    }
    const listed = await t.http.get('/v1/tokens').query({ team: 'ads', limit: 100 });
    const row = listed.body.items.find((i: Issued) => i.name === 'tk-revoked');
    expect(Date.parse(row.revokedAt)).toBeGreaterThan(0);

    // Revoking again keeps the first time; an unknown id is a 404; a malformed one a 400.
    expect((await t.http.delete(`/v1/tokens/${issued.id}`)).status).toBe(204);
    const again = await t.http.get('/v1/tokens').query({ team: 'ads', limit: 100 });
    expect(again.body.items.find((i: Issued) => i.name === 'tk-revoked').revokedAt).toBe(row.revokedAt);
    expect((await t.http.delete('/v1/tokens/999999')).status).toBe(404);
    const bad = await t.http.delete('/v1/tokens/abc');
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toContain('id');
  });

  it('an expired token gets 401 naming it and its expiry', async () => {
    const expiresAt = new Date(Date.now() + 2500).toISOString();
    const issued = await issueToken(t, { name: 'tk-short-lived', team: 'ads', scopes: ['read', 'write'], expiresAt });
    expect((await whoami(t.anon, issued.secret)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 300));
    for (const http of [t.anon, otherHttp]) {
      const res = await whoami(http, issued.secret);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.body.error.message).toContain('tk-short-lived');
      expect(res.body.error.message).toContain('expired');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="depcat"');
    }
  });
});

describe('only admin-scope tokens manage tokens', () => {
  let team: Issued;
  let consumer: Issued;
  let weakAdmin: Issued;
  beforeAll(async () => {
    team = await issueToken(t, { name: 'tk-mgr-team', team: 'ads', scopes: ['read', 'write', 'ingest'] });
    consumer = await issueToken(t, { name: 'tk-mgr-consumer', consumer: 'tk_reader', scopes: ['read', 'write', 'ingest'] });
    weakAdmin = await issueToken(t, { name: 'tk-mgr-weak-admin', scopes: ['read', 'write'] });
  });

  it('refuses every other token with 403 naming the rule, and stores nothing', async () => {
    for (const token of [team, consumer, weakAdmin]) {
      const requests = [
        t.anon.post('/v1/tokens').set(bearer(token.secret)).send({ name: `tk-by-${token.name}`, scopes: ['read'] }),
        t.anon.get('/v1/tokens').set(bearer(token.secret)),
        t.anon.delete(`/v1/tokens/${token.id}`).set(bearer(token.secret)),
      ];
      for (const res of await Promise.all(requests)) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
        expect(['scope', 'admin-only']).toContain(res.body.error.details.rule);
        expect(res.body.error.message).toContain(token.name);
      }
    }
    const names = (await t.http.get('/v1/tokens').query({ limit: 1000 })).body.items.map((i: Issued) => i.name);
    expect(names.filter((n: string) => n.startsWith('tk-by-'))).toEqual([]);
    // None revoked itself.
    for (const token of [team, consumer, weakAdmin]) expect((await whoami(t.anon, token.secret)).status).toBe(200);
  });

  it('refuses a request without a token with 401', async () => {
    for (const res of [
      await t.anon.post('/v1/tokens').send({ name: 'tk-anon', scopes: ['admin'] }),
      await t.anon.get('/v1/tokens'),
      await t.anon.delete(`/v1/tokens/${team.id}`),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.details).toEqual({ rule: 'token-required' });
    }
  });
});

describe('401 answers and logs', () => {
  it('are in the error shape with WWW-Authenticate: Bearer realm="depcat"', async () => {
    const cases = [
      t.anon.put('/v1/assets/source/tk_anon').send({ owner: 'ads' }),
      t.anon.put('/v1/assets/source/tk_anon').set(bearer('dct_' + 'x'.repeat(43))).send({ owner: 'ads' }),
      t.anon.get('/v1/assets').set({ authorization: 'Basic dXNlcjpwYXNz' }),
      t.anon.get('/v1/assets').set({ authorization: 'Bearer' }),
      t.anon.post('/v1/batch').set(bearer('not-even-a-token')).send({ assets: [] }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="depcat"');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), requestId: res.headers['x-request-id'], ...(res.body.error.details ? { details: res.body.error.details } : {}) } });
    }
    expect((await t.http.get('/v1/assets/source/tk_anon')).status).toBe(404);
  });

  it('never logs the Authorization header or a secret, whether the token is good, revoked or unknown', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logged = await buildApp(loadConfig({ ...TEST_ENV, ...ENV, DATABASE_URL: t.db.url, LOG_LEVEL: 'trace' }), { logDestination: destination });
    await logged.app.ready();
    try {
      const http = supertest(logged.app.server);
      const good = await issueToken(t, { name: 'tk-logged', team: 'ads', scopes: ['read', 'write'] });
      const gone = await issueToken(t, { name: 'tk-logged-gone', team: 'ads', scopes: ['read'] });
      await t.http.delete(`/v1/tokens/${gone.id}`).expect(204);
      const unknown = 'dct_' + 'u'.repeat(43);
      expect((await http.put('/v1/assets/source/tk_logged').set(bearer(good.secret)).send({ owner: 'ads' })).status).toBe(201);
      expect((await http.put('/v1/assets/source/tk_logged2').set(bearer(good.secret)).send({ owner: 'search' })).status).toBe(403);
      expect((await http.get('/v1/assets').set(bearer(gone.secret))).status).toBe(401);
      expect((await http.get('/v1/assets').set(bearer(unknown))).status).toBe(401);
      expect((await http.post('/v1/tokens').set(ADMIN_AUTH).send({ name: 'tk-logged-new', scopes: ['read'] })).status).toBe(201);
      expect((await http.post('/graphql').set(bearer(good.secret)).send({ query: '{ assets { items { ref } } }' })).status).toBe(200);
      expect(lines.length).toBeGreaterThan(5);
      const log = lines.join('\n');
      for (const secret of [good.secret, gone.secret, unknown, TEST_ADMIN_TOKEN]) expect(log).not.toContain(secret);
      expect(log).not.toMatch(/dct_[A-Za-z0-9_-]{20}/);
      expect(log.toLowerCase()).not.toMatch(/"authorization":"bearer/);
    } finally {
      await logged.app.close();
    }
  });
});
