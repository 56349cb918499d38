import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosureIndex } from '../src/graph/closure-index.js';
import { ModelChains } from '../src/graph/model-chains.js';
import { gql } from './helpers/graphql.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

interface Finding {
  type: string;
  severity: string;
  assets: string[];
  assetsTotal?: number;
  message: string;
  fix: string;
}

/** model:c0000 (on a feature) ← model:c0001 ← … ← model:c<N-1>: one correction chain of N models. */
const N = 3000;
const model = (i: number) => `model:c${String(i).padStart(4, '0')}`;
const MAX_ASSETS = 20;
const PAGE_BYTES = 4 * 1024 * 1024;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  const lines = [
    { ref: 'source:chain_src', owner: 'team-data' },
    { ref: 'feature:chain_f', owner: 'team-data', dependsOn: ['source:chain_src'] },
    { ref: model(0), owner: 'team-model', dependsOn: ['feature:chain_f'] },
    ...Array.from({ length: N - 1 }, (_, i) => ({ ref: model(i + 1), owner: i + 1 === N - 1 ? 'team-top' : 'team-model', dependsOn: [model(i)] })),
    { ref: 'consumer:chain_app', owner: 'team-app', contact: 'app@example.com', dependsOn: [model(N - 1)] },
  ];
  const res = await t.http
    .post('/v1/import')
    .set('content-type', 'application/x-ndjson')
    .send(lines.map((line) => JSON.stringify(line)).join('\n'));
  expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
}, 60_000);
afterAll(() => t?.close());

const get = async (query: string) => {
  const res = await t.http.get(`/v1/findings?${query}`);
  expect(res.status).toBe(200);
  return { body: res.body as { items: Finding[]; total: number; nextCursor: string | null }, bytes: Buffer.byteLength(res.text) };
};

/** What a cascade from model i must look like: top down, cut to its first 19 and its last when longer than 20. */
function expectCascadeFrom(finding: Finding, top: number) {
  const length = top + 1;
  expect(finding.type).toBe('correction_cascade');
  expect(finding.severity).toBe(length >= 3 ? 'warning' : 'info');
  expect(finding.assets.length).toBeLessThanOrEqual(MAX_ASSETS);
  expect(finding.message).toContain(length === 2 ? 'one hop' : `${length} models deep`);
  if (length <= MAX_ASSETS) {
    expect(finding.assets).toEqual(Array.from({ length }, (_, k) => model(top - k)));
    expect(finding.assetsTotal).toBeUndefined();
  } else {
    expect(finding.assets).toEqual([...Array.from({ length: MAX_ASSETS - 1 }, (_, k) => model(top - k)), model(0)]);
    expect(finding.assetsTotal).toBe(length);
    expect(finding.message).toContain(`${length - MAX_ASSETS} more down to ${model(0)}`);
  }
  // A finding stays small whatever the chain: 20 refs in the list, a few more in the text.
  expect(Buffer.byteLength(JSON.stringify(finding))).toBeLessThan(4_000);
}

