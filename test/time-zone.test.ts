import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * A database whose own time zone puts it on another calendar day than UTC right now:
 * Kiritimati (UTC+14) is a day ahead from 10:00 UTC on, and UTC−12 a day behind until
 * 12:00 UTC, so one of them always disagrees with UTC about today's date.
 */
const zone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Etc/GMT+12';
const todayUtc = new Date().toISOString().slice(0, 10);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { timeZone: zone });
  await register(t, [
    { ref: 'source:raw' },
    { ref: 'feature:fading', accessPolicy: 'enforce', dependsOn: ['source:raw'] },
    { ref: 'consumer:reader', dependsOn: ['feature:fading'] },
  ]);
});
afterAll(() => t?.close());

describe(`a database whose time zone is ${zone}`, () => {
  it('returns every timestamp as the instant it is, in UTC', async () => {
    const before = Date.now();
    const res = await t.http.put('/v1/assets/source/stamped').send({ owner: 'data' }).expect(201);
    const after = Date.now();
    for (const stamp of [res.body.createdAt, res.body.updatedAt]) {
      expect(stamp).toMatch(/Z$/);
      expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(stamp)).toBeLessThanOrEqual(after + 1000);
    }
    const read = await t.http.get('/v1/assets/source/stamped').expect(200);
    expect(read.body.createdAt).toBe(res.body.createdAt);
    const history = await t.http.get('/v1/assets/source/stamped/history').expect(200);
    expect(Math.abs(Date.parse(history.body.items[0].at) - Date.parse(res.body.createdAt))).toBeLessThan(1000);
  });

  it('judges a sunset of today (UTC) as not yet past in the access check, the write rules and the findings alike', async () => {
    await t.http
      .post('/v1/assets/feature/fading/deprecate')
      .send({ reason: 'replaced', sunsetAt: todayUtc })
      .expect(200);
    // The access check: a declared consumer may still read an asset whose sunset is today.
    const check = await t.http.post('/v1/access-check').send({ consumer: 'reader', asset: 'feature:fading' }).expect(200);
    expect(check.body).toMatchObject({ allowed: true });
    // The write rules: a new dependency is still accepted, with a warning.
    const put = await t.http.put('/v1/assets/model/late').send({ owner: 'ml', dependsOn: ['feature:fading'] }).expect(201);
    expect(put.body.warnings.map((w: { code: string }) => w.code)).toContain('new_dependency_on_deprecated');
    // The findings: not past its sunset either.
    const findings = await t.http.get('/v1/findings?asset=feature:fading').expect(200);
    expect(JSON.stringify(findings.body)).not.toMatch(/past (its )?sunset/i);
  });
});
