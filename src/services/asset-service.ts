import { kindRuleIssues, type AssetBody, type DependencySpecInput } from '../domain/asset-schemas.js';
import { toView, type Annotations, type Asset, type AssetView, type DependencyEdge, type Warning } from '../domain/asset.js';
import { isPastSunset, todayUtc } from '../domain/deprecation.js';
import { ConflictError, InputError, NotFoundError, PreconditionFailedError, type FieldIssue } from '../domain/errors.js';
import { formatRef, isDependable, type Kind, type Lifecycle, type Ref } from '../domain/model.js';
import { isoTime, type AssetListQuery, type AssetWrite, type ResolvedRef } from '../repositories/asset-repository.js';
import type { HistoryEntry } from '../repositories/history-repository.js';
import type { UnitOfWork } from '../repositories/store.js';
import { diffAsset } from './asset-diff.js';
import type { GraphSync } from '../graph/graph-sync.js';
import type { NodeState } from '../repositories/graph-repository.js';
import { dependsOnDeprecated, newDependencyOnDeprecated, type DeprecatedDependency } from './deprecation-warnings.js';
import type { LineageService, ImpactReport } from './lineage-service.js';

export interface WriteItem {
  ref: Ref;
  body: AssetBody;
  /** Prefix for field names in errors, e.g. `assets[3].` in a batch. */
  fieldPrefix: string;
}

export type WriteStatus = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  ref: string;
  status: WriteStatus;
  revision: number;
  /** The asset as stored after the write. */
  asset: Asset;
  /** New dependencies on deprecated assets that this write declared. */
  warnings: Warning[];
}

export interface WriteOptions {
  actor: string;
  /** The revision the client last saw (If-Match); `*` means "must exist". */
  ifMatch?: number | '*';
  /** Prefix for field names in errors, e.g. `input.` for a GraphQL argument. */
  fieldPrefix?: string;
}

const normaliseList = (list: string[] | null | undefined): string[] | null => {
  if (!list || list.length === 0) return null;
  return [...new Set(list)];
};

/**
 * A PUT that leaves out `lifecycle` keeps a deprecated asset deprecated: re-applying a
 * manifest must not undo a deprecation (reinstating is its own request).
 */
