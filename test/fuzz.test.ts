import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH } from './helpers/test-app.js';
import { Fuzzer } from './fuzz/fuzzer.js';
import { INPUT_KINDS, type FuzzRequest } from './fuzz/request.js';

/**
 * Hostile input through the real app on real PostgreSQL (issue 18): requests generated
 * from the app's own /openapi.json and GraphQL schema, each a valid request or one
 * mutated by a kind of bad input. Every answer must be below 500, in the error shape
 * when it is an error (GraphQL errors with `extensions.code`), and a refused request
 * must store nothing. DEPCAT_FUZZ_RUNS sets the number of requests (default 20,000),
 * DEPCAT_FUZZ_SEED the seed (default: a fixed one, printed on failure). The test
 * stops at the first wrong answer; `DEPCAT_FUZZ_RUNS=20000 npm run bench:fuzz` lists them all.
 */
const RUNS = Number(process.env.DEPCAT_FUZZ_RUNS ?? 20_000);
// A fixed default keeps CI repeatable: a failure here is a regression, reproduced by the
// same seed. `npm run bench:fuzz` draws a new seed each run to explore further.
const SEED = Number(process.env.DEPCAT_FUZZ_SEED ?? 8_675_309);

let fuzzer: Fuzzer;

beforeAll(async () => {
  fuzzer = await Fuzzer.start();
});

afterAll(async () => {
  await fuzzer?.close();
});

describe('the fuzzer', () => {
  it('generates requests for every operation of /openapi.json and every GraphQL field, and every kind of bad input', () => {
    const sample = fc.sample(fuzzer.requests, { numRuns: 4000, seed: 42 });
    const targets = new Set(sample.map((r) => r.target));
    const kinds = new Set(sample.map((r) => r.kind));
    expect(fuzzer.targets.length).toBeGreaterThan(30);
    expect(fuzzer.targets.filter((t) => !targets.has(t))).toEqual([]);
    expect(INPUT_KINDS.filter((k) => !kinds.has(k))).toEqual([]);
  });

  it('sees every row a write stores, and every table a checksum sees changing', async () => {
    await fuzzer.watch.changes();
    const put = await fuzzer.t.app.inject({
      method: 'PUT',
      url: '/v1/assets/source/watched',
      headers: ADMIN_AUTH,
      payload: { owner: 'team-data' },
    });
    expect(put.statusCode).toBe(201);
    const seen = new Set((await fuzzer.watch.changes()).map((c) => c.table));
    expect([...seen]).toEqual(expect.arrayContaining(['asset_history', 'assets', 'graph_changes']));

    // A second way to see a stored change, independent of the triggers: the checksum of
    // every table before and after a batch of writes that must be refused. The tables
    // whose checksum moved are those the log names (the fuzz test judges whether any may).
    const refused = fc
      .sample(fuzzer.requests, { numRuns: 3000, seed: 7 })
      .filter((r: FuzzRequest) => r.expect.reject && r.write)
      .slice(0, 300);
    expect(refused.length).toBeGreaterThan(100);
    const before = await fuzzer.watch.snapshot();
    const logged = new Set<string>();
    for (const request of refused) {
      await fuzzer.send(request);
      for (const change of await fuzzer.watch.changes()) logged.add(change.table);
    }
    const after = await fuzzer.watch.snapshot();
    // Access checks record reads through a buffer, later; the fuzz test accounts for them.
    const moved = Object.keys(after.tables).filter(
      (table) => table !== 'usage_reads' && JSON.stringify(after.tables[table]) !== JSON.stringify(before.tables[table]),
    );
    logged.delete('usage_reads');
    expect(moved.sort()).toEqual([...logged].sort());
  }, 120_000);
});

describe('hostile input', () => {
  it(
    `${RUNS} generated requests: no 5xx, errors in the error shape, nothing stored by a refused request`,
    async () => {
      const figures = await fuzzer.run({ runs: RUNS, seed: SEED });
      expect(figures.requests).toBeGreaterThanOrEqual(RUNS);
    },
    900_000,
  );
});
