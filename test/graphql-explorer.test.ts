import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { ADMIN_AUTH, startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The browser test: the GraphQL explorer, Swagger UI at /docs, and a front end on another
 * origin, each under the headers the app sends (docs/security.md).
 * Debian's Chromium; .ci/run installs it when missing.
 */
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

/**
 * What a page must not do under its Content-Security-Policy: break a rule (the
 * `securitypolicyviolation` event, and Chromium's console error for each refusal, which
 * also covers workers), log any other error, throw, or fail a request.
 */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP: ${text}`));
  await page.addInitScript(() => {
    const report = (window as unknown as { reportViolation: (text: string) => void }).reportViolation;
    document.addEventListener('securitypolicyviolation', (event) =>
      report(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'} in ${event.sourceFile}:${event.lineNumber}`),
    );
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text().slice(0, 500)}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  return problems;
}

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
    const problems = await watch(page);
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
      // Monaco's workers run (from blob: URLs); refused, the editor would fall back to the page.
      expect(page.workers().length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('Swagger UI in a real browser', () => {
  it('renders the operations at /docs and runs one ("Try it out") under its policy', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 3000 } });
    const problems = await watch(page);
    try {
      await page.goto(`${base}/docs`);
      const health = page.locator('#operations-health-get_healthz');
      await health.waitFor({ timeout: 30_000 });
      const paths = await page.locator('.opblock-summary-path').allInnerTexts();
      expect(paths).toContain('/v1/assets/{kind}/{name}');
      expect(paths).toContain('/v1/assets/{kind}/{name}/downstream');
      expect(paths.length).toBeGreaterThan(20);

      await health.locator('.opblock-summary').click();
      await health.locator('.try-out__btn').click();
      await health.locator('.execute').click();
      const status = health.locator('.live-responses-table .response .response-col_status');
      await expect.poll(() => status.first().innerText(), { timeout: 30_000 }).toBe('200');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('a front end on another origin, in a real browser', () => {
  let api: TestApp;
  let apiBase: string;
  let ui: Server;
  let uiPort: number;

  beforeAll(async () => {
    // The front end's origin is http://127.0.0.1:<its port>; http://localhost:<the same port>
    // is another origin, unlisted, serving the same page.
    ui = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>ui</title>'));
    await new Promise<void>((resolve) => ui.listen(0, '127.0.0.1', resolve));
    uiPort = (ui.address() as AddressInfo).port;
    api = await startTestApp({ DEPCAT_CORS_ORIGINS: `http://127.0.0.1:${uiPort}` });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    apiBase = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => ui?.close(resolve));
    await api?.close();
  });

  /** A PUT with the headers a front end sends, from the page's origin; what its script can read of the answer. */
  const put = (page: Page, name: string, owner: string, ifMatch?: string) =>
    page.evaluate(
      async ({ url, owner, ifMatch, authorization }) => {
        try {
          const headers: Record<string, string> = {
            authorization,
            'content-type': 'application/json',
            'x-actor': 'someone@example.com',
            'x-request-id': 'from-the-ui',
          };
          if (ifMatch) headers['if-match'] = ifMatch;
          const res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ owner }) });
          return { status: res.status, etag: res.headers.get('etag'), location: res.headers.get('location'), requestId: res.headers.get('x-request-id') };
        } catch (error) {
          return { refused: String(error) };
        }
      },
      // A real token: the write is answered, not refused with a 401.
      { url: `${apiBase}/v1/assets/source/${name}`, owner, ifMatch, authorization: ADMIN_AUTH.authorization },
    );

  it('a listed origin writes with its token and headers, and reads ETag, Location and X-Request-Id', async () => {
    const page = await browser.newPage();
    const problems = await watch(page);
    try {
      await page.goto(`http://127.0.0.1:${uiPort}/`);
      expect(await put(page, 'from_ui', 'data')).toEqual({ status: 201, etag: '"1"', location: '/v1/assets/source/from_ui', requestId: 'from-the-ui' });
      expect(await put(page, 'from_ui', 'ui-team', '"1"')).toMatchObject({ status: 200, etag: '"2"' });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('an unlisted origin can neither write (its preflight is refused, the PUT never sent) nor read', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${uiPort}/`);
      expect(await put(page, 'from_elsewhere', 'data')).toEqual({ refused: 'TypeError: Failed to fetch' });
      const read = await page.evaluate(async (url) => fetch(url).then((res) => res.status, (error) => String(error)), `${apiBase}/v1/assets/source/from_ui`);
      expect(read).toBe('TypeError: Failed to fetch');
    } finally {
      await page.close();
    }
    await api.http.get('/v1/assets/source/from_elsewhere').expect(404);
  }, 60_000);
});
