import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

// The server default is `warn`: assets without an accessPolicy are checked in warn mode.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ DEPCAT_ACCESS_POLICY: 'warn' });
  await register(t, [
    { ref: 'source:clicks' },
    { ref: 'feature:ctr_7d', dependsOn: ['source:clicks'] },
    { ref: 'model:ctr', dependsOn: ['feature:ctr_7d'] },
    { ref: 'consumer:bidder', dependsOn: ['model:ctr'] },
    { ref: 'consumer:reporting', dependsOn: ['feature:ctr_7d', 'feature:old', 'feature:fading'] },
    { ref: 'feature:old', accessPolicy: 'enforce' },
    { ref: 'feature:fading', accessPolicy: 'enforce' },
    { ref: 'feature:counted', accessPolicy: 'enforce' },
  ]);
  // Deprecation has its own endpoint elsewhere; here only its stored effect matters.
  await t.container.db.prisma.$executeRawUnsafe(
    `UPDATE assets SET deprecation_reason = 'replaced', deprecated_at = now(), replaced_by = 'feature:ctr_7d',
            sunset_at = CASE name WHEN 'old' THEN current_date - 1 ELSE current_date + 30 END
      WHERE kind = 'feature' AND name IN ('old', 'fading')`,
  );
});
afterAll(() => t?.close());