function toAnnotations(body: AssetBody, before: Asset | null): Annotations {
  return {
    owner: body.owner,
    description: body.description ?? null,
    lifecycle: (body.lifecycle ?? (before?.deprecation ? before.lifecycle : 'production')) as Lifecycle,
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

interface ParsedEdge {
  ref: Ref;
  key: string;
  pinnedVersion: string | null;
  importance: number | null;
  note: string | null;
}

const toEdge = (spec: DependencySpecInput): ParsedEdge => {
  const ref = 'ref' in spec ? spec.ref : spec;
  const extra = 'ref' in spec ? spec : null;
  return {
    ref,
    key: formatRef(ref),
    pinnedVersion: extra?.pinnedVersion ?? null,
    importance: extra?.importance ?? null,
    note: extra?.note ?? null,
  };
};

/** An item's dependencies, parsed once: the write path walks them several times. */
const parsedEdges = new WeakMap<WriteItem, ParsedEdge[]>();
function edgesOf(item: WriteItem): ParsedEdge[] {
  let edges = parsedEdges.get(item);
  if (!edges) {
    edges = (item.body.dependsOn ?? []).map(toEdge);
    parsedEdges.set(item, edges);
  }
  return edges;
}

const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

/** Registration, reading, listing and deletion of assets. */
export class AssetService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lineage: LineageService,
    private readonly graph: GraphSync,
  ) {}

  async get(ref: Ref): Promise<AssetView> {
    const asset = await this.uow.read.assets.findByRef(ref);
    if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
    const warnings = await this.warningsFor([asset]);
    return toView(asset, warnings.get(asset.id));
  }

  /** Many assets by ref in a bounded number of queries; unknown refs are absent. */
  async getMany(refs: Ref[]): Promise<AssetView[]> {
    const assets = await this.uow.read.assets.findByRefs(refs);
    const warnings = await this.warningsFor(assets);
    return assets.map((asset) => toView(asset, warnings.get(asset.id)));
  }

  async list(query: AssetListQuery): Promise<AssetView[]> {
    const assets = await this.uow.read.assets.list(query);
    const warnings = await this.warningsFor(assets);
    return assets.map((asset) => toView(asset, warnings.get(asset.id)));
  }

  /**
   * Deprecation warnings for a page of assets: each asset's upstream closure from the
   * in-memory index, where deprecated assets are flagged, then one query for the details
   * of those it found. Nothing deprecated upstream, nothing read.
   */
  private async warningsFor(assets: Asset[]): Promise<Map<number, Warning[]>> {
    const warnings = new Map<number, Warning[]>();
    const hits = await this.lineage.upstreamDeprecated(assets.map((a) => a.id));
    if (hits.size === 0) return warnings;
    const ids = [...new Set([...hits.values()].flatMap((found) => found.map((hit) => hit.id)))];
    const deprecated = new Map((await this.uow.read.assets.deprecatedAmong(ids)).map((d) => [d.id, d]));
    const today = todayUtc();
    for (const [assetId, found] of hits)
      warnings.set(
        assetId,
        // An asset reinstated since the index was read has no details: no warning for it.
        found.flatMap((hit) => {
          const dep = deprecated.get(hit.id);
          return dep ? [dependsOnDeprecated(dep, hit.distance, hit.path, today)] : [];
        }),
      );
    return warnings;
  }

  /** Creates or replaces one asset; `created` tells 201 from 200. */
  async put(ref: Ref, body: AssetBody, options: WriteOptions): Promise<{ asset: AssetView; status: WriteStatus }> {
    const [result] = await this.write([{ ref, body, fieldPrefix: options.fieldPrefix ?? '' }], options);
    const standing = (await this.warningsFor([result.asset])).get(result.asset.id) ?? [];
    return { asset: toView(result.asset, [...result.warnings, ...standing]), status: result.status };
  }

  /** Writes many assets atomically; dependencies may name assets later in the same batch. */
  batch(items: WriteItem[], actor: string): Promise<WriteResult[]> {
    return this.write(items, { actor });
  }

  /** Problems visible without the database: duplicates, kind rules, self and consumer edges. */
  private shapeIssues(items: WriteItem[]): FieldIssue[] {
    const issues: FieldIssue[] = [];
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const key = formatRef(item.ref);
      if (seen.has(key))
        issues.push({ in: 'body', field: `${item.fieldPrefix}ref`, message: `${key} is listed twice (also at index ${seen.get(key)})` });
      seen.set(key, index);
      issues.push(...kindRuleIssues(item.ref.kind, item.body, item.fieldPrefix));
      const edgeSeen = new Set<string>();
      edgesOf(item).forEach((edge, j) => {
        const field = `${item.fieldPrefix}dependsOn[${j}]`;
        if (edge.key === key) issues.push({ in: 'body', field, message: 'an asset may not depend on itself' });
        else if (!isDependable(edge.ref.kind))
          issues.push({ in: 'body', field, message: `${edge.key}: nothing may depend on a consumer` });
        else if (edgeSeen.has(edge.key)) issues.push({ in: 'body', field, message: `${edge.key} is listed twice` });
        edgeSeen.add(edge.key);
      });
    });
    return issues;
  }

  private async write(items: WriteItem[], options: WriteOptions): Promise<WriteResult[]> {
    const shapeIssues = this.shapeIssues(items);
    const committed: NodeState[] = [];
    const results = await this.uow.write(async (store) => {
      const inBatch = new Set(items.map((item) => formatRef(item.ref)));
      const wanted = new Map<string, Ref>();
      for (const item of items)
        for (const edge of edgesOf(item)) if (!inBatch.has(edge.key)) wanted.set(edge.key, edge.ref);
      const loaded = await store.assets.loadForWrite(
        items.map((item) => item.ref),
        [...wanted.values()],
        items.length,
      );
      const existing = new Map(loaded.existing.map((asset) => [asset.ref, asset]));
      shapeIssues.push(...this.lifecycleIssues(items, existing));
      const { ids: resolved, warnings } = this.resolveDependencies(items, existing, loaded.resolved, shapeIssues);
      if (options.ifMatch !== undefined) this.checkPrecondition(items[0].ref, existing, options.ifMatch);

      const plans = items.map((item) => {
        const key = formatRef(item.ref);
        const before = existing.get(key) ?? null;
        const annotations = toAnnotations(item.body, before);
        const edges = edgesOf(item);
        const dependsOn: DependencyEdge[] = edges
          .map((e) => ({ ref: e.key, pinnedVersion: e.pinnedVersion, importance: e.importance, note: e.note }))
          .sort(byRef);
        const changes = diffAsset(before, { ...annotations, dependsOn });
        return { item, key, before, annotations, edges, dependsOn, changes };
      });
      const changed = plans.filter((plan) => plan.changes.length > 0 || !plan.before);
      const ids = new Map(resolved);
      let next = 0;
      for (const plan of changed) if (!plan.before) ids.set(plan.key, loaded.freshIds[next++]);
      const writes = changed.map((plan): AssetWrite => ({
        id: ids.get(plan.key)!,
        existed: plan.before !== null,
        deprecated: plan.before?.deprecation != null,
        record: { kind: plan.item.ref.kind, name: plan.item.ref.name, ...plan.annotations },
        revision: (plan.before?.revision ?? 0) + 1,
        edges: plan.edges.map((edge) => ({
          dependencyId: ids.get(edge.key)!,
          pinnedVersion: edge.pinnedVersion,
          importance: edge.importance,
          note: edge.note,
        })),
        action: plan.before ? 'update' : 'create',
        changes: plan.changes,
      }));
      const written = await store.assets.write(writes, options.actor);
      const rows = new Map(written.rows.map((row) => [formatRef(row), row]));
      // The log entries of this write are consecutive, one per written asset.
      writes.forEach((w, i) =>
        committed.push({
          seq: written.firstSeq + i,
          id: w.id,
          kind: w.record.kind,
          name: w.record.name,
          owner: w.record.owner,
          deprecated: w.record.lifecycle === 'deprecated' || w.record.lifecycle === 'retired' || w.deprecated,
          dependsOn: w.edges.map((e) => e.dependencyId),
        }),
      );
      return plans.map((plan): WriteResult => {
        const row = rows.get(plan.key);
        const asset: Asset = row
          ? {
              ...plan.annotations,
              id: row.id,
              ref: plan.key,
              kind: plan.item.ref.kind,
              name: plan.item.ref.name,
              dependsOn: plan.dependsOn,
              deprecation: plan.before?.deprecation ?? null,
              revision: row.revision,
              createdAt: isoTime(row.createdAt),
              updatedAt: isoTime(row.updatedAt),
            }
          : plan.before!;
        const status = !plan.before ? 'created' : row ? 'updated' : 'unchanged';
        return { ref: plan.key, status, revision: asset.revision, asset, warnings: warnings.get(plan.key) ?? [] };
      });
    });
    // This process knows exactly what it just committed: keep its own index current
    // without a log query (GraphSync checks that nothing else committed in between).
    this.graph.applyCommitted(committed);
    return results;
  }

  /** A deprecation is undone by reinstating, not by a PUT that names another lifecycle. */
  private lifecycleIssues(items: WriteItem[], existing: Map<string, Asset>): FieldIssue[] {
    return items.flatMap((item) => {
      const before = existing.get(formatRef(item.ref));
      const lifecycle = item.body.lifecycle;
      if (!before?.deprecation || !lifecycle || lifecycle === 'deprecated' || lifecycle === 'retired') return [];
      return [
        {
          in: 'body' as const,
          field: `${item.fieldPrefix}lifecycle`,
          message: `${before.ref} is deprecated; POST /v1/assets/${before.kind}/${before.name}/reinstate to undo that`,
        },
      ];
    });
  }

  private checkPrecondition(ref: Ref, existing: Map<string, Asset>, ifMatch: number | '*'): void {
    const current = existing.get(formatRef(ref));
    if (!current)
      throw new PreconditionFailedError(`If-Match: ${formatRef(ref)} does not exist`, { currentRevision: null });
    if (ifMatch !== '*' && current.revision !== ifMatch)
      throw new PreconditionFailedError(
        `If-Match: revision ${ifMatch} is stale; ${formatRef(ref)} is at revision ${current.revision}`,
        { currentRevision: current.revision },
      );
  }

  /**
   * Ids of every dependency that is not itself in the batch. Every unknown ref is an
   * issue; they are reported together with the issues found before, all in one 400.
   *
   * A dependency the asset did not have before on a deprecated asset is accepted with a
   * warning, and refused (409, naming the replacement) once that asset's sunset date has
   * passed. An edge the asset already had is not new: re-sending it is never refused.
   */
  private resolveDependencies(
    items: WriteItem[],
    existing: Map<string, Asset>,
    resolved: ResolvedRef[],
    issues: FieldIssue[],
  ): { ids: Map<string, number>; warnings: Map<string, Warning[]> } {
    const inBatch = new Set(items.map((item) => formatRef(item.ref)));
    const found = new Map<string, ResolvedRef>(resolved.map((r) => [formatRef(r), r]));
    let missing = 0;
    for (const item of items)
      edgesOf(item).forEach((edge, j) => {
        if (!inBatch.has(edge.key) && !found.has(edge.key) && isDependable(edge.ref.kind)) {
          missing++;
          issues.push({ in: 'body', field: `${item.fieldPrefix}dependsOn[${j}]`, message: `${edge.key} does not exist` });
        }
      });
    if (issues.length > 0) {
      const summary =
        missing === issues.length
          ? `dependsOn names ${missing} asset${missing > 1 ? 's' : ''} that do not exist`
          : issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      throw new InputError(summary, issues);
    }
    const ids = new Map<string, number>();
    for (const [key, r] of found) ids.set(key, r.id);
    for (const [key, asset] of existing) ids.set(key, asset.id);
    return { ids, warnings: this.deprecatedDependencyRules(items, existing, found) };
  }

  private deprecatedDependencyRules(
    items: WriteItem[],
    existing: Map<string, Asset>,
    found: Map<string, ResolvedRef>,
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
    const today = todayUtc();
    const warnings = new Map<string, Warning[]>();
    const refused: { field: string; dependency: string; sunsetAt: string; replacedBy: string | null }[] = [];
    for (const item of items) {
      const key = formatRef(item.ref);
      const had = new Set(existing.get(key)?.dependsOn.map((e) => e.ref) ?? []);
      edgesOf(item).forEach((edge, j) => {
        if (had.has(edge.key)) return;
        const dep = statusOf(edge.key);
        if (!dep) return;
        if (isPastSunset(dep.sunsetAt, today))
          refused.push({ field: `${item.fieldPrefix}dependsOn[${j}]`, dependency: dep.ref, sunsetAt: dep.sunsetAt!, replacedBy: dep.replacedBy });
        else warnings.set(key, [...(warnings.get(key) ?? []), newDependencyOnDeprecated(dep)]);
      });
    }
    if (refused.length > 0)
      throw new ConflictError(
        refused
          .map(
            (r) =>
              `${r.field}: ${r.dependency} is past its sunset date ${r.sunsetAt} and accepts no new dependencies; ` +
              (r.replacedBy ? `depend on ${r.replacedBy} instead` : 'it names no replacement'),
          )
          .join('; '),
        { refused },
      );
    return warnings;
  }

  /**
   * Deletes an asset. While anything depends on it the answer is a conflict carrying
   * the impact report, unless `force` is given with a reason, which is recorded.
   */
  async delete(ref: Ref, options: { force: boolean; reason?: string; actor: string }): Promise<void> {
    if (options.force && !options.reason?.trim())
      throw InputError.field('reason', 'is required with force=true: say why the dependents may break', 'query');
    const blocked = await this.uow.write(async (store) => {
      const asset = await store.assets.findByRef(ref);
      if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
      const dependents = await store.assets.directDependents(asset.id);
      if (dependents.length > 0 && !options.force) return true;
      const reason = options.reason?.trim() || null;
      await store.assets.delete(asset.id);
      // A forced deletion changes each direct dependent's dependsOn: record that too.
      const touched = new Map((await store.assets.touch(dependents.map((d) => d.id))).map((row) => [row.id, row]));
      await store.graph.appendChanges([asset.id, ...dependents.map((d) => d.id)]);
      const { id: _id, ref: _ref, kind: _kind, name: _name, revision, createdAt: _c, updatedAt: _u, ...fields } = asset;
      await store.history.append([
        {
          assetId: asset.id,
          kind: asset.kind,
          name: asset.name,
          action: 'delete',
          actor: options.actor,
          revision,
          changes: Object.entries(fields)
            .filter(([, value]) => value !== null)
            .map(([field, value]) => ({ field, before: value, after: null })),
          reason,
        },
        ...dependents.map(
          (d): HistoryEntry => ({
            assetId: d.id,
            kind: d.kind,
            name: d.name,
            action: 'update',
            actor: options.actor,
            revision: touched.get(d.id)!.revision,
            changes: [{ field: 'dependsOn', before: d.dependsOn, after: d.dependsOn.filter((e) => e.ref !== asset.ref) }],
            reason: `forced deletion of ${asset.ref}: ${reason}`,
          }),
        ),
      ]);
      return false;
    });
    if (blocked) {
      const impact: ImpactReport = await this.lineage.impact(ref, { limit: 100 });
      throw new ConflictError(
        `${formatRef(ref)} has ${impact.total} dependent${impact.total === 1 ? '' : 's'}; ` +
          'delete them first, or pass force=true with a reason',
        impact,
      );
    }
  }
}

