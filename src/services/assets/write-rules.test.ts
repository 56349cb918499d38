import { describe, expect, it } from 'vitest';
import type { Asset } from '../../domain/asset.js';
import { ConflictError, InputError, PreconditionFailedError } from '../../domain/errors.js';
import type { Lifecycle } from '../../domain/model.js';
import type { ResolvedRef } from '../../repositories/asset-repository.js';
import { item, ref, stored } from './write-test-support.js';
import {
  checkDeferred,
  checkPrecondition,
  deprecatedDependencyRules,
  IMPORT_ISSUES_LISTED,
  lifecycleIssues,
  repeatIssues,
  resolveDependencies,
  shapeIssues,
  toAnnotations,
  type CheckedEdge,
  type DependencyLookup,
} from './write-rules.js';

// The write rules without a database: each is a function of the items and of what the
// chunk's read found. The HTTP tests (test/assets.test.ts, test/import.test.ts) check
// the same rules end to end; these pin each one down, including its field paths.

const byRef = (...assets: Asset[]) => new Map(assets.map((a) => [a.ref, a]));

const deprecation = (sunsetAt: string | null, replacedBy: string | null = null) => ({
  reason: 'old',
  replacedBy,
  sunsetAt,
  deprecatedAt: '2024-01-01T00:00:00.000Z',
});

const resolvedRef = (text: string, lifecycle: Lifecycle, fields: Partial<ResolvedRef> = {}): ResolvedRef => ({
  id: 9,
  ...ref(text),
  lifecycle,
  deprecationReason: 'old',
  replacedBy: null,
  sunsetAt: null,
  ...fields,
});

/** Refs stored before the write, with ids; `retiring` are the deprecated ones among them. */
const lookup = (ids: Record<string, number>, importing = false, retiring: string[] = []): DependencyLookup => ({
  importing,
  idOf: (key) => ids[key],
  retiringDependency: (key, flagged) => (retiring.includes(key) ? flagged.get(key) : undefined),
});

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('writeItem', () => {
  it('parses every dependency once, bare or with attributes', () => {
    const it = item('model:m', { dependsOn: [ref('feature:a'), { ref: ref('feature:b'), pinnedVersion: 'v2', importance: 0.5 }] }, 'assets[2]');
    expect(it.key).toBe('model:m');
    expect(it.edges).toEqual([
      { ref: { kind: 'feature', name: 'a' }, key: 'feature:a', pinnedVersion: null, importance: null, note: null },
      { ref: { kind: 'feature', name: 'b' }, key: 'feature:b', pinnedVersion: 'v2', importance: 0.5, note: null },
    ]);
  });
});

describe('shapeIssues', () => {
  it('names the fields relative to the body: bare for a PUT, under the item in a batch', () => {
    expect(shapeIssues([item('model:x', { dependsOn: [ref('model:x')] })])).toEqual([
      { in: 'body', field: 'dependsOn[0]', message: 'an asset may not depend on itself' },
    ]);
    expect(shapeIssues([item('source:s', {}, 'assets[0]'), item('consumer:c', {}, 'assets[1]')])).toEqual([
      { in: 'body', field: 'assets[1].contact', message: 'is required for consumers' },
    ]);
  });

  it('finds an asset listed twice, naming where it was first', () => {
    const issues = shapeIssues([item('source:s', {}, 'lines[1]'), item('source:t', {}, 'lines[2]'), item('source:s', {}, 'lines[3]')]);
    expect(issues).toEqual([{ in: 'body', field: 'lines[3].ref', message: 'source:s is listed twice (also at lines[1])' }]);
  });

  it('refuses a dependency on a consumer and a dependency listed twice', () => {
    const issues = shapeIssues([item('model:m', { dependsOn: [ref('consumer:app'), ref('feature:f'), { ref: ref('feature:f'), note: 'again' }] })]);
    expect(issues).toEqual([
      { in: 'body', field: 'dependsOn[0]', message: 'consumer:app: nothing may depend on a consumer' },
      { in: 'body', field: 'dependsOn[2]', message: 'feature:f is listed twice' },
    ]);
  });

  it('has nothing to say about a sound chunk', () => {
    expect(shapeIssues([item('source:s'), item('feature:f', { dependsOn: [ref('source:s')] })])).toEqual([]);
  });
});

describe('repeatIssues', () => {
  it('flags the items an earlier chunk of the import planned', () => {
    const planned = new Map([['source:i', 4]]);
    expect(repeatIssues(planned, [item('source:j', {}, 'lines[4]'), item('source:i', {}, 'lines[5]')])).toEqual([
      { in: 'body', field: 'lines[5].ref', message: 'source:i is listed twice in this import' },
    ]);
  });
});

