import { kindRuleIssues, type AssetBody, type DependencySpecInput } from '../domain/asset-schemas.js';
import { toView, type Annotations, type Asset, type AssetView, type DependencyEdge, type Warning } from '../domain/asset.js';
import { isDeprecated, isPastSunset, todayUtc } from '../domain/deprecation.js';
import { ConflictError, InputError, NotFoundError, PreconditionFailedError, type FieldIssue } from '../domain/errors.js';
import { formatRef, isDependable, type Kind, type Lifecycle, type Ref } from '../domain/model.js';
import type { AssetListQuery, AssetWrite, EdgeWrite, ResolvedRef } from '../repositories/asset-repository.js';
import type { AssetWriter } from '../repositories/asset-writer.js';
import type { CreatedFields, FieldChange, HistoryEntry } from '../domain/history.js';
import type { UnitOfWork } from '../repositories/store.js';
import { createdFields, diffAsset } from './asset-diff.js';
import type { ClosureIndex } from '../graph/closure-index.js';
import type { GraphSync } from '../graph/graph-sync.js';
import type { NodeState } from '../graph/node-state.js';
import { dependsOnDeprecated, newDependencyOnDeprecated, type DeprecatedDependency } from './deprecation-warnings.js';
import type { LineageService, ImpactReport } from './lineage-service.js';
import { GRAPH_MOVED, MAX_GRAPH_RETRIES } from './graph-retry.js';
import { COLLECT_AFTER_ASSETS, collectGarbageSoon } from '../heap.js';

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
  /** New dependencies on deprecated assets that this write declared. */
  warnings: Warning[];
}

export interface ImportResult {
  counts: Record<WriteStatus, number>;
  /** New dependencies on deprecated assets: how many, and the first assets that declared some. */
  warnings: { total: number; items: { ref: string; warnings: Warning[] }[] };
}

/** Assets with warnings listed in an import's answer; the total counts them all. */
const IMPORT_WARNINGS_LISTED = 100;
/** Issues listed in one 400 or 409: an import of a million bad lines answers with the first. */
export const IMPORT_ISSUES_LISTED = 1000;

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
  /** Set once resolved, unless the dependency is in the same chunk (its id comes with the plan). */
  dependencyId?: number;
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

const dependencyField = (item: WriteItem, j: number) => `${item.fieldPrefix}dependsOn[${j}]`;

const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

/** An item's dependencies as an asset lists them, sorted by ref. */
const dependencyEdges = (item: WriteItem): DependencyEdge[] =>
  edgesOf(item)
    .map((e) => ({ ref: e.key, pinnedVersion: e.pinnedVersion, importance: e.importance, note: e.note }))
    .sort(byRef);

/** A dependency as a creation's history records it: a bare ref when it carries nothing else. */
const recordedEdge = (e: ParsedEdge): string | DependencyEdge =>
  e.pinnedVersion === null && e.importance === null && e.note === null
    ? e.key
    : { ref: e.key, pinnedVersion: e.pinnedVersion, importance: e.importance, note: e.note };

/** One item of a chunk, as the write will store it. */
interface Plan {
  item: WriteItem;
  key: string;
  id: number;
  before: Asset | null;
  annotations: Annotations;
  /** What changed, for an update (empty: nothing did); everything, for a creation. */
  changes: FieldChange[] | CreatedFields;
}

/** A declared dependency, with the ref of its dependent and its field for errors. */
interface CheckedEdge {
  dependent: string;
  edge: ParsedEdge;
  field: string;
}

/** A dependency on an asset not stored yet when its dependent was: linked at the end. */
interface DeferredEdge extends CheckedEdge {
  dependentId: number;
  /** The dependent's entry for the closure index, completed when the edge is linked. */
  node: NodeState;
}

/**
 * A chunk's read: its stored assets, its deprecated dependencies' details, fresh ids, and
 * whether the index was behind the log; `keys` are its refs.
 */
type Loaded = Awaited<ReturnType<AssetWriter['load']>> & { keys: string[] };

/** A chunk checked and worked out, ready to store. */
interface PlannedChunk {
  plans: Plan[];
  writes: AssetWrite[];
  warnings: Map<string, Warning[]>;
  deferred: CheckedEdge[];
  ids: Map<string, number>;
}

