import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { gql, type GraphQLResponse } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// Services say what to do as an operation (a hint) in words that name no adapter;
// REST attaches its request, GraphQL names its mutation. The same refusals, through both.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [
    { ref: 'source:held' },
    { ref: 'feature:leans', dependsOn: ['source:held'] },
    { ref: 'feature:retiring' },
    { ref: 'feature:orphan', description: 'nothing reads it' },
  ]);
  await t.http.post('/v1/assets/feature/retiring/deprecate').send({ reason: 'superseded' }).expect(200);
  await t.http.put('/v1/assets/model/late').send({ owner: 'o', dependsOn: ['feature:retiring'] }).expect(201);
});
afterAll(() => t?.close());

const onlyError = (res: GraphQLResponse) => {
  expect(res.errors, 'expected exactly one error').toHaveLength(1);
  return res.errors![0];
};

describe('undoing a deprecation by a write', () => {
  it('REST names the reinstate request in the issue and the message; the body keeps its shape', async () => {
    const res = await t.http.put('/v1/assets/feature/retiring').send({ owner: 'o', lifecycle: 'production' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      {
        in: 'body',
        field: 'lifecycle',
        message: 'feature:retiring is deprecated; reinstate it to undo that (POST /v1/assets/feature/retiring/reinstate)',
      },
    ]);
    expect(res.body.error.message).toBe(`lifecycle: ${res.body.error.details[0].message}`);
  });

  it('a batch names the item, as its body does', async () => {
    const res = await t.http.post('/v1/batch').send({ assets: [{ ref: 'source:fine', owner: 'o' }, { ref: 'feature:retiring', owner: 'o', lifecycle: 'experimental' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((i: { field: string }) => i.field)).toEqual(['assets[1].lifecycle']);
  });

  it('GraphQL names the mutation in extensions, under the argument, and no REST request anywhere', async () => {
    const res = await gql(t, `mutation ($input: AssetInput!) { upsertAsset(ref: "feature:retiring", input: $input) { status } }`, {
      input: { owner: 'o', lifecycle: 'production' },
    });
    const error = onlyError(res);
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    expect(error.extensions!.issues).toEqual([
      {
        in: 'body',
        field: 'input.lifecycle',
        message: 'feature:retiring is deprecated; reinstate it to undo that',
        hint: { operation: 'reinstate', ref: 'feature:retiring', mutation: 'reinstateAsset' },
      },
    ]);
    expect(error.message).toBe('input.lifecycle: feature:retiring is deprecated; reinstate it to undo that');
    expect(JSON.stringify(res)).not.toContain('/v1/');
  });
});

describe('deleting what others depend on', () => {
  it('REST attaches the forced request', async () => {
    const res = await t.http.delete('/v1/assets/source/held');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'source:held has 1 dependent; delete them first, or force the deletion with a reason (DELETE /v1/assets/source/held?force=true&reason=…)',
    );
    expect(res.body.error.details.root).toBe('source:held');
  });

  it('GraphQL names deleteAsset with force, beside the impact report', async () => {
    const res = await gql(t, `mutation { deleteAsset(ref: "source:held") { deleted } }`);
    const error = onlyError(res);
    expect(error.message).toBe('source:held has 1 dependent; delete them first, or force the deletion with a reason');
    expect(error.extensions).toMatchObject({
      code: 'CONFLICT',
      hint: { operation: 'forceDelete', ref: 'source:held', mutation: 'deleteAsset', arguments: { force: true } },
      impact: { root: 'source:held', total: 1 },
    });
    const noReason = onlyError(await gql(t, `mutation { deleteAsset(ref: "source:held", force: true) { deleted } }`));
    expect(noReason.message).not.toContain('force=true');
  });
});

describe('a stale precondition', () => {
  it('REST names its If-Match header; GraphQL does not', async () => {
    const rest = await t.http.put('/v1/assets/source/held').set('If-Match', '"7"').send({ owner: 'o' });
    expect(rest.status).toBe(412);
    expect(rest.body.error.message).toBe('If-Match: revision 7 is stale; source:held is at revision 1');
    const res = await gql(t, `mutation { upsertAsset(ref: "source:held", input: { owner: "o" }, ifMatch: 7) { status } }`);
    expect(onlyError(res)).toMatchObject({
      message: 'revision 7 is stale; source:held is at revision 1',
      extensions: { code: 'PRECONDITION_FAILED', details: { currentRevision: 1 } },
    });
  });
});

describe('finding fixes', () => {
  const query = `query ($filter: FindingFilter) { findings(filter: $filter, first: 100) { items { type assets fix hint { operation mutation ref dependsOn } } } }`;

  it('REST attaches the request to the fix; GraphQL gives the mutation as a hint and a fix in words', async () => {
    const rest = (await t.http.get('/v1/findings?type=unused,missing_annotations&asset=feature:orphan').expect(200)).body.items;
    const unused = rest.find((f: { type: string }) => f.type === 'unused');
    expect(unused.fix).toBe(
      'If something does use feature:orphan, register that dependency; otherwise mark it retired, or delete it (DELETE /v1/assets/feature/orphan).',
    );
    expect(unused).not.toHaveProperty('hint');
    const missing = rest.find((f: { type: string }) => f.type === 'missing_annotations');
    expect(missing.fix).toBe('Add valueType, platforms and domains to feature:orphan (PUT /v1/assets/feature/orphan).');

    const res = await gql(t, query, { filter: { types: ['unused', 'missing_annotations'], asset: 'feature:orphan' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.findings.items).toEqual([
      {
        type: 'unused',
        assets: ['feature:orphan'],
        fix: 'If something does use feature:orphan, register that dependency; otherwise mark it retired, or delete it.',
        hint: { operation: 'delete', mutation: 'deleteAsset', ref: 'feature:orphan', dependsOn: null },
      },
      {
        type: 'missing_annotations',
        assets: ['feature:orphan'],
        fix: 'Add valueType, platforms and domains to feature:orphan.',
        hint: { operation: 'upsert', mutation: 'upsertAsset', ref: 'feature:orphan', dependsOn: null },
      },
    ]);
  });

  it('a fix that is no single operation has no hint', async () => {
    const res = await gql(t, query, { filter: { types: ['deprecated_in_use'] } });
    expect(res.data.findings.items).toEqual([expect.objectContaining({ assets: ['model:late', 'feature:retiring'], hint: null })]);
  });
});
