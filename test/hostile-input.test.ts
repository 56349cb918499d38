import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../src/domain/text-guard.js';
import { register } from './helpers/fixtures.js';
import { gql } from './helpers/graphql.js';
import { ADMIN_AUTH, startTestApp, type TestApp } from './helpers/test-app.js';

// Input PostgreSQL cannot store, nesting that overflows a stack, and what Fastify's router
// and parsers refuse: each is a 4xx in the error shape, never a 500, and never anyone
// else's failure.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [{ ref: 'source:clicks' }, { ref: 'feature:ctr', dependsOn: ['source:clicks'] }]);
});
afterAll(() => t?.close());

const NUL = '\u0000';
const LONE = '\ud800';
const json = { 'content-type': 'application/json' };

/** A 400 in the error shape whose only issue names `field` in `location`. */
function expectField(res: { status: number; body: any }, location: string, field: string, message: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.code).toBe('INVALID_INPUT');
  expect(res.body.error.details).toEqual([{ in: location, field, message: expect.stringMatching(message) }]);
}

const storedRefs = async () => (await t.http.get('/v1/assets?limit=1000')).body.items.map((a: { ref: string }) => a.ref).sort();

describe('NUL characters', () => {
  it('in a JSON body, a query filter, a path parameter and a reason: a 400 naming the field, nothing stored', async () => {
    const before = await storedRefs();
    expectField(await t.http.post('/v1/batch').send({ assets: [{ ref: 'source:n', owner: `te${NUL}am` }] }), 'body', 'assets[0].owner', /NUL/);
    expectField(await t.http.put('/v1/assets/source/n').send({ owner: 'team', tags: ['ok', `b${NUL}`] }), 'body', 'tags[1]', /NUL/);
    expectField(await t.http.get('/v1/assets').query({ q: `cl${NUL}` }), 'query', 'q', /NUL/);
    expectField(await t.http.get('/v1/assets').query({ owner: NUL }), 'query', 'owner', /NUL/);
    expectField(await t.http.get('/v1/assets/source/cl%00icks'), 'params', 'name', /NUL/);
    expectField(await t.http.delete('/v1/assets/source/clicks').query({ force: 'true', reason: `gone${NUL}` }), 'query', 'reason', /NUL/);
    expectField(
      await t.http.post('/v1/assets/source/clicks/deprecate').send({ reason: `r${NUL}`, replacedBy: 'source:clicks2' }),
      'body',
      'reason',
      /NUL/,
    );
    expectField(await t.http.post('/v1/access-check').send({ asset: 'source:clicks', consumer: `bid${NUL}der` }), 'body', 'consumer', /NUL/);
    expectField(
      await t.http.post('/v1/usage').send({ events: [{ consumer: 'ok', asset: 'source:clicks' }, { consumer: NUL, asset: 'source:clicks' }] }),
      'body',
      'events[1].consumer',
      /NUL/,
    );
    expect(await storedRefs()).toEqual(before);
    expect((await t.http.get('/v1/assets/source/clicks')).body.deprecation).toBeNull();
  });

  it('in a key of metadata: the 400 names the object and does not echo the key', async () => {
    const res = await t.http.post('/v1/batch').send({ assets: [{ ref: 'source:k', owner: 'o', metadata: { [`a${NUL}b`]: 1 } }] });
    expectField(res, 'body', 'assets[0].metadata', /key containing the NUL/);
    expect(res.text).not.toContain('a\\u0000b');
  });

  it('in an import line: a 400 naming the line and the field, nothing stored', async () => {
    const res = await t.http
      .post('/v1/import')
      .set('content-type', 'application/x-ndjson')
      .send(`{"ref":"source:i1","owner":"o"}\n{"ref":"source:i2","owner":"o","description":"a\\u0000"}\n`);
    expectField(res, 'body', 'lines[2].description', /NUL/);
    expect(await storedRefs()).not.toContain('source:i1');
  });

  it('in GraphQL variables and inline literals: BAD_USER_INPUT naming the argument path', async () => {
    const upsert = 'mutation ($input: AssetInput!) { upsertAsset(ref: "source:g", input: $input) { status } }';
    const viaVariable = await gql(t, upsert, { input: { owner: `o${NUL}` } });
    expect(viaVariable.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [{ in: 'body', field: 'input.owner', message: expect.stringMatching(/NUL/) }],
    });
    const inline = await gql(t, '{ assets(filter: { q: "cl\\u0000" }) { edges { node { ref } } } }');
    expect(inline.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'filter.q' }] });
    const reason = await gql(t, 'mutation { deleteAsset(ref: "source:clicks", force: true, reason: "x\\u0000") { ref } }');
    expect(reason.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'reason' }] });
    expect(await storedRefs()).not.toContain('source:g');
    expect(await storedRefs()).toContain('source:clicks');
  });

  it('one NUL access check among many concurrent valid ones fails alone', async () => {
    const valid = Array.from({ length: 300 }, (_, i) =>
      t.app.inject({ method: 'POST', url: '/v1/access-check', payload: { asset: 'feature:ctr', consumer: `reader-${i % 7}` } }),
    );
    const bad = t.app.inject({ method: 'POST', url: '/v1/access-check', payload: { asset: 'feature:ctr', consumer: `x${NUL}` } });
    const [badRes, ...validRes] = await Promise.all([bad, ...valid]);
    expect(badRes.statusCode).toBe(400);
    expect(validRes.map((r) => r.statusCode)).toEqual(validRes.map(() => 200));
  });
});

