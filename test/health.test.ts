import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('health and documentation', () => {
  it('is alive and ready once the graph is loaded', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok' });
    await t.container.graph.start();
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, checks: { database: 'ok', migrations: 'ok' } });
  });

  it('is not ready when the database is gone', async () => {
    await t.db.drop();
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.ready).toBe(false);
    expect(ready.body.checks.database).toMatch(/^unreachable/);
    // A read must not answer from an index it cannot bring up to date: 503, not stale data.
    const read = await t.http.get('/v1/assets/source/anything/downstream');
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('UNAVAILABLE');
  });

  it('serves the OpenAPI document generated from the zod schemas, and its page', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    const put = doc.paths['/v1/assets/{kind}/{name}'].put;
    const body = put.requestBody.content['application/json'].schema;
    expect(body.required).toContain('owner');
    expect(body.additionalProperties).toBe(false);
    // The import's streamed body is described too, though no validator reads it.
    const line = doc.paths['/v1/import'].post.requestBody.content['application/x-ndjson'].schema;
    expect(line.required).toEqual(expect.arrayContaining(['owner', 'ref']));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/assets',
        '/v1/batch',
        '/v1/assets/{kind}/{name}/upstream',
        '/v1/assets/{kind}/{name}/downstream',
        '/v1/assets/{kind}/{name}/consumers',
        '/v1/assets/{kind}/{name}/impact',
      ]),
    );
    const page = await t.http.get('/docs/').redirects(1);
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger');
  });
});
