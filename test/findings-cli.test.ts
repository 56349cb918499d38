import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

const CLI = fileURLToPath(new URL('../src/cli/findings.ts', import.meta.url));

let t: TestApp;
let url: string;

/** Runs the CLI as a user would (through tsx) and returns its exit code and output. */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const full = { description: 'documented', platforms: ['online'], domains: ['ads'] };

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  await register(t, [
    { ref: 'feature:batch_only', ...full, valueType: 'count', platforms: ['batch'] },
    { ref: 'model:online', ...full, valueType: 'probability', dependsOn: ['feature:batch_only'] },
    { ref: 'feature:spare', ...full, valueType: 'count' },
    { ref: 'feature:spare2', ...full, valueType: 'count' },
    { ref: 'consumer:app', ...full, dependsOn: ['model:online'] },
  ]);
});
afterAll(() => t?.close());

describe('npm run findings', () => {
  it('prints a table and fails on an error-level finding', async () => {
    const { code, stdout, stderr } = await run('--url', url, '--fail-on', 'error');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^SEVERITY\s+TYPE\s+ASSETS\s+MESSAGE/);
    expect(stdout).toMatch(/ERROR\s+platform_mismatch\s+model:online → feature:batch_only\s+model:online is available on online/);
    expect(stdout).toContain('3 findings: 1 error, 0 warning, 2 info');
    expect(stderr).toContain('failing: 1 finding at or above error');
  });

  it('passes when nothing reaches the threshold, paging through small pages', async () => {
    const { code, stdout } = await run('--url', url, '--fail-on', 'error', '--type', 'unused,missing_annotations', '--page-size', '1');
    expect(code).toBe(0);
    expect(stdout).toContain('feature:spare');
    expect(stdout).toContain('feature:spare2');
    expect(stdout).toContain('2 findings: 0 error, 0 warning, 2 info');
  });

  it('without --fail-on it only reports', async () => {
    expect((await run('--url', url)).code).toBe(0);
  });

  it('exits 2 on a bad option, a refused query, or an unreachable server', async () => {
    const bad = await run('--url', url, '--fail-on', 'fatal');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fail-on must be one of info, warning, error');
    const refused = await run('--url', url, '--type', 'bogus');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('400');
    const down = await run('--url', 'http://127.0.0.1:9', '--fail-on', 'error');
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('could not read findings');
  });
});
