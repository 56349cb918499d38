import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, register, type FixtureAsset } from './helpers/fixtures.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

interface Finding {
  type: string;
  severity: string;
  assets: string[];
  message: string;
  fix: string;
}

let t: TestApp;

/** Records a deprecation directly in the table: the deprecate endpoint lives elsewhere. */
async function deprecate(ref: string, fields: { replacedBy?: string; sunsetAt?: string; lifecycle?: string }) {
  const [kind, name] = ref.split(':');
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  try {
    await client.query(
      `UPDATE assets SET lifecycle = $3, deprecation_reason = 'superseded', replaced_by = $4, sunset_at = $5,
              deprecated_at = now(), revision = revision + 1, updated_at = now()
        WHERE kind = $1 AND name = $2`,
      [kind, name, fields.lifecycle ?? 'deprecated', fields.replacedBy ?? null, fields.sunsetAt ?? null],
    );
  } finally {
    await client.end();
  }
}

const full = { description: 'documented', platforms: ['batch', 'online'], domains: ['ads'] };
const feature = (name: string, extra: Partial<FixtureAsset> = {}): FixtureAsset => ({
  ref: `feature:${name}`,
  ...full,
  valueType: 'count',
  ...extra,
});
const model = (name: string, extra: Partial<FixtureAsset> = {}): FixtureAsset => ({
  ref: `model:${name}`,
  ...full,
  valueType: 'probability',
  ...extra,
});

const graph: FixtureAsset[] = [
  ...fixtures.cycle,
  ...fixtures.diamond,
  ...fixtures.cascade,
  // A loop of three where the reported cycle (through the lowest id) leaves fig_c out.
  { ref: 'source:fig_a', ...full, dependsOn: ['model:fig_b'] },
  model('fig_b', { dependsOn: ['source:fig_a', 'feature:fig_c'] }),
  feature('fig_c', { dependsOn: ['model:fig_b'] }),
  model('base', { dependsOn: ['feature:f'] }),
  model('single', { dependsOn: ['model:base'] }),
  // deprecation
  feature('old_dep'),
  feature('new_dep'),
  feature('gone'),
  feature('dead_dep'),
  model('uses_old', { dependsOn: ['feature:old_dep'] }),
  model('uses_gone', { dependsOn: ['feature:gone'] }),
  feature('retired_f', { lifecycle: 'retired' }),
  model('uses_retired', { dependsOn: ['feature:retired_f'] }),
  // volatility
  { ref: 'source:clickstream', ...full, stability: 'volatile' },
  { ref: 'source:warehouse', ...full, stability: 'stable' },
  feature('unpinned', { dependsOn: ['source:clickstream'] }),
  feature('pinned', { dependsOn: [{ ref: 'source:clickstream', pinnedVersion: 'v3' }] }),
  feature('on_stable', { dependsOn: ['source:warehouse'] }),
  // unused
  feature('orphan'),
  feature('orphan_exp', { lifecycle: 'experimental' }),
  // legacy
  feature('old_x'),
  feature('new_x'),
  model('both', { dependsOn: ['feature:old_x', 'feature:new_x'] }),
  model('migrated', { dependsOn: ['feature:new_x'] }),
  // importance
  feature('weak'),
  feature('at_epsilon'),
  model('imp', { dependsOn: [{ ref: 'feature:weak', importance: 0.0005 }, { ref: 'feature:at_epsilon', importance: 0.001 }] }),
  // platforms and domains
  feature('batch_only', { platforms: ['batch'], domains: ['search'] }),
  feature('no_labels', { platforms: null, domains: null }),
  model('online_m', { platforms: ['online'], domains: ['ads'], dependsOn: ['feature:batch_only', 'feature:no_labels', 'feature:old_x'] }),
  // experimental
  feature('exp', { lifecycle: 'experimental' }),
  model('prod', { dependsOn: ['feature:exp'] }),
  model('exp_m', { lifecycle: 'experimental', dependsOn: ['feature:exp'] }),
  // annotations
  { ref: 'feature:bare', owner: 'team-x' },
  { ref: 'feature:bare_exp', lifecycle: 'experimental' },
  feature('complete'),
  { ref: 'consumer:reader', ...full, lifecycle: 'experimental', dependsOn: ['feature:bare', 'feature:bare_exp', 'feature:complete', 'feature:orphan_exp'] },
];

const reads = [
  { identity: 'svc-shadow', assetRef: 'feature:complete', count: 12, lastSeen: '2026-11-01T00:00:00.000Z' },
  { identity: 'svc-gone', assetRef: 'feature:does_not_exist', count: 1, lastSeen: '2026-11-01T00:00:00.000Z' },
];

beforeAll(async () => {
  t = await startTestApp(
    {},
    {
      findingsReads: {
        all: async () => reads,
        forAsset: async (ref) => reads.filter((r) => r.assetRef === ref),
      },
    },
  );
  await register(t, graph);
  // A first pass before the deprecations: the cache must notice the later change.
  expect((await t.http.get('/v1/findings?type=deprecated_in_use')).body.items).toEqual([]);
  await deprecate('feature:old_dep', { replacedBy: 'feature:new_dep', sunsetAt: '2999-01-01' });
  await deprecate('feature:gone', { sunsetAt: '2020-01-01' });
  await deprecate('feature:dead_dep', {});
  await deprecate('feature:old_x', { replacedBy: 'feature:new_x', lifecycle: 'production' });
});
afterAll(() => t?.close());