describe('lone surrogates', () => {
  it('in metadata (REST and GraphQL): a 400 naming the field; a surrogate pair is text and is stored', async () => {
    expectField(
      await t.http.post('/v1/batch').set(json).send(`{"assets":[{"ref":"source:s","owner":"o","metadata":{"note":"x\\ud800"}}]}`),
      'body',
      'assets[0].metadata.note',
      /surrogate/,
    );
    expectField(
      await t.http.put('/v1/assets/source/s').set(json).send('{"owner":"o","metadata":{"list":["ok","\\udc00y"]}}'),
      'body',
      'metadata.list[1]',
      /surrogate/,
    );
    const graphql = await gql(t, 'mutation ($m: JSONObject) { upsertAsset(ref: "source:s", input: { owner: "o", metadata: $m }) { status } }', {
      m: { note: `a${LONE}` },
    });
    expect(graphql.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'input.metadata.note' }] });
    expect(await storedRefs()).not.toContain('source:s');

    const pair = await t.http.put('/v1/assets/source/s').set(json).send('{"owner":"o","metadata":{"note":"\\ud83d\\ude00"}}');
    expect(pair.status).toBe(201);
    expect(pair.body.metadata).toEqual({ note: '😀' });
  });
});

describe('deep nesting', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  const rawNested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it(`JSON nested 2,000 levels deep is a 400 naming where it passes ${MAX_NESTING}; metadata well within it is stored`, async () => {
    const res = await t.http.post('/v1/batch').set(json).send(`{"assets":[{"ref":"source:d","owner":"o","metadata":${rawNested(2000)}}]}`);
    expect(res.status).toBe(400);
    const [issue] = res.body.error.details;
    // The body is level 1, `assets` 2, the item 3, metadata 4: the first level too deep is 61 `a`s down.
    expect(issue).toEqual({ in: 'body', field: `assets[0].metadata${'.a'.repeat(MAX_NESTING + 1 - 4)}`, message: expect.stringContaining(`deeper than ${MAX_NESTING}`) });
    expect(await storedRefs()).not.toContain('source:d');

    const graphql = await gql(t, 'mutation ($m: JSONObject) { upsertAsset(ref: "source:d", input: { owner: "o", metadata: $m }) { status } }', {
      m: nested(2000),
    });
    expect(graphql.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: expect.stringMatching(/^input\.metadata\.a\.a/) }] });

    const fine = await t.http.put('/v1/assets/source/d').send({ owner: 'o', metadata: nested(MAX_NESTING - 2) });
    expect(fine.status).toBe(201);
  });
});

describe('long names', () => {
  const long = 'n'.repeat(200);

  it('a 200-character name works on every path route; 201 characters is a 400 naming it', async () => {
    await register(t, [{ ref: `source:${long}` }, { ref: `model:${'m'.repeat(150)}`, dependsOn: [`source:${long}`] }]);
    const base = `/v1/assets/source/${long}`;
    expect((await t.http.get(base)).status).toBe(200);
    expect((await t.http.put(base).send({ owner: 'o2' })).status).toBe(200);
    expect((await t.http.get(`${base}/downstream`)).body.items.map((i: { ref: string }) => i.ref)).toEqual([`model:${'m'.repeat(150)}`]);
    expect((await t.http.get(`${base}/consumers`)).status).toBe(200);
    expect((await t.http.get(`${base}/impact`)).status).toBe(200);
    expect((await t.http.get(`${base}/history`)).status).toBe(200);
    expect((await t.http.post(`${base}/deprecate`).send({ reason: 'old' })).status).toBe(200);
    expect((await t.http.get(`/v1/assets/model/${'m'.repeat(150)}/upstream`)).status).toBe(200);
    expect((await t.http.delete(`${base}`).query({ force: 'true', reason: 'test' })).status).toBe(204);

    const tooLong = await t.http.get(`/v1/assets/source/${long}x`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details[0]).toMatchObject({ in: 'params', field: 'name' });
  });
});

