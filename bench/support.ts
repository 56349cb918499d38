import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createTestDatabase } from '../test/helpers/database.js';
import { referenceGraph, type BatchAsset, type ReferenceGraphOptions } from './reference-graph.js';

export { SERVER_URL, adminQuery } from '../test/helpers/database.js';

/** The admin token every benchmark's service is given (DEPCAT_ADMIN_TOKEN); its writes send BENCH_AUTH. */
export const BENCH_ADMIN_TOKEN = 'dct_bench-admin-token-0123456789abcdefghijklmnop';
export const BENCH_AUTH = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };

/** A database of the benchmark's own on the server; drop() removes it. */
export const createDatabase = () => createTestDatabase('depcat_bench_');

export interface Service {
  base: string;
  child: ChildProcess;
  /** Milliseconds from spawn until /readyz answered 200 (graph loaded). */
  readyMs: number;
  stop(): Promise<void>;
  rssMb(): number;
  /** CPU seconds the process has used so far (user + system). */
  cpuSeconds(): number;
}

/**
 * CPU seconds used so far by every process named `postgres` on this machine (Linux), or
 * NaN where that cannot be read: the database's share of a benchmark, when it runs here.
 */
export function postgresCpuSeconds(): number {
  try {
    const out = execFileSync('ps', ['-C', 'postgres', '-o', 'cputimes='], { encoding: 'utf8' });
    return out.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0);
  } catch {
    return Number.NaN;
  }
}

/** Runs a script as its own process, as production would (with the benchmarks' admin token), and waits for /readyz. */
export async function startProcess(script: string, env: Record<string, string>, port: number, readyPath = '/readyz'): Promise<Service> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, DEPCAT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, ...env, PORT: String(port), LOG_LEVEL: env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      if ((await fetch(base + readyPath)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await sleep(50);
  }
  return {
    base,
    child,
    readyMs: performance.now() - started,
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

export const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/**
 * Loads the reference graph through `POST /v1/import`: one NDJSON stream, generated batch by
 * batch only as fast as the service reads it. `onBatch` sees each batch as it is sent.
 */
export async function importReferenceGraph(
  base: string,
  options: ReferenceGraphOptions,
  onBatch: (batch: BatchAsset[]) => void = () => {},
): Promise<{ counts: Record<string, number>; warnings: { total: number } }> {
  const batches = referenceGraph(options);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const { value, done } = batches.next();
      if (done) return controller.close();
      onBatch(value);
      controller.enqueue(encoder.encode(value.map((asset) => JSON.stringify(asset)).join('\n') + '\n'));
    },
  });
  const res = await fetch(`${base}/v1/import`, {
    method: 'POST',
    headers: { ...BENCH_AUTH, 'content-type': 'application/x-ndjson' },
    body,
    duplex: 'half',
  } as RequestInit);
  if (res.status !== 200) throw new Error(`import failed: ${res.status} ${(await res.text()).slice(0, 1000)}`);
  return res.json() as Promise<{ counts: Record<string, number>; warnings: { total: number } }>;
}