describe('lifecycleIssues', () => {
  const deprecated = stored('feature:old', { lifecycle: 'deprecated', deprecation: deprecation(null) });

  it('refuses a write that names another lifecycle for a deprecated asset, with a reinstate hint and no REST path', () => {
    const issues = lifecycleIssues([item('feature:old', { lifecycle: 'production' }, 'assets[3]')], byRef(deprecated));
    expect(issues).toEqual([
      {
        in: 'body',
        field: 'assets[3].lifecycle',
        message: 'feature:old is deprecated; reinstate it to undo that',
        hint: { operation: 'reinstate', ref: 'feature:old' },
      },
    ]);
  });

  it('accepts leaving the lifecycle out, or naming deprecated or retired', () => {
    const items = [item('feature:old'), item('feature:old', { lifecycle: 'retired' }), item('feature:old', { lifecycle: 'deprecated' })];
    expect(lifecycleIssues(items, byRef(deprecated))).toEqual([]);
    expect(lifecycleIssues([item('feature:new', { lifecycle: 'production' })], byRef(stored('feature:new')))).toEqual([]);
  });
});

describe('toAnnotations', () => {
  it('keeps a deprecated asset deprecated when the lifecycle is left out; defaults to production otherwise', () => {
    const deprecated = stored('feature:old', { lifecycle: 'deprecated', deprecation: deprecation(null) });
    expect(toAnnotations({ owner: 'o' }, deprecated).lifecycle).toBe('deprecated');
    expect(toAnnotations({ owner: 'o' }, stored('feature:f', { lifecycle: 'experimental' })).lifecycle).toBe('production');
    expect(toAnnotations({ owner: 'o' }, null).lifecycle).toBe('production');
  });

  it('removes duplicate labels and stores an empty list as unknown', () => {
    const annotations = toAnnotations({ owner: 'o', tags: ['a', 'a', 'b'], platforms: [], domains: ['ads', 'ads'] }, null);
    expect(annotations).toMatchObject({ tags: ['a', 'b'], platforms: null, domains: ['ads'], metadata: {} });
  });
});

describe('checkPrecondition', () => {
  const existing = byRef(stored('source:s', { revision: 2 }));

  it('passes on the current revision, and on * when the asset exists', () => {
    expect(() => checkPrecondition('source:s', existing.get('source:s'), 2)).not.toThrow();
    expect(() => checkPrecondition('source:s', existing.get('source:s'), '*')).not.toThrow();
  });

  it('refuses a stale revision or a missing asset, with the current revision, in words that name no header', () => {
    const stale = thrown(() => checkPrecondition('source:s', existing.get('source:s'), 1)) as PreconditionFailedError;
    expect(stale).toBeInstanceOf(PreconditionFailedError);
    expect(stale.message).toBe('revision 1 is stale; source:s is at revision 2');
    expect(stale.details).toEqual({ currentRevision: 2 });
    const missing = thrown(() => checkPrecondition('source:t', existing.get('source:t'), '*')) as PreconditionFailedError;
    expect(missing.message).toBe('source:t does not exist');
    expect(missing.details).toEqual({ currentRevision: null });
  });
});

describe('resolveDependencies', () => {
  it('resolves dependencies outside the chunk to their ids; those within it come with the plan', () => {
    const items = [item('feature:f', { dependsOn: [ref('source:s')] }), item('model:m', { dependsOn: [ref('feature:f'), ref('source:s')] })];
    const { resolved, warnings, deferred } = resolveDependencies(lookup({ 'source:s': 7 }), items, new Map(), [], []);
    expect([...resolved]).toEqual([['source:s', 7]]);
    expect(warnings.size).toBe(0);
    expect(deferred).toEqual([]);
  });

  it('lists every unknown dependency with the issues found before, in one InputError', () => {
    const items = [item('model:m', { dependsOn: [ref('feature:ghost'), ref('source:s'), ref('source:phantom')] }, 'assets[0]')];
    const onlyMissing = thrown(() => resolveDependencies(lookup({ 'source:s': 7 }), items, new Map(), [], [])) as InputError;
    expect(onlyMissing).toBeInstanceOf(InputError);
    expect(onlyMissing.message).toBe('dependsOn names 2 assets that do not exist');
    expect(onlyMissing.issues).toEqual([
      { in: 'body', field: 'assets[0].dependsOn[0]', message: 'feature:ghost does not exist' },
      { in: 'body', field: 'assets[0].dependsOn[2]', message: 'source:phantom does not exist' },
    ]);
    const earlier = { in: 'body' as const, field: 'assets[0].contact', message: 'applies to consumers only' };
    const mixed = thrown(() => resolveDependencies(lookup({ 'source:s': 7 }), items, new Map(), [], [earlier])) as InputError;
    expect(mixed.message).toBe(
      'assets[0].contact: applies to consumers only; assets[0].dependsOn[0]: feature:ghost does not exist; ' +
        'assets[0].dependsOn[2]: source:phantom does not exist',
    );
  });

  it('lists at most IMPORT_ISSUES_LISTED issues', () => {
    const dependsOn = Array.from({ length: IMPORT_ISSUES_LISTED + 5 }, (_, i) => ref(`source:s${i}`));
    const error = thrown(() => resolveDependencies(lookup({}), [item('model:m', { dependsOn })], new Map(), [], [])) as InputError;
    expect(error.message).toBe(`dependsOn names ${IMPORT_ISSUES_LISTED + 5} assets that do not exist`);
    expect(error.issues).toHaveLength(IMPORT_ISSUES_LISTED);
  });

  it('in an import, leaves an unknown dependency for the end instead', () => {
    const items = [item('model:m', { dependsOn: [ref('feature:later')] }, 'lines[1]')];
    const { deferred, resolved } = resolveDependencies(lookup({}, true), items, new Map(), [], []);
    expect(deferred).toEqual([{ dependent: 'model:m', edge: items[0].edges[0], field: 'lines[1].dependsOn[0]' }]);
    expect(resolved.size).toBe(0);
  });

  it('warns of a new dependency on a deprecated asset and refuses one past its sunset', () => {
    const items = [item('model:m', { dependsOn: [ref('feature:old')] })];
    const flagged = [resolvedRef('feature:old', 'deprecated', { sunsetAt: '2999-01-01', replacedBy: 'feature:new' })];
    const { warnings } = resolveDependencies(lookup({ 'feature:old': 9 }, false, ['feature:old']), items, new Map(), flagged, []);
    expect(warnings.get('model:m')).toEqual([expect.objectContaining({ code: 'new_dependency_on_deprecated', asset: 'feature:old', replacedBy: 'feature:new' })]);

    const past = [resolvedRef('feature:old', 'deprecated', { sunsetAt: '2020-01-01', replacedBy: 'feature:new' })];
    const refused = thrown(() => resolveDependencies(lookup({ 'feature:old': 9 }, false, ['feature:old']), items, new Map(), past, [])) as ConflictError;
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toBe(
      'dependsOn[0]: feature:old is past its sunset date 2020-01-01 and accepts no new dependencies; depend on feature:new instead',
    );
  });
});

