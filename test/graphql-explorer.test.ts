import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/** Debian's Chromium; .ci/run installs it when missing. */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await startTestApp();
  // The README tour's graph: the example query asks about source:clicks.
  await register(t, [
    { ref: 'source:clicks', stability: 'volatile' },
    { ref: 'feature:ctr_7d', dependsOn: [{ ref: 'source:clicks', pinnedVersion: 'v3' }] },
    { ref: 'model:ctr', dependsOn: ['feature:ctr_7d'] },
    { ref: 'consumer:bidder', contact: 'ads-oncall@example.com', dependsOn: ['model:ctr'] },
  ]);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the GraphiQL explorer in a real browser', () => {
  it('loads at /graphql, runs the example query and shows the asset, its consumers and its impact', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 3000 } });
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    // The editors are Monaco: they render spaces as no-break spaces.
    const textOf = async (selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
    try {
      await page.goto(`${base}/graphql`);
      await expect(page.title()).resolves.toBe('depcat GraphQL explorer');
      const run = page.locator('.graphiql-execute-button');
      await run.waitFor({ timeout: 30_000 });
      await expect.poll(() => textOf('.graphiql-query-editor'), { timeout: 30_000 }).toContain('downstream(first: 20)');

      await run.click();
      const text = () => textOf('.graphiql-response');
      await expect.poll(text, { timeout: 30_000 }).toContain('"safeToDelete"');
      const result = await text();
      expect(result).toContain('"ref": "source:clicks"');
      expect(result).toContain('"consumer:bidder"');
      expect(result).toContain('"ads-oncall@example.com"');
      expect(result).toMatch(/"safeToDelete": false/);
      expect(result).not.toContain('"errors"');
      expect(failed).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
