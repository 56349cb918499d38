import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { ADMIN_AUTH, startTestApp, type TestApp } from './helpers/test-app.js';

// Chunks of two lines, so that every import below spans several chunks, with the read of
// one chunk overtaking the write of the one before.
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startTestApp({ DEPCAT_IMPORT_CHUNK: '2', DEPCAT_WRITE_LOCK_TIMEOUT_MS: '300' });
  // Some tests stream a body by hand, over a real connection.
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});

/** A POST /v1/import whose body the test writes, and may never finish (with a token: without one it is a 401 at once). */
function streamedImport() {
  const headers = { ...ADMIN_AUTH, 'content-type': 'application/x-ndjson' };
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/import', headers });
  req.on('error', () => {});
  const answer = new Promise<{ status: number; body: string }>((resolve) =>
    req.on('response', (res) => {
      let body = '';
      res.on('data', (data) => (body += data));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }),
  );
  return { req, answer };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
afterAll(() => t?.close());

const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';
const importLines = (lines: unknown[]) =>
  t.http.post('/v1/import').set('content-type', 'application/x-ndjson').send(ndjson(lines));
const count = async () => (await t.http.get('/v1/assets?limit=1000')).body.items.length;
const fields = (res: { body: { error: { details: { field: string }[] } } }) => res.body.error.details.map((d) => d.field);

describe('POST /v1/import', () => {
  it('stores every line in one transaction; a dependency may name a line of a later chunk', async () => {
    const res = await importLines([
      { ref: 'consumer:ranker', owner: 'search', contact: 'search@example.com', dependsOn: ['model:ctr'] },
      { ref: 'model:ctr', owner: 'ads', dependsOn: [{ ref: 'feature:ctr_7d', importance: 0.2 }, 'feature:age'] },
      { ref: 'feature:ctr_7d', owner: 'ads', dependsOn: ['source:clicks'] },
      '',
      { ref: 'feature:age', owner: 'ads', dependsOn: ['source:users'], lifecycle: 'deprecated' },
      { ref: 'source:clicks', owner: 'data', stability: 'volatile' },
      { ref: 'source:users', owner: 'data' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ created: 6, updated: 0, unchanged: 0 });
    // model:ctr named feature:age before it was stored, as deprecated: the warning still comes.
    expect(res.body.warnings.total).toBe(1);
    expect(res.body.warnings.items).toEqual([
      { ref: 'model:ctr', warnings: [expect.objectContaining({ code: 'new_dependency_on_deprecated', asset: 'feature:age' })] },
    ]);

    const model = await t.http.get('/v1/assets/model/ctr');
    expect(model.body.dependsOn).toEqual([
      { ref: 'feature:age', pinnedVersion: null, importance: null, note: null },
      { ref: 'feature:ctr_7d', pinnedVersion: null, importance: 0.2, note: null },
    ]);
    // The closure index is current as soon as the import has returned.
    const down = await t.http.get('/v1/assets/source/clicks/downstream');
    expect(down.body.items.map((i: { ref: string; distance: number }) => [i.ref, i.distance])).toEqual([
      ['feature:ctr_7d', 1],
      ['model:ctr', 2],
      ['consumer:ranker', 3],
    ]);
    const consumers = await t.http.get('/v1/assets/source/users/consumers');
    expect(consumers.body.consumers.map((c: { ref: string }) => c.ref)).toEqual(['consumer:ranker']);
    const history = await t.http.get('/v1/assets/model/ctr/history');
    expect(history.body.items).toEqual([
      expect.objectContaining({ action: 'create', revision: 1, actor: 'admin', onBehalfOf: null }),
    ]);
    expect(history.body.items[0].changes).toContainEqual({
      field: 'dependsOn',
      before: null,
      after: [
        { ref: 'feature:age', pinnedVersion: null, importance: null, note: null },
        { ref: 'feature:ctr_7d', pinnedVersion: null, importance: 0.2, note: null },
      ],
    });
  });

  it('warns of new dependencies on deprecated assets, stored before or by an earlier chunk', async () => {
    await t.http.put('/v1/assets/source/stored_old').send({ owner: 'x' }).expect(201);
    await t.http.post('/v1/assets/source/stored_old/deprecate').send({ reason: 'gone soon' }).expect(200);
    const res = await importLines([
      { ref: 'source:imported_old', owner: 'x', lifecycle: 'deprecated' },
      { ref: 'source:filler_1', owner: 'x' },
      { ref: 'source:filler_2', owner: 'x' },
      { ref: 'feature:on_both', owner: 'x', dependsOn: ['source:imported_old', 'source:stored_old'] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual({
      total: 2,
      items: [
        {
          ref: 'feature:on_both',
          warnings: [
            expect.objectContaining({ code: 'new_dependency_on_deprecated', asset: 'source:imported_old' }),
            expect.objectContaining({ code: 'new_dependency_on_deprecated', asset: 'source:stored_old' }),
          ],
        },
      ],
    });
  });

  it('leaves unchanged assets alone and updates changed ones, with their history', async () => {
    const res = await importLines([
      { ref: 'source:clicks', owner: 'data', stability: 'volatile' },
      { ref: 'source:users', owner: 'data-platform' },
      { ref: 'feature:ctr_7d', owner: 'ads', dependsOn: ['source:clicks', 'source:users'] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ created: 0, updated: 2, unchanged: 1 });
    const feature = await t.http.get('/v1/assets/feature/ctr_7d');
    expect(feature.body.revision).toBe(2);
    expect(feature.body.dependsOn.map((d: { ref: string }) => d.ref)).toEqual(['source:clicks', 'source:users']);
    const up = await t.http.get('/v1/assets/consumer/ranker/upstream');
    expect(up.body.items.map((i: { ref: string }) => i.ref)).toContain('source:users');
    const history = await t.http.get('/v1/assets/source/users/history');
    expect(history.body.items[0]).toMatchObject({
      action: 'update',
      revision: 2,
      changes: [{ field: 'owner', before: 'data', after: 'data-platform' }],
    });
  });

  it('fails as a whole on an invalid line, naming it, and stores nothing, not even earlier chunks', async () => {
    const before = await count();
    const res = await importLines([
      { ref: 'source:a', owner: 'x' },
      { ref: 'source:b', owner: 'x' },
      { ref: 'source:c', owner: 'x' },
      { ref: 'source:d', owner: 'x' },
      { ref: 'source:e' },
      '{"ref": "source:f", ',
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(fields(res)).toEqual(['lines[5].owner', 'lines[6]']);
    expect(await count()).toBe(before);

    const broken = await importLines([{ ref: 'source:a', owner: 'x' }, '{"ref": "source:f", ', 'null']);
    expect(broken.status).toBe(400);
    expect(broken.body.error.details).toEqual([
      { in: 'body', field: 'lines[2]', message: 'is not a JSON object' },
      { in: 'body', field: 'lines[3]', message: expect.any(String) },
    ]);
    expect(await count()).toBe(before);
  });

  it('refuses a dependency that no line and no stored asset provides, after storing every chunk, and rolls back', async () => {
    const before = await count();
    const res = await importLines([
      { ref: 'source:g', owner: 'x' },
      { ref: 'source:h', owner: 'x' },
      { ref: 'feature:gh', owner: 'x', dependsOn: ['source:g', 'source:nowhere'] },
      { ref: 'feature:hh', owner: 'x', dependsOn: ['feature:gh'] },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { in: 'body', field: 'lines[3].dependsOn[1]', message: 'source:nowhere does not exist' },
    ]);
    expect(await count()).toBe(before);
    expect((await t.http.get('/v1/assets/source/g')).status).toBe(404);
    expect((await t.http.get('/v1/assets/source/g/downstream')).status).toBe(404);
  });

  it('refuses a ref listed twice, in the same chunk or in different ones', async () => {
    const before = await count();
    const apart = await importLines([
      { ref: 'source:i', owner: 'x' },
      { ref: 'source:j', owner: 'x' },
      { ref: 'source:k', owner: 'x' },
      { ref: 'source:i', owner: 'y' },
    ]);
    expect(apart.status).toBe(400);
    expect(apart.body.error.details).toEqual([
      { in: 'body', field: 'lines[4].ref', message: 'source:i is listed twice in this import' },
    ]);
    // Two chunks apart, behind a chunk that also updates an asset: found through what the
    // import has planned, whatever the third chunk's read sees of the first chunk's write.
    const behindUpdate = await importLines([
      { ref: 'source:clicks', owner: 'someone-else' },
      { ref: 'source:i', owner: 'x' },
      { ref: 'source:j', owner: 'x' },
      { ref: 'source:k', owner: 'x' },
      { ref: 'source:i', owner: 'y' },
    ]);
    expect(behindUpdate.status).toBe(400);
    expect(behindUpdate.body.error.details).toEqual([
      { in: 'body', field: 'lines[5].ref', message: 'source:i is listed twice in this import' },
    ]);
    expect((await t.http.get('/v1/assets/source/clicks')).body.owner).not.toBe('someone-else');
    const adjacent = await importLines([
      { ref: 'source:i', owner: 'x' },
      { ref: 'source:j', owner: 'x' },
      { ref: 'source:i', owner: 'y' },
    ]);
    expect(adjacent.status).toBe(400);
    expect(fields(adjacent)).toEqual(['lines[3].ref']);
    const together = await importLines([{ ref: 'source:clicks', owner: 'x' }, { ref: 'source:clicks', owner: 'y' }]);
    expect(together.status).toBe(400);
    expect(together.body.error.details[0]).toMatchObject({ field: 'lines[2].ref', message: expect.stringContaining('also at lines[1]') });
    expect(await count()).toBe(before);
  });

  it('stores nothing when the client goes away before the end of the body', async () => {
    const before = await count();
    const { req } = streamedImport();
    // Complete lines, several chunks of them, then the connection drops mid-body.
    req.write(ndjson(Array.from({ length: 7 }, (_, i) => ({ ref: `source:cut${i}`, owner: 'x' }))));
    await sleep(200);
    req.destroy();
    await sleep(500);
    expect(await count()).toBe(before);
    expect((await t.http.get('/v1/assets/source/cut0')).status).toBe(404);
  });

  it('other writes wait for a running import only so long, then answer 503 BUSY; reads go on', async () => {
    const { req, answer } = streamedImport();
    req.write(ndjson([{ ref: 'source:slow', owner: 'x' }]));
    await sleep(200); // the import holds the graph write lock while its client takes its time
    const put = await t.http.put('/v1/assets/source/waiting').send({ owner: 'x' });
    expect(put.status).toBe(503);
    expect(put.headers['retry-after']).toBe('5');
    expect(put.body.error.code).toBe('BUSY');
    const del = await t.http.delete('/v1/assets/source/clicks').query({ force: 'true', reason: 'test' });
    expect(del.status).toBe(503);
    const mutation = await gql(t, 'mutation { deleteAsset(ref: "source:clicks", force: true, reason: "test") { deleted } }');
    expect(mutation.errors?.[0].extensions?.code).toBe('BUSY');
    expect((await t.http.get('/v1/assets/source/clicks/downstream')).status).toBe(200);
    req.end(ndjson([{ ref: 'feature:slow', owner: 'x', dependsOn: ['source:slow'] }]));
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body).counts).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect((await t.http.put('/v1/assets/source/waiting').send({ owner: 'x' })).status).toBe(201);
    expect((await t.http.get('/v1/assets/source/slow/downstream')).body.total).toBe(1);
  });

  it('answers 400 for another content type or an empty body', async () => {
    const json = await t.http.post('/v1/import').send({ assets: [] });
    expect(json.status).toBe(400);
    expect(json.body.error.details).toEqual([{ in: 'headers', field: 'content-type', message: expect.stringContaining('application/x-ndjson') }]);
    const empty = await t.http.post('/v1/import').set('content-type', 'application/x-ndjson').send('\n\n');
    expect(empty.status).toBe(400);
    expect(fields(empty)).toEqual(['body']);
  });
});
