import { kindRuleIssues, type AssetBody } from '../../domain/asset-schemas.js';
import type { Annotations, Asset, Warning } from '../../domain/asset.js';
import { isDeprecated, isPastSunset, todayUtc } from '../../domain/deprecation.js';
import { ConflictError, InputError, PreconditionFailedError, listIssues, type FieldIssue } from '../../domain/errors.js';
import { formatRef, isDependable } from '../../domain/model.js';
import type { ResolvedRef } from '../../repositories/asset-repository.js';
import { newDependencyOnDeprecated, type DeprecatedDependency } from './deprecation-warnings.js';
import { fieldOf, type ParsedEdge, type WriteItem } from './write-item.js';

// The rules a write must pass, as pure functions of what the write was given and what
// its chunk read: no I/O, so each is tested on its own (write-rules.test.ts).

/** Issues listed in one InputError or ConflictError: an import of a million bad lines answers with the first. */
export const IMPORT_ISSUES_LISTED = 1000;


const normaliseList = (list: string[] | null | undefined): string[] | null => {
  if (!list || list.length === 0) return null;
  return [...new Set(list)];
};

/**
 * A PUT that leaves out `lifecycle` keeps a deprecated asset deprecated: re-applying a
 * manifest must not undo a deprecation (reinstating is its own request).
 */
export function toAnnotations(body: AssetBody, before: Asset | null): Annotations {
  return {
    owner: body.owner,
    description: body.description ?? null,
    lifecycle: (body.lifecycle ?? (before?.deprecation ? before.lifecycle : 'production')),
    tags: [...new Set(body.tags ?? [])],
    platforms: normaliseList(body.platforms),
    domains: normaliseList(body.domains),
    valueType: body.valueType ?? null,
    stability: body.stability ?? null,
    accessPolicy: body.accessPolicy ?? null,
    contact: body.contact ?? null,
    sla: body.sla ?? null,
    metadata: body.metadata ?? {},
  };
}

/** A declared dependency, with the ref of its dependent and its field for errors. */
export interface CheckedEdge {
  dependent: string;
  edge: ParsedEdge;
  field: string;
}

const dependencyField = (item: WriteItem, j: number) => fieldOf(item, `dependsOn[${j}]`);