async function findings(query = ''): Promise<Finding[]> {
  const all: Finding[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.http.get(`/v1/findings?limit=1000${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

const assetsOf = (list: Finding[]) => list.map((f) => f.assets);
const naming = (list: Finding[], ref: string) => list.filter((f) => f.assets.includes(ref));

describe('each type is flagged, and its near miss is not', () => {
  it('feedback_loop: the cycle in dependency order; a diamond is not a loop', async () => {
    const loops = naming(await findings('type=feedback_loop'), 'model:rec');
    expect(loops).toHaveLength(1);
    expect(loops[0].severity).toBe('warning');
    // source:log depends on model:rec, which depends on feature:clicks, which depends on source:log.
    const order = ['source:log', 'model:rec', 'feature:clicks'];
    const at = order.indexOf(loops[0].assets[0]);
    expect(loops[0].assets).toEqual([...order.slice(at), ...order.slice(0, at)]);
    expect(loops[0].message).toMatch(/^Feedback loop: \S+ depends on \S+, which depends on \S+, which depends on \S+ again\.$/);
    expect(naming(await findings('type=feedback_loop'), 'model:m')).toEqual([]);
  });

  it('feedback_loop: one finding per strongly connected set, found from any member', async () => {
    const all = await findings('type=feedback_loop');
    expect(all).toHaveLength(2);
    const fig = all.find((f) => f.assets.includes('model:fig_b'))!;
    expect([...fig.assets].sort()).toEqual(['model:fig_b', 'source:fig_a']);
    expect(fig.message).toContain('3 assets in all');
    expect(await findings('asset=feature:fig_c&type=feedback_loop')).toEqual([fig]);
  });

  it('correction_cascade: a chain of three models is a warning listed top down; one hop is info', async () => {
    const cascades = await findings('type=correction_cascade');
    expect(cascades.map((f) => [f.severity, f.assets])).toEqual(
      expect.arrayContaining([
        ['warning', ['model:m3', 'model:m2', 'model:m1']],
        ['info', ['model:m2', 'model:m1']],
        ['info', ['model:single', 'model:base']],
      ]),
    );
    expect(cascades).toHaveLength(3);
    expect(cascades.find((f) => f.assets[0] === 'model:single')!.message).toContain('one hop');
    expect(cascades.find((f) => f.assets[0] === 'model:m3')!.message).toBe(
      'model:m3 is built on the output of model:m2, which is built on model:m1: a correction cascade 3 models deep.',
    );
  });

  it('deprecated_in_use (warning) and past_sunset_in_use (error), with the replacement; an unused deprecated asset is not', async () => {
    const deprecated = await findings('type=deprecated_in_use');
    expect(assetsOf(naming(deprecated, 'feature:old_dep'))).toEqual([['model:uses_old', 'feature:old_dep']]);
    expect(new Set(deprecated.map((f) => f.severity))).toEqual(new Set(['warning']));
    expect(naming(deprecated, 'feature:old_dep')[0].fix).toBe(
      'Switch model:uses_old from feature:old_dep to its replacement feature:new_dep before 2999-01-01.',
    );
    const past = await findings('type=past_sunset_in_use');
    expect(assetsOf(past)).toEqual([['model:uses_gone', 'feature:gone'], ['model:uses_retired', 'feature:retired_f']]);
    expect(new Set(past.map((f) => f.severity))).toEqual(new Set(['error']));
    expect(past[0].message).toBe('model:uses_gone depends on feature:gone, which passed its sunset date (2020-01-01).');
    expect(past[1].message).toContain('which is retired');
    expect(naming([...deprecated, ...past], 'feature:dead_dep')).toEqual([]);
  });

  it('undeclared_consumer: from the usage port, for assets that exist', async () => {
    const undeclared = await findings('type=undeclared_consumer');
    expect(assetsOf(undeclared)).toEqual([['feature:complete']]);
    expect(undeclared[0].message).toContain('svc-shadow');
    expect(undeclared[0].fix).toContain('PUT /v1/assets/consumer/svc-shadow');
  });

  it('unpinned_volatile: a pinned dependency and a stable source are not flagged', async () => {
    expect(assetsOf(await findings('type=unpinned_volatile'))).toEqual([['feature:unpinned', 'source:clickstream']]);
  });

  it('unused: production sources and features only', async () => {
    const unused = (await findings('type=unused')).flatMap((f) => f.assets);
    expect(unused).toContain('feature:orphan');
    expect(unused).not.toContain('feature:orphan_exp');
    expect(unused).not.toContain('feature:complete');
    expect(unused.filter((ref) => !ref.startsWith('source:') && !ref.startsWith('feature:'))).toEqual([]);
  });

  it('legacy_feature: old and new side by side in one dependent; a migrated one is fine', async () => {
    expect(assetsOf(await findings('type=legacy_feature'))).toEqual([['model:both', 'feature:old_x', 'feature:new_x']]);
  });

  it('negligible_importance: below ε only; exactly ε is not flagged', async () => {
    const negligible = await findings('type=negligible_importance');
    expect(assetsOf(negligible)).toEqual([['model:imp', 'feature:weak']]);
    expect(negligible[0].message).toContain('0.0005');
  });

  it('platform_mismatch and domain_mismatch: unknown labels never mismatch', async () => {
    const platforms = await findings('type=platform_mismatch');
    expect(assetsOf(platforms)).toEqual([['model:online_m', 'feature:batch_only']]);
    expect(platforms[0].severity).toBe('error');
    expect(platforms[0].message).toContain('online');
    const domains = await findings('type=domain_mismatch');
    expect(assetsOf(domains)).toEqual([['model:online_m', 'feature:batch_only']]);
  });

  it('experimental_in_production: not for an experimental dependent', async () => {
    expect(assetsOf(await findings('type=experimental_in_production'))).toEqual([['model:prod', 'feature:exp']]);
  });

  it('missing_annotations: names the missing fields of production assets only', async () => {
    const missing = await findings('type=missing_annotations');
    const bare = missing.find((f) => f.assets[0] === 'feature:bare')!;
    expect(bare.message).toBe('feature:bare is in production but has no description, valueType, platforms and domains.');
    expect(bare.fix).toContain('PUT /v1/assets/feature/bare');
    const flagged = missing.map((f) => f.assets[0]);
    expect(flagged).not.toContain('feature:bare_exp');
    expect(flagged).not.toContain('feature:complete');
    // A source has no valueType to lack.
    expect(missing.find((f) => f.assets[0] === 'source:clickstream')).toBeUndefined();
    expect(missing.find((f) => f.assets[0] === 'source:raw')!.message).not.toContain('valueType');
  });
});

describe('filters and paging', () => {
  it('severity and type filters combine; total counts every match', async () => {
    const errors = await findings('severity=error');
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((f) => f.severity))).toEqual(new Set(['error']));
    const res = await t.http.get('/v1/findings?type=unused,legacy_feature&severity=warning');
    expect(res.body.items.map((f: Finding) => f.type)).toEqual(['legacy_feature']);
    expect(res.body.total).toBe(1);
  });

  it('owner: findings naming an asset of that owner', async () => {
    const mine = await findings('owner=team-x');
    expect(mine.map((f) => [f.type, f.assets[0]])).toEqual([['missing_annotations', 'feature:bare']]);
  });

  it('pages in a stable order, without repeats or gaps', async () => {
    const all = await findings();
    const paged: Finding[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http.get(`/v1/findings?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body.total).toBe(all.length);
      paged.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it('asset: exactly the findings naming it (the feedback loop also by membership), as in the full pass', async () => {
    const all = await findings();
    for (const ref of ['model:m2', 'feature:old_x', 'feature:new_x', 'feature:complete', 'feature:clicks', 'model:online_m', 'source:clickstream', 'feature:bare']) {
      const own = await findings(`asset=${ref}`);
      expect(own, ref).toEqual(naming(all, ref));
      expect(own.length, ref).toBeGreaterThan(0);
    }
  });

  it('asset filter with a type filter and paging', async () => {
    const res = await t.http.get('/v1/findings?asset=model:m1&type=correction_cascade&limit=1');
    expect(res.body.total).toBe(2);
    const next = await t.http.get(`/v1/findings?asset=model:m1&type=correction_cascade&limit=1&cursor=${res.body.nextCursor}`);
    expect([...res.body.items, ...next.body.items].map((f: Finding) => f.assets[0]).sort()).toEqual(['model:m2', 'model:m3']);
    expect(next.body.nextCursor).toBeNull();
  });

  it('pages a filtered listing the same as one page', async () => {
    const all = await findings('severity=info,error');
    expect(all.length).toBeGreaterThan(3);
    const paged: Finding[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http.get(`/v1/findings?severity=info,error&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body.total).toBe(all.length);
      paged.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await t.http.get('/openapi.json');
    expect(Object.keys(doc.body.paths)).toContain('/v1/findings');
  });

  it('an unknown asset is a 404', async () => {
    const res = await t.http.get('/v1/findings?asset=feature:nope');
    expect(res.status).toBe(404);
  });

  it.each([
    ['type=bogus', 'type'],
    ['severity=fatal', 'severity'],
    ['asset=nocolon', 'asset'],
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=garbage', 'cursor'],
    ['colour=red', ''],
  ])('400 for %s', async (query, field) => {
    const res = await t.http.get(`/v1/findings?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBeDefined();
    if (field) expect(JSON.stringify(res.body.error.details)).toContain(field);
  });
});

describe('the cache follows writes', () => {
  it('a registration through the API shows at once', async () => {
    await findings();
    await register(t, [feature('late_orphan')]);
    expect((await findings('type=unused')).flatMap((f) => f.assets)).toContain('feature:late_orphan');
  });
});
