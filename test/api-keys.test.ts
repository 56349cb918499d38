import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [{ ref: 'model:m' }, { ref: 'consumer:app', dependsOn: ['model:m'] }, { ref: 'source:app' }]);
});
afterAll(() => t?.close());

describe('API keys', () => {
  it('issues a key whose secret is shown once and stored only as a hash', async () => {
    const res = await t.http.post('/v1/assets/consumer/app/keys');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      consumer: 'app',
      secret: expect.stringMatching(/^dct_[A-Za-z0-9_-]{43}$/),
      prefix: res.body.secret.slice(0, 12),
      createdAt: expect.any(String),
    });
    const stored = await t.container.db.prisma.token.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(JSON.stringify(stored)).not.toContain(res.body.secret);

    const list = await t.http.get('/v1/assets/consumer/app/keys').expect(200);
    expect(list.body.items).toEqual([{ id: res.body.id, prefix: res.body.prefix, createdAt: res.body.createdAt, revokedAt: null }]);
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret);
  });

  it('two keys are different; revoking one keeps its revocation time and leaves the other', async () => {
    const a = (await t.http.post('/v1/assets/consumer/app/keys').expect(201)).body;
    const b = (await t.http.post('/v1/assets/consumer/app/keys').expect(201)).body;
    expect(a.secret).not.toBe(b.secret);
    await t.http.delete(`/v1/assets/consumer/app/keys/${a.id}`).expect(204);
    const first = (await t.http.get('/v1/assets/consumer/app/keys')).body.items;
    await t.http.delete(`/v1/assets/consumer/app/keys/${a.id}`).expect(204);
    const again = (await t.http.get('/v1/assets/consumer/app/keys')).body.items;
    const revokedAt = (items: { id: number; revokedAt: string | null }[], id: number) => items.find((k) => k.id === id)?.revokedAt;
    expect(revokedAt(first, a.id)).toEqual(expect.any(String));
    expect(revokedAt(again, a.id)).toBe(revokedAt(first, a.id));
    expect(revokedAt(again, b.id)).toBeNull();
  });

  it('unknown consumers and keys are 404s; a key of another consumer is not found either', async () => {
    expect((await t.http.post('/v1/assets/consumer/ghost/keys')).status).toBe(404);
    expect((await t.http.get('/v1/assets/consumer/ghost/keys')).status).toBe(404);
    expect((await t.http.delete('/v1/assets/consumer/ghost/keys/1')).status).toBe(404);
    expect((await t.http.delete('/v1/assets/consumer/app/keys/999999')).status).toBe(404);
    await t.http.put('/v1/assets/consumer/other').send({ owner: 'o', contact: 'o@example.com' }).expect(201);
    const mine = (await t.http.post('/v1/assets/consumer/app/keys').expect(201)).body;
    expect((await t.http.delete(`/v1/assets/consumer/other/keys/${mine.id}`)).status).toBe(404);
    expect((await t.http.delete('/v1/assets/consumer/app/keys/abc')).status).toBe(400);
  });

  it('the keys routes leave the other consumer routes intact', async () => {
    await t.http.get('/v1/assets/consumer/app').expect(200);
    const up = await t.http.get('/v1/assets/consumer/app/upstream').expect(200);
    expect(up.body.items.map((i: { ref: string }) => i.ref)).toEqual(['model:m']);
  });
});