/** Problems visible without the database: duplicates, kind rules, self and consumer edges. */
export function shapeIssues(items: WriteItem[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Map<string, WriteItem>();
  items.forEach((item) => {
    const key = item.key;
    const earlier = seen.get(key);
    if (earlier !== undefined)
      issues.push({ in: 'body', field: fieldOf(item, 'ref'), message: `${key} is listed twice (also at ${earlier.at})` });
    else seen.set(key, item);
    issues.push(...kindRuleIssues(item.ref.kind, item.body, item.at && `${item.at}.`));
    const edges = item.edges;
    const edgeSeen = edges.length > 1 ? new Set<string>() : null;
    edges.forEach((edge, j) => {
      const problem =
        edge.key === key
          ? 'an asset may not depend on itself'
          : !isDependable(edge.ref.kind)
            ? `${edge.key}: nothing may depend on a consumer`
            : edgeSeen?.has(edge.key)
              ? `${edge.key} is listed twice`
              : null;
      if (problem) issues.push({ in: 'body', field: dependencyField(item, j), message: problem });
      edgeSeen?.add(edge.key);
    });
  });
  return issues;
}

/**
 * Items of an import that an earlier chunk already planned: found among the refs the run
 * keeps to resolve dependencies.
 */
export const repeatIssues = (planned: ReadonlyMap<string, number>, items: WriteItem[]): FieldIssue[] =>
  items.flatMap((item) =>
    planned.has(item.key) ? [{ in: 'body' as const, field: fieldOf(item, 'ref'), message: `${item.key} is listed twice in this import` }] : [],
  );

/** A deprecation is undone by reinstating, not by a PUT that names another lifecycle. */
export function lifecycleIssues(items: WriteItem[], existing: ReadonlyMap<string, Asset>): FieldIssue[] {
  return items.flatMap((item) => {
    const before = existing.get(item.key);
    const lifecycle = item.body.lifecycle;
    if (!before?.deprecation || !lifecycle || isDeprecated(lifecycle)) return [];
    return [
      {
        in: 'body' as const,
        field: fieldOf(item, 'lifecycle'),
        message: `${before.ref} is deprecated; reinstate it to undo that`,
        hint: { operation: 'reinstate' as const, ref: before.ref },
      },
    ];
  });
}

/**
 * A conditional write or deletion: `ifMatch` is the revision the client last saw, `*`
 * "must exist"; `current` is the asset as stored, read under the graph lock.
 */
export function checkPrecondition(key: string, current: Pick<Asset, 'revision'> | undefined, ifMatch: number | '*'): void {
  if (!current) throw new PreconditionFailedError(`${key} does not exist`, { currentRevision: null });
  if (ifMatch !== '*' && current.revision !== ifMatch)
    throw new PreconditionFailedError(`revision ${ifMatch} is stale; ${key} is at revision ${current.revision}`, {
      currentRevision: current.revision,
    });
}

/** Where dependencies are looked up: what was stored before the write, and what it has planned. */
export interface DependencyLookup {
  /** An import links dependencies on assets it writes later; any other write refuses them. */
  readonly importing: boolean;
  /** The id of a ref stored before the write or planned by it, if any. */
  idOf(key: string): number | undefined;
  /** Details of a deprecated or retired dependency stored before the write (`flagged`) or planned by it. */
  retiringDependency(key: string, flagged: ReadonlyMap<string, ResolvedRef>): ResolvedRef | undefined;
}

export interface ResolvedDependencies {
  /** Ids of the dependencies found outside the chunk, by ref (those within it come with the plan). */
  resolved: Map<string, number>;
  warnings: Map<string, Warning[]>;
  /** In an import, dependencies on assets not written yet: linked at its end. */
  deferred: CheckedEdge[];
}

/**
 * Resolves every dependency that is not itself in the chunk, on the lookup. Every unknown
 * ref is an issue (or, in an import, is left for the end: see checkDeferred); they are
 * reported together with the `issues` found before, all in one InputError.
 *
 * A dependency the asset did not have before on a deprecated asset is accepted with a
 * warning, and refused (a ConflictError naming the replacement) once that asset's sunset
 * date has passed. An edge the asset already had is not new: re-sending it is never
 * refused.
 */
export function resolveDependencies(
  lookup: DependencyLookup,
  items: WriteItem[],
  existing: ReadonlyMap<string, Asset>,
  flagged: ResolvedRef[],
  issues: FieldIssue[],
  today = todayUtc(),
): ResolvedDependencies {
  const inChunk = new Set(items.map((item) => item.key));
  const flaggedByKey = new Map(flagged.map((r) => [formatRef(r), r]));
  const resolved = new Map<string, number>();
  // Only edges to deprecated assets are checked further; there are seldom any.
  const found = new Map<string, ResolvedRef>();
  const deferred: CheckedEdge[] = [];
  const edges: CheckedEdge[] = [];
  let missing = 0;
  for (const item of items)
    item.edges.forEach((edge, j) => {
      const checked = (): CheckedEdge => ({ dependent: item.key, edge, field: dependencyField(item, j) });
      if (inChunk.has(edge.key)) {
        const before = existing.get(edge.key);
        if (before && isDeprecated(before.lifecycle, before.deprecation !== null)) edges.push(checked());
        return;
      }
      if (!isDependable(edge.ref.kind)) return; // shapeIssues has said so
      const id = lookup.idOf(edge.key);
      if (id !== undefined) {
        resolved.set(edge.key, id);
        const retiring = lookup.retiringDependency(edge.key, flaggedByKey);
        if (retiring) {
          found.set(edge.key, retiring);
          edges.push(checked());
        }
      } else if (lookup.importing) deferred.push(checked());
      else {
        missing++;
        issues.push({ in: 'body', field: dependencyField(item, j), message: `${edge.key} does not exist` });
      }
    });
  if (issues.length > 0) {
    const listed = issues.slice(0, IMPORT_ISSUES_LISTED);
    const summary = missing === issues.length ? `dependsOn names ${missing} asset${missing > 1 ? 's' : ''} that do not exist` : listIssues(listed);
    throw new InputError(summary, listed);
  }
  return { resolved, warnings: deprecatedDependencyRules(edges, existing, found, today), deferred };
}

/**
 * The end of an import: every dependency left for it must name an asset some chunk
 * planned. Those that do not fail the import, as an unknown ref fails any other write.
 */
export function checkDeferred(deferred: readonly CheckedEdge[], planned: ReadonlyMap<string, number>): void {
  const missing = deferred.filter((d) => !planned.has(d.edge.key));
  if (missing.length === 0) return;
  const unknown = new Set(missing.map((d) => d.edge.key)).size;
  throw new InputError(
    `dependsOn names ${unknown} asset${unknown > 1 ? 's' : ''} that do not exist`,
    missing.slice(0, IMPORT_ISSUES_LISTED).map((d) => ({ in: 'body', field: d.field, message: `${d.edge.key} does not exist` })),
  );
}

/**
 * New dependencies on deprecated assets: a warning each, by dependent, or a ConflictError
 * for those past their sunset. `existing` are the chunk's stored assets (a dependency
 * within the chunk is described by its stored self), `found` the deprecated ones outside.
 */
export function deprecatedDependencyRules(
  edges: CheckedEdge[],
  existing: ReadonlyMap<string, Asset>,
  found: ReadonlyMap<string, ResolvedRef>,
  today = todayUtc(),
): Map<string, Warning[]> {
  const statusOf = (key: string): DeprecatedDependency | null => {
    const asset = existing.get(key);
    const r = found.get(key);
    const lifecycle = asset?.lifecycle ?? r?.lifecycle;
    if (lifecycle !== 'deprecated' && lifecycle !== 'retired' && !asset?.deprecation) return null;
    return asset
      ? {
          ref: key,
          lifecycle: asset.lifecycle,
          reason: asset.deprecation?.reason ?? null,
          replacedBy: asset.deprecation?.replacedBy ?? null,
          sunsetAt: asset.deprecation?.sunsetAt ?? null,
        }
      : { ref: key, lifecycle: r!.lifecycle, reason: r!.deprecationReason, replacedBy: r!.replacedBy, sunsetAt: r!.sunsetAt };
  };
  const warnings = new Map<string, Warning[]>();
  const refused: { field: string; dependency: string; sunsetAt: string; replacedBy: string | null }[] = [];
  const had = new Map<string, Set<string>>();
  for (const { dependent, edge, field } of edges) {
    const dep = statusOf(edge.key);
    if (!dep) continue;
    let before = had.get(dependent);
    if (!before) had.set(dependent, (before = new Set(existing.get(dependent)?.dependsOn.map((e) => e.ref) ?? [])));
    if (before.has(edge.key)) continue;
    if (isPastSunset(dep.sunsetAt, today))
      refused.push({ field, dependency: dep.ref, sunsetAt: dep.sunsetAt!, replacedBy: dep.replacedBy });
    else warnings.set(dependent, [...(warnings.get(dependent) ?? []), newDependencyOnDeprecated(dep)]);
  }
  if (refused.length > 0)
    throw new ConflictError(
      refused
        .slice(0, IMPORT_ISSUES_LISTED)
        .map(
          (r) =>
            `${r.field}: ${r.dependency} is past its sunset date ${r.sunsetAt} and accepts no new dependencies; ` +
            (r.replacedBy ? `depend on ${r.replacedBy} instead` : 'it names no replacement'),
        )
        .join('; '),
      { refused: refused.slice(0, IMPORT_ISSUES_LISTED) },
    );
  return warnings;
}
