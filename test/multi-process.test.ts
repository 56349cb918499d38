import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let first: TestApp;
let second: BuiltApp;
beforeAll(async () => {
  first = await startTestApp();
  second = await buildApp(loadConfig({ DATABASE_URL: first.db.url, LOG_LEVEL: 'silent' }));
  await second.app.ready();
});
afterAll(async () => {
  await second?.app.close();
  await first?.close();
});

describe('two service processes on one database', () => {
  it('a write through one is seen by the next read through the other', async () => {
    const other = supertest(second.app.server);
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
});