/** A stored chunk: its items' results, and the transaction's time. */
interface Stored {
  results: WriteResult[];
  at: string;
}

/**
 * Items of an import that an earlier chunk already planned: found among the refs the run
 * keeps to resolve dependencies.
 */
const repeats = (run: WriteRun, items: WriteItem[], keys: string[]): FieldIssue[] =>
  items.flatMap((item, i) =>
    run.planned.has(keys[i]) ? [{ in: 'body' as const, field: `${item.fieldPrefix}ref`, message: `${keys[i]} is listed twice in this import` }] : [],
  );

/** What one write transaction knows of the graph, and what its chunks leave for its end. */
class WriteRun {
  readonly committed: NodeState[] = [];
  readonly deferred: DeferredEdge[] = [];
  /**
   * Every ref this run has planned, with its id: later chunks of an import resolve their
   * dependencies here before looking at the index, and a ref found here is listed twice.
   */
  readonly planned = new Map<string, number>();
  /** Those of them that are deprecated or retired, with what the deprecation rules need. */
  readonly retiring = new Map<string, ResolvedRef>();

  constructor(
    readonly actor: string,
    /** An import links dependencies on assets it writes later; any other write refuses them. */
    readonly importing: boolean,
    /**
     * The closure index, current under the write lock this run holds (an import catches it
     * up first, a single chunk checks it with its read): it names every asset stored
     * before the run, and no other writer can change that until the run ends.
     */
    readonly index: ClosureIndex,
  ) {}

  /** The id of a ref (`kind:name`) stored before this run or planned by it, if any. */
  idOf(key: string): number | undefined {
    return this.planned.get(key) ?? this.index.idOfRef(key);
  }

  /** Details of a deprecated or retired dependency stored before this run (`flagged`) or planned by it. */
  retiringDependency(key: string, flagged: Map<string, ResolvedRef>): ResolvedRef | undefined {
    const r = this.planned.has(key) ? this.retiring.get(key) : flagged.get(key);
    return r && isDeprecated(r.lifecycle) ? r : undefined;
  }