describe(`findings on a correction chain of ${N} models`, () => {
  it('lists one cascade per model on a model, each bounded, top down, with the chain\'s length and end', async () => {
    const first = await get('type=correction_cascade&limit=1000');
    expect(first.body.total).toBe(N - 1);
    expect(first.body.items).toHaveLength(1000);
    console.log(`a page of 1000 cascades on a ${N}-model chain: ${first.bytes} bytes`);
    // Unbounded, this page alone named half a million refs, twice each (tens of MB).
    expect(first.bytes).toBeLessThan(PAGE_BYTES);

    const all: Finding[] = [...first.body.items];
    for (let cursor = first.body.nextCursor; cursor; ) {
      const page = await get(`type=correction_cascade&limit=1000&cursor=${cursor}`);
      expect(page.bytes).toBeLessThan(PAGE_BYTES);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(all).toHaveLength(N - 1);
    const heads = all.map((f) => f.assets[0]);
    expect(new Set(heads).size).toBe(N - 1);
    const byHead = new Map(all.map((f) => [f.assets[0], f]));
    for (const top of [1, 2, 3, 19, 20, 21, 1500, N - 1]) expectCascadeFrom(byHead.get(model(top))!, top);
    for (const finding of all) expect(finding.assets.length).toBeLessThanOrEqual(MAX_ASSETS);
  });

  it('every finding of the full listing is bounded, and so is each page', async () => {
    let count = 0;
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
      const page = await get(`limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.bytes).toBeLessThan(PAGE_BYTES);
      for (const finding of page.body.items) {
        expect(finding.assets.length).toBeLessThanOrEqual(MAX_ASSETS);
        expect(Buffer.byteLength(JSON.stringify(finding))).toBeLessThan(4_000);
      }
      count += page.body.items.length;
      cursor = page.body.nextCursor;
    }
    expect(count).toBeGreaterThanOrEqual(N - 1);
  });

  it('asset: every cascade through a model, also where its listing is cut before it', async () => {
    // The bottom model: every chain passes through it.
    const bottom = await get(`asset=${model(0)}&type=correction_cascade&limit=1000`);
    expect(bottom.body.total).toBe(N - 1);
    expect(bottom.bytes).toBeLessThan(PAGE_BYTES);
    // A model in the middle: its own chain and those of the models above it.
    const middle = await get(`asset=${model(1500)}&type=correction_cascade&limit=1000`);
    expect(middle.body.total).toBe(N - 1500);
    const top = new Map(middle.body.items.map((f) => [f.assets[0], f]));
    expectCascadeFrom(top.get(model(1500))!, 1500);
    expectCascadeFrom(top.get(model(1501))!, 1501);
    // The top model: only its own chain.
    const head = await get(`asset=${model(N - 1)}&type=correction_cascade`);
    expect(head.body.total).toBe(1);
    expectCascadeFrom(head.body.items[0], N - 1);
  });

  it('owner: a cut-down chain names its listed models and its last', async () => {
    const top = await get('owner=team-top&type=correction_cascade');
    expect(top.body.items.map((f) => f.assets[0])).toEqual([model(N - 1)]);
  });

  it('GraphQL: the same bounded findings, with assetsTotal', async () => {
    const res = await gql(t, `{ findings(filter: { asset: "${model(N - 1)}", types: [correction_cascade] }) { total items { assets assetsTotal message } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.findings.total).toBe(1);
    const [finding] = res.data.findings.items;
    expect(finding.assets).toHaveLength(MAX_ASSETS);
    expect(finding.assetsTotal).toBe(N);
    expect(finding.message).toContain(`${N} models deep`);
  });
});

describe('model chains stay linear', () => {
  it('sums up every chain of a 60,000-model chain, and finds the chains through its bottom, in bounded steps', () => {
    const n = 60_000;
    const index = new ClosureIndex();
    index.apply({ seq: 1, id: 1, kind: 'feature', name: 'f', owner: 'o', dependsOn: [] });
    for (let i = 0; i < n; i++)
      index.apply({ seq: i + 2, id: i + 2, kind: 'model', name: `m${i}`, owner: 'o', dependsOn: [i === 0 ? 1 : i + 1] });
    const chains = new ModelChains(index);
    let listed = 0;
    let wrongLengths = 0;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const chain = chains.chainFrom(i + 2, MAX_ASSETS);
      if (chain.length !== i + 1) wrongLengths++;
      listed += chain.ids.length;
    }
    const through = chains.modelsThrough(2);
    console.log(`60,000-model chain: every chain summed up and the chains through its bottom in ${(performance.now() - started).toFixed(0)} ms`);
    expect(wrongLengths).toBe(0);
    expect(listed).toBeLessThanOrEqual(n * MAX_ASSETS);
    expect(chains.chainFrom(n + 1, MAX_ASSETS).ids).toEqual([...Array.from({ length: MAX_ASSETS - 1 }, (_, k) => n + 1 - k), 2]);
    expect(through).toHaveLength(n);
  });
});

describe('a page of findings about assets with long names', () => {
  let long: TestApp;
  const M = 600;
  const name = (i: number) => `m${String(i).padStart(4, '0')}_${'x'.repeat(194)}`;
  beforeAll(async () => {
    long = await startTestApp();
    const lines = [
      { ref: 'feature:long_f', owner: 'team-data' },
      ...Array.from({ length: M }, (_, i) => ({ ref: `model:${name(i)}`, owner: 'team-model', dependsOn: [i === 0 ? 'feature:long_f' : `model:${name(i - 1)}`] })),
    ];
    const res = await long.http
      .post('/v1/import')
      .set('content-type', 'application/x-ndjson')
      .send(lines.map((line) => JSON.stringify(line)).join('\n'));
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(() => long?.close());

  it('is cut short at 4 MiB of JSON, and its cursor goes on without a gap or a repeat', async () => {
    const heads: string[] = [];
    let pages = 0;
    let total = 0;
    for (let cursor: string | null = null; pages === 0 || cursor; pages++) {
      const res = await long.http.get(`/v1/findings?type=correction_cascade&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(PAGE_BYTES);
      heads.push(...res.body.items.map((f: Finding) => f.assets[0]));
      total = res.body.total;
      cursor = res.body.nextCursor;
    }
    expect(total).toBe(M - 1);
    expect(pages).toBeGreaterThan(1);
    expect(heads).toHaveLength(M - 1);
    expect(new Set(heads).size).toBe(M - 1);
  });
});
