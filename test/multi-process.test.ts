import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTestApp, type TestApp, ADMIN_AUTH, TEST_ENV } from './helpers/test-app.js';

let first: TestApp;
let second: BuiltApp;
beforeAll(async () => {
  first = await startTestApp();
  second = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: first.db.url, LOG_LEVEL: 'silent' }));
  await second.app.ready();
});
afterAll(async () => {
  await second?.app.close();
  await first?.close();
});

describe('two service processes on one database', () => {
  it('a write through one is seen by the next read through the other', async () => {
    const other = supertest.agent(second.app.server).set(ADMIN_AUTH);
    // Warm both indexes first so the second one really has to catch up.
    await first.http.put('/v1/assets/source/shared').send({ owner: 'o' }).expect(201);
    expect((await other.get('/v1/assets/source/shared/downstream')).body.total).toBe(0);
    for (let i = 0; i < 20; i++) {
      await first.http.put(`/v1/assets/feature/f${i}`).send({ owner: 'o', dependsOn: ['source:shared'] }).expect(201);
      expect((await other.get('/v1/assets/source/shared/downstream')).body.total).toBe(i + 1);
    }
    await other.delete('/v1/assets/feature/f0').expect(204);
    expect((await first.http.get('/v1/assets/source/shared/downstream')).body.total).toBe(19);
  });

  it('a write through one resolves what was just written through the other', async () => {
    const other = supertest.agent(second.app.server).set(ADMIN_AUTH);
    // Writes find stored assets and deprecated dependencies through the index, which the
    // other process has not read since these writes.
    await first.http.put('/v1/assets/source/landed').send({ owner: 'o' }).expect(201);
    await other.put('/v1/assets/feature/on_landed').send({ owner: 'o', dependsOn: ['source:landed'] }).expect(201);
    await first.http.put('/v1/assets/source/landed').send({ owner: 'p' }).expect(200);
    const again = await other.put('/v1/assets/source/landed').send({ owner: 'q' });
    expect(again.status).toBe(200);
    expect(again.body.revision).toBe(3);
    await first.http.post('/v1/assets/source/landed/deprecate').send({ reason: 'superseded' }).expect(200);
    const late = await other.put('/v1/assets/model/on_landed').send({ owner: 'o', dependsOn: ['source:landed'] });
    expect(late.status).toBe(201);
    expect(late.body.warnings.map((w: { code: string }) => w.code)).toContain('new_dependency_on_deprecated');
  });

  it('a deletion through one knows the dependents just declared through the other', async () => {
    const other = supertest.agent(second.app.server).set(ADMIN_AUTH);
    await first.http.put('/v1/assets/source/events').send({ owner: 'o' }).expect(201);
    // The other process's index has seen `events` without dependents.
    expect((await other.get('/v1/assets/source/events/downstream')).body.total).toBe(0);
    await first.http.put('/v1/assets/feature/sessions').send({ owner: 'o', dependsOn: ['source:events'] }).expect(201);
    const refused = await other.delete('/v1/assets/source/events');
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.total).toBe(1);
    await other.delete('/v1/assets/source/events').query({ force: 'true', reason: 'replaced' }).expect(204);
    const sessions = await first.http.get('/v1/assets/feature/sessions');
    expect(sessions.body).toMatchObject({ dependsOn: [], revision: 2 });
  });

  it('a deprecation through one is warned about by the next read through the other', async () => {
    const other = supertest.agent(second.app.server).set(ADMIN_AUTH);
    await first.http.put('/v1/assets/source/old_logs').send({ owner: 'o' }).expect(201);
    await first.http.put('/v1/assets/model/reader').send({ owner: 'o', dependsOn: ['source:old_logs'] }).expect(201);
    expect((await other.get('/v1/assets/model/reader')).body.warnings).toEqual([]);
    await first.http.post('/v1/assets/source/old_logs/deprecate').send({ reason: 'moving to the new pipeline' }).expect(200);
    const warned = (await other.get('/v1/assets/model/reader')).body.warnings;
    expect(warned.map((w: { code: string; asset: string }) => [w.code, w.asset])).toEqual([['depends_on_deprecated', 'source:old_logs']]);
    await other.post('/v1/assets/source/old_logs/reinstate').send({}).expect(200);
    expect((await first.http.get('/v1/assets/model/reader')).body.warnings).toEqual([]);
  });
});