  plannedChunk(plans: Plan[]): void {
    for (const plan of plans) {
      this.planned.set(plan.key, plan.id);
      if (isDeprecated(plan.annotations.lifecycle))
        this.retiring.set(plan.key, {
          id: plan.id,
          kind: plan.item.ref.kind,
          name: plan.item.ref.name,
          lifecycle: plan.annotations.lifecycle,
          deprecationReason: plan.before?.deprecation?.reason ?? null,
          replacedBy: plan.before?.deprecation?.replacedBy ?? null,
          sunsetAt: plan.before?.deprecation?.sunsetAt ?? null,
        });
    }
  }
}

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
  private async warningsFor(assets: Asset[], as: 'latest' | 'index' = 'latest'): Promise<Map<number, Warning[]>> {
    const warnings = new Map<number, Warning[]>();
    const hits = await this.lineage.upstreamDeprecated(assets.map((a) => a.id), as);
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
    const items = [{ ref, body, fieldPrefix: options.fieldPrefix ?? '' }];
    const issues = this.shapeIssues(items);
    const { results, plans, at } = await this.writeRun(options.actor, false, (writer, run) =>
      this.writeChunk(writer, run, items, issues, options.ifMatch),
    );
    const [result] = results;
    const [plan] = plans;
    const asset: Asset =
      result.status === 'unchanged'
        ? plan.before!
        : {
            ...plan.annotations,
            id: plan.id,
            ref: plan.key,
            kind: ref.kind,
            name: ref.name,
            dependsOn: dependencyEdges(plan.item),
            deprecation: plan.before?.deprecation ?? null,
            revision: result.revision,
            createdAt: plan.before?.createdAt ?? at,
            updatedAt: at,
          };
    // The answer reflects the graph as of this write's commit, which the index holds now:
    // the write caught it up under the lock and then applied itself (see writeRun).
    const standing = (await this.warningsFor([asset], 'index')).get(asset.id) ?? [];
    return { asset: toView(asset, [...result.warnings, ...standing]), status: result.status };
  }

  /** Writes many assets atomically; dependencies may name assets later in the same batch. */
  async batch(items: WriteItem[], actor: string): Promise<WriteResult[]> {
    const issues = this.shapeIssues(items);
    const { results } = await this.writeRun(actor, false, (writer, run) => this.writeChunk(writer, run, items, issues));
    return results;
  }

  /**
   * Runs `work` in one transaction holding the graph write lock; once it commits, this
   * process's index takes its writes. An import first catches the index up under that
   * lock; a single chunk checks it with its read instead (see writeChunk).
   */
  private async writeRun<T>(actor: string, importing: boolean, work: (writer: AssetWriter, run: WriteRun) => Promise<T>): Promise<T> {
    // Start-up's snapshot is awaited before taking the lock, not while holding it.
    await this.graph.start();
    let run: WriteRun | undefined;
    const value = await this.uow.writeAssets(async (writer) => {
      if (importing) await this.catchUp(writer);
      run = new WriteRun(actor, importing, this.graph.index);
      return work(writer, run);
    });
    this.graph.applyCommitted(run!.committed);
    return value;
  }

  /**
   * Writes a stream of chunks in one transaction, in order: all or nothing. The next chunk
   * is read and validated while the current one is stored. A dependency may name an asset
   * anywhere in the stream; one that is not stored yet is linked at the end, and one that
   * never appears fails the import.
   */
  async import(chunks: AsyncIterable<WriteItem[]>, actor: string): Promise<ImportResult> {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    const warned: { ref: string; warnings: Warning[] }[] = [];
    let warningCount = 0;
    const note = (ref: string, warnings: Warning[]) => {
      warningCount += warnings.length;
      if (warnings.length > 0 && warned.length < IMPORT_WARNINGS_LISTED) warned.push({ ref, warnings });
    };
    const tally = (stored: Stored | null) => {
      for (const result of stored?.results ?? []) {
        counts[result.status]++;
        note(result.ref, result.warnings);
      }
    };
    let lines = 0;
    try {
      await this.writeRun(actor, true, async (writer, run) => {
        const iterator = chunks[Symbol.asyncIterator]();
        const ignore = () => {};
        const queued = <T>(promise: T | null) => {
          (promise as Promise<unknown> | null)?.catch(ignore); // awaited later, in order
          return promise;
        };
        // A pipeline. The connection runs read(0), read(1), write(0), read(2), write(1), …:
        // chunk k+1 is parsed and its read queued before chunk k is planned, and chunk k's
        // write is queued as soon as it is planned. The database works through chunk k-1's
        // write and chunk k+1's read while this process plans chunk k, so neither waits for
        // the other unless it is the slower. A read only fetches assets stored before the
        // import (the index names them), so it need not wait for the chunks before it.
        let step = await iterator.next();
        let loading = queued(step.done ? null : this.loadChunk(writer, run, step.value));
        let writing: Promise<Stored> | null = null;
        let written: Promise<Stored> | null = null;
        while (!step.done) {
          const items = step.value;
          const following = await iterator.next();
          const nextLoading = queued(following.done ? null : this.loadChunk(writer, run, following.value));
          // Chunk k-2's write was queued ahead of chunk k's read, so it is done by now.
          const [loaded, stored] = await Promise.all([loading!, written]);
          tally(stored);
          const planned = this.planChunk(run, items, this.shapeIssues(items), loaded);
          [written, writing] = [writing, queued(this.storeChunk(writer, run, planned))];
          [loading, step] = [nextLoading, following];
          lines += items.length;
        }
        tally(await written);
        tally(await writing);
        for (const [ref, warnings] of await this.linkDeferred(writer, run)) note(ref, warnings);
      });
    } finally {
      // Committed or not, a large import leaves its garbage behind (see heap.ts).
      if (lines >= COLLECT_AFTER_ASSETS) collectGarbageSoon();
    }
    return { counts, warnings: { total: warningCount, items: warned } };
  }

  /** Problems visible without the database: duplicates, kind rules, self and consumer edges. */
  private shapeIssues(items: WriteItem[]): FieldIssue[] {
    const issues: FieldIssue[] = [];
    const seen = new Map<string, WriteItem>();
    items.forEach((item) => {
      const key = formatRef(item.ref);
      const earlier = seen.get(key);
      if (earlier !== undefined)
        issues.push({
          in: 'body',
          field: `${item.fieldPrefix}ref`,
          message: `${key} is listed twice (also at ${earlier.fieldPrefix.replace(/\.$/, '')})`,
        });
      else seen.set(key, item);
      issues.push(...kindRuleIssues(item.ref.kind, item.body, item.fieldPrefix));
      const edges = edgesOf(item);
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
   * Sends the read of a chunk, queued on the connection at once: the stored assets it
   * names, the details of the deprecated assets it depends on, and ids for its creations.
   * The index tells which refs exist and which are deprecated, so for a chunk of new
   * assets on healthy dependencies there is nothing to fetch.
   */
  private loadChunk(writer: AssetWriter, run: WriteRun, items: WriteItem[], since: number | null = null): Promise<Loaded> {
    const keys = items.map((item) => formatRef(item.ref));
    const inBatch = new Set(keys);
    const stored: number[] = [];
    for (const key of keys) {
      const id = run.index.idOfRef(key);
      if (id !== undefined) stored.push(id);
    }
    const deprecated = new Set<number>();
    const deprecatedStored = run.index.deprecatedByRef();
    if (deprecatedStored.size > 0)
      for (const item of items)
        for (const edge of edgesOf(item)) {
          const id = deprecatedStored.get(edge.key);
          if (id !== undefined && !inBatch.has(edge.key) && !run.planned.has(edge.key)) deprecated.add(id);
        }
    return writer.load(stored, [...deprecated], items.length - stored.length, since).then((loaded) => ({ ...loaded, keys }));
  }

  /** Brings the index up to date through the write transaction, which holds the lock. */
  private async catchUp(writer: AssetWriter): Promise<void> {
    await this.graph.freshUnderLock((seq, limit) => writer.changesSince(seq, limit));
  }

  /** Checks every rule on a loaded chunk and works out what to store; no I/O. */
  private planChunk(run: WriteRun, items: WriteItem[], issues: FieldIssue[], loaded: Loaded, ifMatch?: number | '*'): PlannedChunk {
    const { keys } = loaded;
    const existing = new Map(loaded.existing.map((asset) => [asset.ref, asset]));
    if (run.importing) issues.push(...repeats(run, items, keys));
    issues.push(...this.lifecycleIssues(items, existing));
    const { warnings, deferred } = this.resolveDependencies(run, items, keys, existing, loaded.resolved, issues);
    if (ifMatch !== undefined) this.checkPrecondition(items[0].ref, existing, ifMatch);

    // The chunk's own ids, for the dependencies within it (the others are resolved already).
    const ids = new Map<string, number>();
    let next = 0;
    const plans = items.map((item, i): Plan => {
      const key = keys[i];
      const before = existing.get(key) ?? null;
      const annotations = toAnnotations(item.body, before);
      const changes = before
        ? diffAsset(before, { ...annotations, dependsOn: dependencyEdges(item) })
        : createdFields(annotations, edgesOf(item).map(recordedEdge));
      const id = before ? before.id : loaded.freshIds[next++];
      ids.set(key, id);
      return { item, key, id, before, annotations, changes };
    });
    const writes = plans
      .filter((plan) => !plan.before || (plan.changes as FieldChange[]).length > 0)
      .map((plan): AssetWrite => {
        const edges: EdgeWrite[] = [];
        for (const edge of edgesOf(plan.item)) {
          const dependencyId = edge.dependencyId ?? ids.get(edge.key);
          if (dependencyId !== undefined)
            edges.push({ dependencyId, pinnedVersion: edge.pinnedVersion, importance: edge.importance, note: edge.note });
        }
        return {
          id: plan.id,
          existed: plan.before !== null,
          deprecated: plan.before?.deprecation != null,
          record: { kind: plan.item.ref.kind, name: plan.item.ref.name, ...plan.annotations },
          revision: (plan.before?.revision ?? 0) + 1,
          edges,
          action: plan.before ? 'update' : 'create',
          changes: plan.changes,
        };
      });
    run.plannedChunk(plans);
    return { plans, writes, warnings, deferred, ids };
  }

  /** Stores a planned chunk; its log entries are consecutive, one per written asset. */
  private async storeChunk(writer: AssetWriter, run: WriteRun, chunk: PlannedChunk): Promise<Stored> {
    const { plans, writes, warnings, deferred, ids } = chunk;
    const { firstSeq, at } = await writer.write(writes, run.actor);
    const nodes = new Map<number, NodeState>();
    writes.forEach((w, i) => {
      const node: NodeState = {
        seq: firstSeq + i,
        id: w.id,
        kind: w.record.kind,
        name: w.record.name,
        owner: w.record.owner,
        deprecated: isDeprecated(w.record.lifecycle, w.deprecated),
        dependsOn: w.edges.map((e) => e.dependencyId),
      };
      nodes.set(w.id, node);
      run.committed.push(node);
    });
    for (const edge of deferred) {
      const dependentId = ids.get(edge.dependent)!;
      run.deferred.push({ ...edge, dependentId, node: nodes.get(dependentId)! });
    }
    const results = plans.map((plan): WriteResult => {
      const written = nodes.has(plan.id);
      const status = !plan.before ? 'created' : written ? 'updated' : 'unchanged';
      const revision = written ? (plan.before?.revision ?? 0) + 1 : plan.before!.revision;
      return { ref: plan.key, status, revision, warnings: warnings.get(plan.key) ?? [] };
    });
    return { results, at };
  }

  /** One chunk, read, planned and stored in turn: a PUT or a batch. */
  private async writeChunk(
    writer: AssetWriter,
    run: WriteRun,
    items: WriteItem[],
    issues: FieldIssue[],
    ifMatch?: number | '*',
  ): Promise<{ results: WriteResult[]; plans: Plan[]; at: string }> {
    // The index is usually current already (reads and the background catch-up keep it
    // so): the read also checks that the log has not moved past it. Only if it has is the
    // index caught up, under the lock, and the read made again. One round trip saved.
    let loaded = await this.loadChunk(writer, run, items, this.graph.stats().appliedSeq);
    if (loaded.behind) {
      await this.catchUp(writer);
      loaded = await this.loadChunk(writer, run, items);
    }
    const planned = this.planChunk(run, items, issues, loaded, ifMatch);
    return { ...(await this.storeChunk(writer, run, planned)), plans: planned.plans };
  }

  /**
   * The end of an import: links the dependencies that named assets written later in it,
   * after the same checks as any other (they must exist; a deprecated one warns, one past
   * its sunset refuses). Returns the warnings, by dependent.
   */
  private async linkDeferred(writer: AssetWriter, run: WriteRun): Promise<Map<string, Warning[]>> {
    if (run.deferred.length === 0) return new Map();
    // Neither stored before the import nor planned when their dependent was: by now
    // every chunk is planned.
    const missing = run.deferred.filter((d) => !run.planned.has(d.edge.key));
    const unknown = new Set(missing.map((d) => d.edge.key)).size;
    if (missing.length > 0)
      throw new InputError(
        `dependsOn names ${unknown} asset${unknown > 1 ? 's' : ''} that do not exist`,
        missing.slice(0, IMPORT_ISSUES_LISTED).map((d) => ({ in: 'body', field: d.field, message: `${d.edge.key} does not exist` })),
      );
    const found = new Map<string, ResolvedRef>();
    for (const d of run.deferred) {
      const retiring = run.retiring.get(d.edge.key);
      if (retiring) found.set(d.edge.key, retiring);
    }
    const warnings = this.deprecatedDependencyRules(
      run.deferred.filter((d) => found.has(d.edge.key)),
      new Map(),
      found,
    );
    const byDependent = new Map<number, { id: number; edges: EdgeWrite[] }>();
    for (const d of run.deferred) {
      const dependencyId = run.planned.get(d.edge.key)!;
      const entry = byDependent.get(d.dependentId) ?? { id: d.dependentId, edges: [] };
      entry.edges.push({ dependencyId, pinnedVersion: d.edge.pinnedVersion, importance: d.edge.importance, note: d.edge.note });
      byDependent.set(d.dependentId, entry);
      d.node.dependsOn.push(dependencyId);
    }
    await writer.link([...byDependent.values()]);
    return warnings;
  }

  /** A deprecation is undone by reinstating, not by a PUT that names another lifecycle. */
  private lifecycleIssues(items: WriteItem[], existing: Map<string, Asset>): FieldIssue[] {
    return items.flatMap((item) => {
      const before = existing.get(formatRef(item.ref));
      const lifecycle = item.body.lifecycle;
      if (!before?.deprecation || !lifecycle || isDeprecated(lifecycle)) return [];
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
   * Resolves every dependency that is not itself in the batch, on the index or on what
   * this run has planned, and records its id on the edge. Every unknown ref is an issue
   * (or, in an import, is left for the end: see linkDeferred); they are reported together
   * with the issues found before, all in one 400.
   *
   * A dependency the asset did not have before on a deprecated asset is accepted with a
   * warning, and refused (409, naming the replacement) once that asset's sunset date has
   * passed. An edge the asset already had is not new: re-sending it is never refused.
   */
  private resolveDependencies(
    run: WriteRun,
    items: WriteItem[],
    keys: string[],
    existing: Map<string, Asset>,
    flagged: ResolvedRef[],
    issues: FieldIssue[],
  ): { warnings: Map<string, Warning[]>; deferred: CheckedEdge[] } {
    const inBatch = new Set(keys);
    const flaggedByKey = new Map(flagged.map((r) => [formatRef(r), r]));
    // Only edges to deprecated assets are checked further; there are seldom any.
    const found = new Map<string, ResolvedRef>();
    const deferred: CheckedEdge[] = [];
    const edges: CheckedEdge[] = [];
    let missing = 0;
    items.forEach((item, i) =>
      edgesOf(item).forEach((edge, j) => {
        const checked = (): CheckedEdge => ({ dependent: keys[i], edge, field: dependencyField(item, j) });
        if (inBatch.has(edge.key)) {
          const before = existing.get(edge.key);
          if (before && isDeprecated(before.lifecycle, before.deprecation !== null)) edges.push(checked());
          return;
        }
        if (!isDependable(edge.ref.kind)) return; // shapeIssues has said so
        const id = run.idOf(edge.key);
        if (id !== undefined) {
          edge.dependencyId = id;
          const retiring = run.retiringDependency(edge.key, flaggedByKey);
          if (retiring) {
            found.set(edge.key, retiring);
            edges.push(checked());
          }
        } else if (run.importing) deferred.push(checked());
        else {
          missing++;
          issues.push({ in: 'body', field: dependencyField(item, j), message: `${edge.key} does not exist` });
        }
      }),
    );
    if (issues.length > 0) {
      const summary =
        missing === issues.length
          ? `dependsOn names ${missing} asset${missing > 1 ? 's' : ''} that do not exist`
          : issues
              .slice(0, IMPORT_ISSUES_LISTED)
              .map((i) => `${i.field}: ${i.message}`)
              .join('; ');
      throw new InputError(summary, issues.slice(0, IMPORT_ISSUES_LISTED));
    }
    return { warnings: this.deprecatedDependencyRules(edges, existing, found), deferred };
  }

  private deprecatedDependencyRules(
    edges: CheckedEdge[],
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

  /**
   * Deletes an asset. While anything depends on it the answer is a conflict carrying
   * the impact report, unless `force` is given with a reason, which is recorded.
   */
  async delete(ref: Ref, options: { force: boolean; reason?: string; actor: string }): Promise<void> {
    if (options.force && !options.reason?.trim())
      throw InputError.field('reason', 'is required with force=true: say why the dependents may break', 'query');
    // Who depends on the asset comes from the index: `dependencies` has no index by
    // dependency. See graph-retry.ts on why it is read before the transaction.
    let blocked: boolean | typeof GRAPH_MOVED = GRAPH_MOVED;
    for (let attempt = 0; attempt < MAX_GRAPH_RETRIES && blocked === GRAPH_MOVED; attempt++) {
      const index = await this.graph.fresh();
      const seq = this.graph.stats().appliedSeq;
      const known = index.idOf(ref.kind, ref.name);
      const dependentIds = known === undefined ? [] : [...index.dependentsOf(known)];
      blocked = await this.uow.write(async (store) => {
        if ((await store.graph.lastSeq()) !== seq) return GRAPH_MOVED;
        const asset = await store.assets.findByRef(ref);
        if (!asset) throw new NotFoundError(`${formatRef(ref)} does not exist`);
        const dependents = await store.assets.findByIds(dependentIds);
        if (dependents.length > 0 && !options.force) return true;
        const reason = options.reason?.trim() || null;
        await store.assets.delete(asset.id, dependentIds);
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
    }
    if (blocked === GRAPH_MOVED) throw new ConflictError(`the graph around ${formatRef(ref)} kept changing while deleting it; try again`);
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

