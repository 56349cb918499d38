import type { TestApp } from './test-app.js';

export interface FixtureAsset {
  ref: string;
  owner?: string;
  contact?: string;
  dependsOn?: (string | { ref: string; pinnedVersion?: string; importance?: number; note?: string })[];
  [field: string]: unknown;
}

/** Registers assets in one batch; consumers get a contact unless the fixture gives one. */
export async function register(t: TestApp, assets: FixtureAsset[]): Promise<void> {
  const body = {
    assets: assets.map((a) => ({
      owner: 'team-' + a.ref.split(':')[0],
      ...(a.ref.startsWith('consumer:') ? { contact: `${a.ref.split(':')[1]}@example.com` } : {}),
      ...a,
    })),
  };
  const res = await t.http.post('/v1/batch').send(body);
  if (res.status !== 200) throw new Error(`fixture failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Named graphs. Edges read "dependent → dependency".
 *
 * diamond:      consumer:app → model:m → feature:left, feature:right → source:raw
 * cycle:        source:log → model:rec → feature:clicks → source:log (a feedback loop),
 *               consumer:feed → model:rec
 * cascade:      model:m3 → model:m2 → model:m1 → feature:f → source:s; consumer:c → model:m3
 * disconnected: source:island and feature:lonely → source:island; source:other alone
 */
export const fixtures = {
  diamond: [
    { ref: 'source:raw' },
    { ref: 'feature:left', dependsOn: ['source:raw'] },
    { ref: 'feature:right', dependsOn: ['source:raw'] },
    { ref: 'model:m', dependsOn: ['feature:left', 'feature:right'] },
    { ref: 'consumer:app', dependsOn: ['model:m'] },
  ],
  cycle: [
    { ref: 'source:log', dependsOn: ['model:rec'] },
    { ref: 'feature:clicks', dependsOn: ['source:log'] },
    { ref: 'model:rec', dependsOn: ['feature:clicks'] },
    { ref: 'consumer:feed', dependsOn: ['model:rec'] },
  ],
  cascade: [
    { ref: 'source:s' },
    { ref: 'feature:f', dependsOn: ['source:s'] },
    { ref: 'model:m1', dependsOn: ['feature:f'] },
    { ref: 'model:m2', dependsOn: ['model:m1'] },
    { ref: 'model:m3', dependsOn: ['model:m2'] },
    { ref: 'consumer:c', dependsOn: ['model:m3'] },
  ],
  disconnected: [
    { ref: 'source:island' },
    { ref: 'feature:lonely', dependsOn: ['source:island'] },
    { ref: 'source:other' },
  ],
} satisfies Record<string, FixtureAsset[]>;

/** `{ref: distance}` of a closure page, for compact assertions. */
export const distances = (items: { ref: string; distance: number }[]): Record<string, number> =>
  Object.fromEntries(items.map((i) => [i.ref, i.distance]));
