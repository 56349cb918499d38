import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await register(t, [
    { ref: 'source:logs', lifecycle: 'experimental' },
    { ref: 'model:ctr', dependsOn: ['source:logs'], lifecycle: 'experimental' },
    { ref: 'consumer:bidder', dependsOn: ['model:ctr'], lifecycle: 'experimental' },
  ]);
});
afterAll(() => t?.close());

describe('undeclared_consumer findings come from the observed reads', () => {
  it('flags a reader without a direct declared dependency, and not a declared one', async () => {
    await t.http
      .post('/v1/usage')
      .send({ events: [{ consumer: 'bidder', asset: 'source:logs', count: 3 }, { consumer: 'bidder', asset: 'model:ctr' }, { consumer: 'svc-x', asset: 'model:ctr' }] })
      .expect(200);
    const all = (await t.http.get('/v1/findings?type=undeclared_consumer').expect(200)).body.items;
    const flagged = all.map((f: { assets: string[]; message: string }) => [f.assets.join(' '), f.message]);
    expect(flagged.some(([assets, message]: string[]) => assets.includes('source:logs') && message.includes('bidder'))).toBe(true);
    expect(flagged.some(([assets, message]: string[]) => assets.includes('model:ctr') && message.includes('svc-x'))).toBe(true);
    expect(flagged.some(([assets, message]: string[]) => assets.includes('model:ctr') && message.includes('bidder'))).toBe(false);
    const one = (await t.http.get('/v1/findings?type=undeclared_consumer&asset=source:logs').expect(200)).body.items;
    expect(one).toHaveLength(1);
  });
});
