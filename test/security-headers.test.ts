import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/** The policies a browser is given, exactly (docs/security.md explains each source). */
const API_CSP = "default-src 'none';frame-ancestors 'none'";
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; " +
  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Helmet's other headers, on every answer whatever its policy. */
const COMMON = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
};

const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources] as const),
  );

const corsHeaders = (res: Response) => Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));

const UI = 'https://ui.example.com';
const ADMIN = 'https://admin.example.com:8443';
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'X-Actor', 'X-Request-Id'];

let t: TestApp;
let withCors: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  withCors = await startTestApp({ DEPCAT_CORS_ORIGINS: ` ${UI}, ${ADMIN} ` });
  await t.http.put('/v1/assets/source/raw').send({ owner: 'data' }).expect(201);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await withCors?.close();
});

describe('security headers', () => {
  it('JSON answers get the API policy: nothing loads or runs, nothing frames them; success and errors alike', async () => {
    const answers = [
      await t.http.get('/v1/assets/source/raw'),
      await t.http.get('/v1/assets/source/nope'),
      await t.http.put('/v1/assets/source/bad').send({ owner: 5 }),
      await t.http.get('/nowhere'),
      await t.http.get('/openapi.json'),
      await t.http.post('/graphql').send({ query: '{ asset(ref: "source:raw") { ref } }' }),
      await t.http.get('/graphql').query({ query: '{ __typename }' }).set('accept', 'application/json'),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 404, 400, 404, 200, 200, 200]);
    for (const res of answers) {
      expect(res.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json/);
      expect(res.headers['content-security-policy']).toBe(API_CSP);
      expect(res.headers).toMatchObject(COMMON);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('/docs, its files and its OpenAPI document get the Swagger UI policy', async () => {
    for (const path of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-ui.css', '/docs/json']) {
      const res = await t.http.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-security-policy'], path).toBe(DOCS_CSP);
      expect(res.headers, path).toMatchObject(COMMON);
    }
  });

  it('the explorer page gets its own policy, naming its one inline script by hash', async () => {
    const res = await t.http.get('/graphql').set('accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers).toMatchObject(COMMON);
    const policy = directives(res.headers['content-security-policy']);
    const inline = [...res.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(([, text]) => text);
    expect(inline).toHaveLength(1);
    const hash = `'sha256-${createHash('sha256').update(inline[0]).digest('base64')}'`;
    expect(Object.fromEntries(policy)).toEqual({
      'default-src': ["'none'"],
      'script-src': [hash],
      'worker-src': ['blob:'],
      'style-src': ["'unsafe-inline'"],
      'font-src': ['data:'],
      'img-src': ['data:'],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
  });
});

describe('CORS, off by default', () => {
  it('answers no preflight and adds no CORS header, on REST and on /graphql (whose yoga would have allowed any origin)', async () => {
    for (const path of ['/v1/assets/source/raw', '/graphql']) {
      const preflight = await t.http
        .options(path)
        .set('origin', UI)
        .set('access-control-request-method', 'POST')
        .set('access-control-request-headers', 'authorization, content-type');
      expect(preflight.status, path).toBe(404);
      expect(preflight.body.error.code).toBe('NOT_FOUND');
      expect(corsHeaders(preflight), path).toEqual([]);
    }
    const rest = await t.http.get('/v1/assets/source/raw').set('origin', UI);
    const graphql = await t.http.post('/graphql').set('origin', 'https://evil.example').send({ query: '{ __typename }' });
    for (const res of [rest, graphql]) {
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
    }
  });
});

describe('CORS with DEPCAT_CORS_ORIGINS', () => {
  const preflight = (path: string, origin: string, method = 'PUT') =>
    withCors.http
      .options(path)
      .set('origin', origin)
      .set('access-control-request-method', method)
      .set('access-control-request-headers', 'authorization,content-type,if-match,x-actor,x-request-id');

  it('answers a listed origin\'s preflight with the methods and headers a front end needs, without credentials', async () => {
    for (const [origin, path, method] of [
      [UI, '/v1/assets/source/made', 'PUT'],
      [ADMIN, '/v1/assets/source/made', 'DELETE'],
      [UI, '/graphql', 'POST'],
    ]) {
      const res = await preflight(path, origin, method);
      expect(res.status, `${origin} ${path}`).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-methods'].split(', ')).toContain(method);
      expect(res.headers['access-control-allow-headers'].split(', ')).toEqual(ALLOWED_HEADERS);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    }
  });

  it('gives an unlisted origin no CORS header at all: its preflight is a 404 in the error shape', async () => {
    for (const origin of ['https://evil.example', 'http://ui.example.com', 'https://ui.example.com:8443', 'null']) {
      for (const path of ['/v1/assets/source/made', '/graphql']) {
        const res = await preflight(path, origin);
        expect(res.status, `${origin} ${path}`).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'NOT_FOUND' });
        expect(corsHeaders(res), `${origin} ${path}`).toEqual([]);
      }
    }
  });

  it("lets a listed origin read its answers' ETag, Location, X-Request-Id and Retry-After", async () => {
    const created = await withCors.http
      .put('/v1/assets/source/made')
      .set('origin', UI)
      .set('x-request-id', 'from-the-ui')
      .send({ owner: 'data' });
    expect(created.status).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe(UI);
    expect(created.headers['access-control-expose-headers'].split(', ')).toEqual(['ETag', 'Location', 'X-Request-Id', 'Retry-After']);
    expect(created.headers).toMatchObject({ etag: '"1"', location: '/v1/assets/source/made', 'x-request-id': 'from-the-ui' });
    expect(created.headers['access-control-allow-credentials']).toBeUndefined();

    const graphql = await withCors.http.post('/graphql').set('origin', ADMIN).send({ query: '{ __typename }' });
    expect(graphql.headers['access-control-allow-origin']).toBe(ADMIN);
  });

  it('adds nothing to an unlisted origin\'s answers, nor to a request without Origin (a script, curl)', async () => {
    const unlisted = await withCors.http.get('/v1/assets/source/made').set('origin', 'https://evil.example');
    const noOrigin = await withCors.http.get('/v1/assets/source/made');
    for (const res of [unlisted, noOrigin]) {
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      // A cache must not hand a listed origin's answer to another.
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    }
  });
});

describe('DEPCAT_CORS_ORIGINS', () => {
  it('is a comma-separated list of exact origins; empty is none', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ DEPCAT_CORS_ORIGINS: ' , ' }).corsOrigins).toEqual([]);
    expect(loadConfig({ DEPCAT_CORS_ORIGINS: `${UI},http://127.0.0.1:5173, ${UI}` }).corsOrigins).toEqual([UI, 'http://127.0.0.1:5173']);
  });

  it('refuses "*" and anything a browser would not send as an Origin, naming the variable', () => {
    for (const [value, message] of [
      ['*', /DEPCAT_CORS_ORIGINS: "\*" is refused/],
      [`${UI},*`, /DEPCAT_CORS_ORIGINS: "\*" is refused/],
      ['ui.example.com', /DEPCAT_CORS_ORIGINS: "ui.example.com" is not an origin/],
      ['https://ui.example.com/', /did you mean https:\/\/ui\.example\.com\?/],
      ['https://UI.example.com', /did you mean https:\/\/ui\.example\.com\?/],
      ['https://ui.example.com:443', /did you mean https:\/\/ui\.example\.com\?/],
      ['https://ui.example.com/app', /no path/],
      ['ftp://ui.example.com', /must start with https:\/\/ or http:\/\//],
    ] as const) {
      expect(() => loadConfig({ DEPCAT_CORS_ORIGINS: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({ DEPCAT_CORS_ORIGINS: value }), value).toThrow(message);
    }
  });
});