describe('deprecatedDependencyRules', () => {
  const edge = (dependent: string, dependency: string, field = 'dependsOn[0]'): CheckedEdge => ({
    dependent,
    edge: item(dependent, { dependsOn: [ref(dependency)] }).edges[0],
    field,
  });

  it('never refuses an edge the asset already had', () => {
    const had = stored('model:m', { dependsOn: [{ ref: 'feature:gone', pinnedVersion: null, importance: null, note: null }] });
    const found = new Map([['feature:gone', resolvedRef('feature:gone', 'deprecated', { sunsetAt: '2020-01-01' })]]);
    expect(deprecatedDependencyRules([edge('model:m', 'feature:gone')], byRef(had), found, '2024-06-01').size).toBe(0);
  });

  it('counts the sunset day itself as before the sunset', () => {
    const found = new Map([['feature:old', resolvedRef('feature:old', 'deprecated', { sunsetAt: '2024-06-01' })]]);
    expect(deprecatedDependencyRules([edge('model:m', 'feature:old')], new Map(), found, '2024-06-01').get('model:m')).toHaveLength(1);
    expect(() => deprecatedDependencyRules([edge('model:m', 'feature:old')], new Map(), found, '2024-06-02')).toThrow(ConflictError);
  });

  it('describes a dependency within the chunk by its stored self', () => {
    const inChunk = stored('feature:old', { lifecycle: 'deprecated', deprecation: deprecation('2020-01-01') });
    const error = thrown(() => deprecatedDependencyRules([edge('model:m', 'feature:old')], byRef(inChunk), new Map(), '2024-06-01')) as ConflictError;
    expect(error.details).toEqual({ refused: [{ field: 'dependsOn[0]', dependency: 'feature:old', sunsetAt: '2020-01-01', replacedBy: null }] });
  });

  it('ignores a dependency that is not deprecated', () => {
    expect(deprecatedDependencyRules([edge('model:m', 'feature:fine')], byRef(stored('feature:fine')), new Map()).size).toBe(0);
  });
});

describe('checkDeferred', () => {
  it('fails the import for each dependency no chunk wrote, counting the assets once', () => {
    const deferred = [
      { dependent: 'model:a', edge: item('model:a', { dependsOn: [ref('source:never')] }).edges[0], field: 'lines[1].dependsOn[0]' },
      { dependent: 'model:b', edge: item('model:b', { dependsOn: [ref('source:never')] }).edges[0], field: 'lines[2].dependsOn[0]' },
      { dependent: 'model:c', edge: item('model:c', { dependsOn: [ref('source:later')] }).edges[0], field: 'lines[3].dependsOn[0]' },
    ];
    expect(() => checkDeferred(deferred.slice(2), new Map([['source:later', 5]]))).not.toThrow();
    const error = thrown(() => checkDeferred(deferred, new Map([['source:later', 5]]))) as InputError;
    expect(error.message).toBe('dependsOn names 1 asset that do not exist');
    expect(error.issues.map((i) => i.field)).toEqual(['lines[1].dependsOn[0]', 'lines[2].dependsOn[0]']);
  });
});
