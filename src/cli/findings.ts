/**
 * `npm run findings -- [--fail-on error] [--url http://127.0.0.1:3000] [--type a,b] [--owner o] [--asset kind:name]`
 *
 * Lists the findings of a running depcat server as a table, for people and for CI: with
 * `--fail-on <severity>` it exits 1 when any finding at or above that severity exists.
 * Exit status 2 means the command itself failed (bad option, server unreachable or refusing).
 */
import { parseArgs } from 'node:util';

const SEVERITIES = ['info', 'warning', 'error'] as const;
type Severity = (typeof SEVERITIES)[number];

interface Finding {
  type: string;
  severity: Severity;
  assets: string[];
  message: string;
  fix: string;
}

const USAGE =
  'usage: npm run findings -- [--fail-on info|warning|error] [--url URL] [--type t1,t2] [--severity s1,s2]\n' +
  '                            [--owner OWNER] [--asset kind:name] [--page-size N]\n' +
  '  --url defaults to $DEPCAT_URL, else http://127.0.0.1:3000';

class UsageError extends Error {}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        'fail-on': { type: 'string' },
        url: { type: 'string', default: process.env.DEPCAT_URL || 'http://127.0.0.1:3000' },
        type: { type: 'string' },
        severity: { type: 'string' },
        owner: { type: 'string' },
        asset: { type: 'string' },
        'page-size': { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    const failOn = values['fail-on'];
    if (failOn !== undefined && !(SEVERITIES as readonly string[]).includes(failOn))
      throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
    const pageSize = Number(values['page-size']);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
      throw new UsageError('--page-size must be a whole number from 1 to 1000');
    return { ...values, failOn: failOn as Severity | undefined, pageSize };
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

async function fetchAll(opts: ReturnType<typeof options>): Promise<Finding[]> {
  const findings: Finding[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL('/v1/findings', opts.url);
    url.searchParams.set('limit', String(opts.pageSize));
    for (const key of ['type', 'severity', 'owner', 'asset'] as const) {
      const value = opts[key];
      if (value) url.searchParams.set(key, value);
    }
    if (cursor) url.searchParams.set('cursor', cursor);
    const res = await fetch(url);
    const body = (await res.json().catch(() => null)) as
      | { items: Finding[]; nextCursor: string | null; error?: { message: string } }
      | null;
    if (!res.ok || !body) throw new Error(`${url.pathname}: ${res.status} ${body?.error?.message ?? res.statusText}`);
    findings.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return findings;
}

/** Columns padded to their widest cell; the last column is left ragged. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '))
    .join('\n');
}

async function main(): Promise<number> {
  let opts: ReturnType<typeof options>;
  try {
    opts = options();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  let findings: Finding[];
  try {
    findings = await fetchAll(opts);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    console.error(`could not read findings from ${opts.url}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`);
    return 2;
  }

  const rank = (severity: Severity) => SEVERITIES.indexOf(severity);
  if (findings.length > 0) {
    const rows = findings
      // Most severe first; the server's order within a severity.
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(b.f.severity) - rank(a.f.severity) || a.i - b.i)
      .map(({ f }) => [f.severity.toUpperCase(), f.type, f.assets.join(' → '), `${f.message} Fix: ${f.fix}`]);
    console.log(table([['SEVERITY', 'TYPE', 'ASSETS', 'MESSAGE'], ...rows]));
  }
  const counts = SEVERITIES.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`).reverse();
  console.log(`\n${findings.length} finding${findings.length === 1 ? '' : 's'}: ${counts.join(', ')}`);

  if (opts.failOn) {
    const failing = findings.filter((f) => rank(f.severity) >= rank(opts.failOn!)).length;
    if (failing > 0) {
      console.error(`failing: ${failing} finding${failing === 1 ? '' : 's'} at or above ${opts.failOn}`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = await main();