const check = async (body: object, key?: string) => {
  const req = t.http.post('/v1/access-check');
  if (key) req.set('authorization', `Bearer ${key}`);
  const res = await req.send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

const setPolicy = (policy: string | null) =>
  t.http
    .put('/v1/assets/feature/ctr_7d')
    .send({ owner: 'team-feature', dependsOn: ['source:clicks'], ...(policy ? { accessPolicy: policy } : {}) })
    .expect(200);

const decisionsFor = async () => ({
  declared: await check({ consumer: 'reporting', asset: 'feature:ctr_7d' }),
  transitiveOnly: await check({ consumer: 'bidder', asset: 'feature:ctr_7d' }),
  unregistered: await check({ consumer: 'notebook-42', asset: 'feature:ctr_7d' }),
});

const brief = (d: { allowed: boolean; mode: string; reason: string; warnings: { code: string }[] }) => ({
  allowed: d.allowed,
  mode: d.mode,
  reason: d.reason,
  warnings: d.warnings.map((w) => w.code),
});

describe('decisions per mode', () => {
  it('open allows everyone, without warnings', async () => {
    await setPolicy('open');
    const d = await decisionsFor();
    expect(brief(d.declared)).toEqual({ allowed: true, mode: 'open', reason: 'open', warnings: [] });
    expect(brief(d.transitiveOnly)).toEqual({ allowed: true, mode: 'open', reason: 'open', warnings: [] });
    expect(brief(d.unregistered)).toEqual({ allowed: true, mode: 'open', reason: 'open', warnings: [] });
  });

  it('warn (here the server default) allows everyone and warns the undeclared', async () => {
    await setPolicy(null);
    const d = await decisionsFor();
    expect(brief(d.declared)).toEqual({ allowed: true, mode: 'warn', reason: 'declared', warnings: [] });
    expect(brief(d.transitiveOnly)).toEqual({ allowed: true, mode: 'warn', reason: 'undeclared', warnings: ['undeclared'] });
    expect(brief(d.unregistered)).toEqual({ allowed: true, mode: 'warn', reason: 'unregistered', warnings: ['unregistered'] });
  });

  it('enforce refuses exactly the undeclared: transitive-only and unknown names included', async () => {
    await setPolicy('enforce');
    const d = await decisionsFor();
    expect(brief(d.declared)).toEqual({ allowed: true, mode: 'enforce', reason: 'declared', warnings: [] });
    expect(brief(d.transitiveOnly)).toEqual({ allowed: false, mode: 'enforce', reason: 'undeclared', warnings: [] });
    expect(brief(d.unregistered)).toEqual({ allowed: false, mode: 'enforce', reason: 'unregistered', warnings: [] });
    // The consumer's own ref names it too.
    expect((await check({ consumer: 'consumer:reporting', asset: 'feature:ctr_7d' })).allowed).toBe(true);
    expect(await check({ consumer: 'bidder', asset: 'model:ctr' })).toMatchObject({ allowed: true, consumer: 'bidder' });
  });

  it('enforce refuses everyone, declared or not, once the asset is past its sunset', async () => {
    const declared = await check({ consumer: 'reporting', asset: 'feature:old' });
    expect(brief(declared)).toEqual({ allowed: false, mode: 'enforce', reason: 'past_sunset', warnings: [] });
    expect(declared.message).toContain('feature:ctr_7d');
    expect((await check({ consumer: 'bidder', asset: 'feature:old' })).reason).toBe('past_sunset');
  });

  it('before the sunset a declared consumer is allowed with a deprecation warning', async () => {
    const d = await check({ consumer: 'reporting', asset: 'feature:fading' });
    expect(brief(d)).toEqual({ allowed: true, mode: 'enforce', reason: 'declared', warnings: ['deprecated'] });
  });

  it('past sunset outside enforce is allowed with a warning', async () => {
    await t.http.put('/v1/assets/feature/old').send({ owner: 'team-feature', accessPolicy: 'warn' }).expect(200);
    const d = await check({ consumer: 'reporting', asset: 'feature:old' });
    expect(brief(d)).toEqual({ allowed: true, mode: 'warn', reason: 'declared', warnings: ['past_sunset'] });
    await t.http.put('/v1/assets/feature/old').send({ owner: 'team-feature', accessPolicy: 'enforce' }).expect(200);
  });
});

describe('API keys as the credential', () => {
  let secret: string;
  beforeAll(async () => {
    secret = (await t.http.post('/v1/assets/consumer/reporting/keys').expect(201)).body.secret;
    // A key is a consumer token: its secret has the tokens' prefix.
    expect(secret).toMatch(/^dct_[A-Za-z0-9_-]{43}$/);
  });

  it('the key names the consumer; the body may leave it out or repeat it', async () => {
    await setPolicy('enforce');
    expect(await check({ asset: 'feature:ctr_7d' }, secret)).toMatchObject({ allowed: true, reason: 'declared', consumer: 'reporting' });
    expect((await check({ asset: 'feature:ctr_7d', consumer: 'reporting' }, secret)).allowed).toBe(true);
    expect(await check({ asset: 'model:ctr' }, secret)).toMatchObject({ allowed: true, mode: 'warn', reason: 'undeclared' });
  });

  it('a body naming another consumer than the key is ignored: the check is the key\'s consumer\'s', async () => {
    // bidder declares model:ctr, reporting does not: the answer tells whose check it was.
    expect(await check({ asset: 'model:ctr', consumer: 'bidder' })).toMatchObject({ consumer: 'bidder', reason: 'declared' });
    expect(await check({ asset: 'model:ctr', consumer: 'bidder' }, secret)).toMatchObject({
      allowed: true,
      mode: 'warn',
      reason: 'undeclared',
      consumer: 'reporting',
    });
  });

  it('unknown, malformed and revoked keys are 401s', async () => {
    const post = (authorization: string) =>
      t.http.post('/v1/access-check').set('authorization', authorization).send({ asset: 'feature:ctr_7d' });
    expect((await post('Bearer dct_nope')).status).toBe(401);
    expect((await post('Bearer dck_nope')).status).toBe(401);
    expect((await post('Basic dXNlcjpwdw==')).status).toBe(401);

    const issued = await t.http.post('/v1/assets/consumer/reporting/keys').expect(201);
    expect((await post(`Bearer ${issued.body.secret}`)).status).toBe(200);
    await t.http.delete(`/v1/assets/consumer/reporting/keys/${issued.body.id}`).expect(204);
    const revoked = await post(`Bearer ${issued.body.secret}`);
    expect(revoked.status).toBe(401);
    // A key is a consumer token named after its consumer and its listed prefix.
    expect(revoked.body.error).toEqual({
      code: 'UNAUTHORIZED',
      message: `the token "consumer:reporting/${issued.body.prefix}" has been revoked`,
      requestId: expect.any(String),
    });
    expect(revoked.headers['www-authenticate']).toBe('Bearer realm="depcat"');
    // The other key of the same consumer still works.
    expect((await post(`Bearer ${secret}`)).status).toBe(200);
  });
});

describe('recording', () => {
  it('every refused check is recorded as one read', async () => {
    for (let i = 0; i < 3; i++) expect((await check({ consumer: 'stranger', asset: 'feature:counted' })).allowed).toBe(false);
    for (let i = 0; i < 2; i++) await check({ consumer: 'reporting', asset: 'feature:counted' });
    const res = await t.http.get('/v1/undeclared-consumers?asset=feature:counted').expect(200);
    expect(res.body.items).toMatchObject([{ identity: 'reporting', count: 2 }, { identity: 'stranger', count: 3 }]);
  });

  it('a declared consumer\'s checks are recorded too: they show once the declaration is gone', async () => {
    await t.http
      .put('/v1/assets/consumer/reporting')
      .send({ owner: 'o', contact: 'r@example.com', dependsOn: ['feature:old', 'feature:fading'] })
      .expect(200);
    const res = await t.http.get('/v1/undeclared-consumers?asset=feature:ctr_7d').expect(200);
    const reporting = res.body.items.find((u: { identity: string }) => u.identity === 'reporting');
    // 4 by name in the mode tests, 4 with keys that answered 200; the 401s are not reads (and
    // the check whose body named bidder was reporting's read of model:ctr, not of this asset).
    expect(reporting.count).toBe(8);
  });
});

describe('concurrent checks', () => {
  it('checks answered by one shared statement each get their own answer', async () => {
    await setPolicy('enforce');
    await t.http
      .put('/v1/assets/consumer/reporting')
      .send({ owner: 'o', contact: 'r@example.com', dependsOn: ['feature:ctr_7d'] })
      .expect(200);
    const asks = Array.from({ length: 60 }, (_, i) => ({
      consumer: ['reporting', 'bidder', `svc-${i}`][i % 3],
      asset: i % 2 === 0 ? 'feature:ctr_7d' : 'model:ctr',
    }));
    const answers = await Promise.all(asks.map((body) => t.http.post('/v1/access-check').send(body)));
    answers.forEach((res, i) => {
      const { consumer, asset } = asks[i];
      const declared = (consumer === 'reporting' && asset === 'feature:ctr_7d') || (consumer === 'bidder' && asset === 'model:ctr');
      expect(res.body).toMatchObject({ consumer, asset });
      // model:ctr has no policy: the server default, warn, allows everyone.
      expect(res.body.allowed).toBe(declared || asset === 'model:ctr');
      expect(res.body.reason).toBe(declared ? 'declared' : consumer.startsWith('svc-') ? 'unregistered' : 'undeclared');
    });
  });
});

describe('bad requests', () => {
  it('an unknown asset is a 404', async () => {
    const res = await t.http.post('/v1/access-check').send({ consumer: 'bidder', asset: 'feature:ghost' });
    expect(res.status).toBe(404);
  });

  it('without a key the consumer is required; a key belongs in the header; fields are named', async () => {
    const fields = async (body: object) =>
      (await t.http.post('/v1/access-check').send(body).expect(400)).body.error.details.map((d: { field: string }) => d.field).sort();
    expect(await fields({ asset: 'feature:ctr_7d' })).toEqual(['consumer']);
    expect(await fields({ asset: 'feature:ctr_7d', consumer: 'dct_abc' })).toEqual(['consumer']);
    expect(await fields({ asset: 'feature:ctr_7d', consumer: 'dck_abc' })).toEqual(['consumer']);
    expect(await fields({ asset: 'ctr_7d', consumer: '', mode: 'x' })).toEqual(['asset', 'consumer', 'mode']);
  });
});