describe("the router's and the parsers' refusals, in the error shape", () => {
  const expectShape = (res: { statusCode: number; json(): any }, status: number, code?: string) => {
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body).toEqual({ error: expect.objectContaining({ code: code ?? expect.any(String), message: expect.any(String) }) });
    expect(body.error.requestId).toEqual(expect.any(String));
    expect(Object.keys(body.error).filter((k) => !['code', 'message', 'details', 'requestId'].includes(k))).toEqual([]);
  };
  // With a token: a write route without one answers 401 before it looks at the body.
  const post = (url: string, contentType: string | undefined, payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload, headers: { ...ADMIN_AUTH, ...(contentType ? { 'content-type': contentType } : {}), ...headers } });

  it('a wrong content type on /graphql and on REST routes is a 415', async () => {
    for (const url of ['/graphql', '/v1/batch', '/v1/access-check']) {
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', undefined])
        expectShape(await post(url, type, '{"query":"{ __typename }"}'), 415);
    }
  });

  it('malformed JSON and an empty JSON body are a 400', async () => {
    for (const url of ['/graphql', '/v1/batch']) {
      expectShape(await post(url, 'application/json', '{"assets": ['), 400, 'INVALID_INPUT');
      expectShape(await post(url, 'application/json', ''), 400, 'INVALID_INPUT');
    }
    expectShape(await t.app.inject({ method: 'DELETE', url: '/v1/assets/source/nope', headers: { ...ADMIN_AUTH, ...json } }), 400, 'INVALID_INPUT');
  });

  it('an answer GraphQL cannot give in any accepted type is a 406', async () => {
    expectShape(await post('/graphql', 'application/json', '{"query":"{ __typename }"}', { accept: 'application/xml' }), 406, 'NOT_ACCEPTABLE');
  });

  it('a path segment longer than any identifier is a 414; bad percent-encoding is a 400 naming the path', async () => {
    expectShape(await t.app.inject({ method: 'GET', url: `/v1/assets/source/${'a'.repeat(5000)}` }), 414, 'URI_TOO_LONG');
    const bad = await t.app.inject({ method: 'GET', url: '/v1/assets/source/%E0%A4%A' });
    expectShape(bad, 400, 'INVALID_INPUT');
    expect(bad.json().error.details).toEqual([{ in: 'params', field: 'path', message: expect.any(String) }]);
  });
});

describe('the q filter', () => {
  it('matches % and _ literally', async () => {
    await register(t, [
      { ref: 'feature:a_b' },
      { ref: 'feature:axb', description: 'half: 50% of it' },
      { ref: 'feature:plain', description: 'back\\slash' },
    ]);
    const refs = async (q: string) => (await t.http.get('/v1/assets').query({ q, kind: 'feature' })).body.items.map((a: { ref: string }) => a.ref);
    expect(await refs('%')).toEqual(['feature:axb']);
    expect(await refs('_')).toEqual(['feature:a_b']);
    expect(await refs('A_B')).toEqual(['feature:a_b']);
    expect(await refs('\\')).toEqual(['feature:plain']);
    expect(await refs('50%')).toEqual(['feature:axb']);
  });
});

describe('page sizes and depths', () => {
  it('say their range', async () => {
    for (const limit of ['0', '1001', '2.5', 'many']) {
      const res = await t.http.get('/v1/assets').query({ limit });
      expectField(res, 'query', 'limit', /^must be a whole number from 1 to 1000$/);
    }
    expectField(await t.http.get('/v1/assets/source/clicks/downstream').query({ depth: '0' }), 'query', 'depth', /^must be a whole number, 1 or more$/);
    const graphql = await gql(t, '{ assets(first: 0) { edges { cursor } } }');
    expect(graphql.errors?.[0].extensions?.issues).toEqual([{ in: 'body', field: 'first', message: 'must be a whole number from 1 to 1000' }]);
  });
});

