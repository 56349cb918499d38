import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ DEPCAT_BODY_LIMIT: String(256 * 1024) });
  // bidder declares the model, which reads the feature: bidder has no direct dependency on the feature.
  await register(t, [
    { ref: 'source:clicks' },
    { ref: 'feature:ctr_7d', dependsOn: ['source:clicks'] },
    { ref: 'model:ctr', dependsOn: ['feature:ctr_7d'] },
    { ref: 'consumer:bidder', dependsOn: ['model:ctr'] },
    { ref: 'consumer:reporting', dependsOn: ['feature:ctr_7d'] },
    { ref: 'feature:agg' },
    { ref: 'feature:busy' },
    { ref: 'feature:paged' },
  ]);
});
afterAll(() => t?.close());

interface Undeclared {
  identity: string;
  asset: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

const report = async (events: unknown[]) => {
  const res = await t.http.post('/v1/usage').send({ events });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

const undeclared = async (query: string): Promise<Undeclared[]> => {
  const res = await t.http.get(`/v1/undeclared-consumers?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
};

const fields = (res: { body: { error: { details: { field: string }[] } } }) =>
  res.body.error.details.map((d) => d.field).sort();

describe('POST /v1/usage', () => {
  it('sums repeated events per identity and asset: first seen, last seen, count', async () => {
    const receipt = await report([
      { consumer: 'svc-a', asset: 'feature:agg', at: '2026-03-02T10:00:00Z' },
      { consumer: 'svc-a', asset: 'feature:agg', at: '2026-03-01T08:00:00Z', count: 5 },
      { consumer: 'svc-b', asset: 'feature:agg', at: '2026-03-03T00:00:00Z', count: 2 },
    ]);
    expect(receipt).toEqual({ events: 3, reads: 8, pairs: 2 });
    await report([{ consumer: 'svc-a', asset: 'feature:agg', at: '2026-03-05T12:00:00+02:00', count: 4 }]);

    expect(await undeclared('asset=feature:agg')).toEqual([
      { identity: 'svc-a', asset: 'feature:agg', firstSeen: '2026-03-01T08:00:00.000Z', lastSeen: '2026-03-05T10:00:00.000Z', count: 10 },
      { identity: 'svc-b', asset: 'feature:agg', firstSeen: '2026-03-03T00:00:00.000Z', lastSeen: '2026-03-03T00:00:00.000Z', count: 2 },
    ]);
  });

  it('a batch with any bad event is a 400 naming each events[i].field, and writes nothing', async () => {
    const res = await t.http.post('/v1/usage').send({
      events: [
        { consumer: 'svc-bad', asset: 'feature:agg' },
        { consumer: 'svc-bad', asset: 'feature:ghost' },
        { consumer: 'svc-bad', asset: 'feature:agg', count: 0 },
        { consumer: '', asset: 'feature:agg', at: 'yesterday' },
        { consumer: 'svc-bad', asset: 'agg', extra: 1 },
      ],
    });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual([
      'events[2].count',
      'events[3].at',
      'events[3].consumer',
      'events[4].asset',
      'events[4].extra',
    ]);
    // Shape is fine, but an asset does not exist: still 400 and still nothing written.
    const unknown = await t.http.post('/v1/usage').send({
      events: [
        { consumer: 'svc-bad', asset: 'feature:agg' },
        { consumer: 'svc-bad', asset: 'feature:ghost' },
      ],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ in: 'body', field: 'events[1].asset', message: 'feature:ghost does not exist' }]);
    expect((await undeclared('asset=feature:agg')).map((u) => u.identity)).not.toContain('svc-bad');
  });

  it('refuses an empty batch, a missing events field and an unknown API key', async () => {
    expect(fields(await t.http.post('/v1/usage').send({ events: [] }))).toEqual(['events']);
    expect(fields(await t.http.post('/v1/usage').send({}))).toEqual(['events']);
    const res = await t.http.post('/v1/usage').send({ events: [{ consumer: 'dck_not-a-real-key', asset: 'feature:agg' }] });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['events[0].consumer']);
  });

  it('a body over DEPCAT_BODY_LIMIT is a 413 and writes nothing', async () => {
    const events = Array.from({ length: 2000 }, () => ({ consumer: `svc-huge-${'x'.repeat(150)}`, asset: 'feature:agg' }));
    const res = await t.http.post('/v1/usage').send({ events });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await undeclared('asset=feature:agg')).map((u) => u.identity)).not.toContain(`svc-huge-${'x'.repeat(150)}`);
  });

  it('two batches at once lose nothing', async () => {
    const batch = (identity: string) =>
      Array.from({ length: 1500 }, (_, i) => ({ consumer: i % 3 === 0 ? 'shared' : identity, asset: 'feature:busy', count: 2 }));
    const results = await Promise.all([
      t.http.post('/v1/usage').send({ events: batch('one') }),
      t.http.post('/v1/usage').send({ events: batch('two') }),
      t.http.post('/v1/usage').send({ events: batch('one') }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const counts = Object.fromEntries((await undeclared('asset=feature:busy')).map((u) => [u.identity, u.count]));
    expect(counts).toEqual({ shared: 3 * 500 * 2, one: 2 * 1000 * 2, two: 1000 * 2 });
  });
});

describe('undeclared consumers', () => {
  it('a consumer that declared only the model is undeclared for the feature it reads directly', async () => {
    await report([
      { consumer: 'bidder', asset: 'feature:ctr_7d' },
      { consumer: 'consumer:bidder', asset: 'model:ctr' },
      { consumer: 'reporting', asset: 'feature:ctr_7d', count: 3 },
      { consumer: 'notebook-42', asset: 'feature:ctr_7d' },
    ]);
    expect((await undeclared('asset=feature:ctr_7d')).map((u) => u.identity)).toEqual(['bidder', 'notebook-42']);
    expect(await undeclared('asset=model:ctr')).toEqual([]);

    const consumers = await t.http.get('/v1/assets/feature/ctr_7d/consumers').expect(200);
    expect(consumers.body.undeclared.map((u: Undeclared) => u.identity).sort()).toEqual(['bidder', 'notebook-42']);
    expect(consumers.body.undeclared[0]).toEqual({
      identity: expect.any(String),
      firstSeen: expect.any(String),
      lastSeen: expect.any(String),
      count: 1,
    });
  });

  it('an API key used as the identity counts as its consumer', async () => {
    const key = await t.http.post('/v1/assets/consumer/reporting/keys').expect(201);
    await report([{ consumer: key.body.secret, asset: 'source:clicks', count: 7 }]);
    expect(await undeclared('asset=source:clicks')).toMatchObject([{ identity: 'reporting', count: 7 }]);
  });

  it('declaring the direct dependency clears the reader at once', async () => {
    await report([{ consumer: 'bidder', asset: 'feature:ctr_7d' }]);
    expect((await undeclared('asset=feature:ctr_7d')).map((u) => u.identity)).toContain('bidder');
    await t.http
      .put('/v1/assets/consumer/bidder')
      .send({ owner: 'ads', contact: 'ads@example.com', dependsOn: ['model:ctr', 'feature:ctr_7d'] })
      .expect(200);
    expect((await undeclared('asset=feature:ctr_7d')).map((u) => u.identity)).toEqual(['notebook-42']);
  });

  it('since keeps the identities last seen at or after it', async () => {
    await report([
      { consumer: 'old-job', asset: 'feature:paged', at: '2025-01-01T00:00:00Z' },
      { consumer: 'new-job', asset: 'feature:paged', at: '2026-06-02T00:00:00Z' },
    ]);
    expect((await undeclared('asset=feature:paged&since=2026-06-01')).map((u) => u.identity)).toEqual(['new-job']);
    expect((await undeclared('asset=feature:paged&since=2026-06-02T00:00:00Z')).map((u) => u.identity)).toEqual(['new-job']);
    expect((await undeclared('asset=feature:paged&since=2026-06-02T00:00:01Z')).map((u) => u.identity)).toEqual([]);
    expect((await undeclared('asset=feature:paged')).map((u) => u.identity)).toEqual(['new-job', 'old-job']);
  });

  it('pages across assets with a cursor, without repeats', async () => {
    const all = await undeclared('limit=1000');
    expect(all.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Undeclared[]; nextCursor: string | null } } = await t.http.get(`/v1/undeclared-consumers?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((u: Undeclared) => `${u.asset} ${u.identity}`));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((u) => `${u.asset} ${u.identity}`));
  });

  it('an unknown asset is a 404; bad parameters are 400s naming them', async () => {
    expect((await t.http.get('/v1/undeclared-consumers?asset=feature:ghost')).status).toBe(404);
    const res = await t.http.get('/v1/undeclared-consumers?asset=ghost&since=last-week&limit=0&cursor=zz');
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['asset', 'cursor', 'limit', 'since']);
  });
});