describe('headers that reach the store', () => {
  const history = async (ref: string) => (await t.http.get(`/v1/assets/${ref.replace(':', '/')}/history`)).body.items.length;

  it('an X-Actor with a NUL or a lone surrogate: every write is a 400 naming headers.x-actor, nothing stored', async () => {
    await register(t, [{ ref: 'source:acted' }, { ref: 'feature:acted_f', dependsOn: ['source:acted'] }]);
    await t.http.post('/v1/assets/feature/acted_f/deprecate').send({ reason: 'old', sunsetAt: '2100-01-01' }).expect(200);
    const before = [await history('source:acted'), await history('feature:acted_f')];
    for (const actor of [`ops${NUL}bot`, `ops${LONE}bot`, `${'\udc00'}ops`]) {
      const headers = { ...ADMIN_AUTH, 'x-actor': actor };
      for (const [method, url, payload] of [
        ['PUT', '/v1/assets/source/acted', { owner: 'someone-else' }],
        ['POST', '/v1/batch', { assets: [{ ref: 'source:acted', owner: 'someone-else' }] }],
        ['DELETE', '/v1/assets/source/acted?force=true&reason=gone', undefined],
        ['POST', '/v1/assets/source/acted/deprecate', { reason: 'old', sunsetAt: '2100-01-01' }],
        ['POST', '/v1/assets/feature/acted_f/reinstate', {}],
      ] as const) {
        const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) }); // (an object payload is sent as JSON)
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
        expect(res.json().error.details).toEqual([{ in: 'headers', field: 'x-actor', message: expect.stringMatching(/NUL|surrogate/) }]);
      }
      const imported = await t.app.inject({
        method: 'POST',
        url: '/v1/import',
        headers: { ...headers, 'content-type': 'application/x-ndjson' },
        payload: '{"ref":"source:acted","owner":"someone-else"}\n',
      });
      expect(imported.statusCode).toBe(400);
      expect(imported.json().error.details[0]).toMatchObject({ in: 'headers', field: 'x-actor' });
    }
    expect([await history('source:acted'), await history('feature:acted_f')]).toEqual(before);
    expect((await t.http.get('/v1/assets/source/acted')).body.owner).toBe('team-source');
  });

  it('in GraphQL: BAD_USER_INPUT naming the header as it is, never under an argument; nothing stored', async () => {
    const before = await history('source:acted');
    for (const [query, variables] of [
      ['mutation { deleteAsset(ref: "source:acted", force: true, reason: "gone") { deleted } }', {}],
      ['mutation ($i: DeprecateInput!) { deprecateAsset(ref: "source:acted", input: $i) { notificationsQueued } }', { i: { reason: 'old' } }],
      ['mutation ($i: AssetInput!) { upsertAsset(ref: "source:acted", input: $i) { status } }', { i: { owner: 'someone-else' } }],
    ] as const) {
      for (const actor of [`ops${NUL}`, 'a'.repeat(201)]) {
        const res = await t.app.inject({ method: 'POST', url: '/graphql', headers: { ...ADMIN_AUTH, 'x-actor': actor }, payload: { query, variables } });
        const [error] = res.json().errors;
        expect(error.extensions, query).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ in: 'headers', field: 'x-actor' }] });
      }
    }
    expect(await history('source:acted')).toBe(before);
  });

  it('a malformed If-Match (an unclosed quote) is a 400 naming headers.if-match; a quoted or bare revision is read', async () => {
    const { revision } = (await t.http.get('/v1/assets/source/acted')).body;
    for (const ifMatch of [`"${revision}`, `${revision}"`, `W/"${revision}`, `""${revision}""`]) {
      const res = await t.http.put('/v1/assets/source/acted').set('if-match', ifMatch).send({ owner: 'team-source' });
      expectField(res, 'headers', 'if-match', /revision number/);
    }
    for (const ifMatch of [`"${revision}"`, `${revision}`, `W/"${revision}"`])
      expect((await t.http.put('/v1/assets/source/acted').set('if-match', ifMatch).send({ owner: 'team-source' })).status).toBe(200);
    expect((await t.http.put('/v1/assets/source/acted').set('if-match', `"${revision + 7}"`).send({ owner: 'team-source' })).status).toBe(412);
  });
});

describe('cursors', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64url');

  it('a position with a NUL, a lone surrogate or an id past the database integer is a 400 naming the cursor (REST) or after (GraphQL)', async () => {
    for (const position of ['{"a":1,"i":"x\\u0000y"}', '{"a":1,"i":"x\\ud800"}', '{"assetId":1,"identity":"\\u0000"}', '{"a":2147483648,"i":"x"}']) {
      const cursor = b64(position);
      expectField(await t.http.get('/v1/undeclared-consumers').query({ cursor }), 'query', 'cursor', /not a cursor/);
      const graphql = await gql(t, 'query ($after: String) { undeclaredConsumers(after: $after) { items { identity } } }', { after: cursor });
      expect(graphql.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field: 'after' }] });
    }
    expectField(await t.http.get('/v1/assets').query({ cursor: b64('{"kind":"source","name":"a\\u0000"}') }), 'query', 'cursor', /not a cursor/);
    // A well-formed position still pages.
    expect((await t.http.get('/v1/undeclared-consumers').query({ cursor: b64('{"a":1,"i":"xy"}') })).status).toBe(200);
  });
});
