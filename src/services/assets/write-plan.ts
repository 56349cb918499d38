import { isDeprecated } from '../../domain/deprecation.js';
import type { Annotations, Asset, DependencyEdge, Warning } from '../../domain/asset.js';
import type { FieldIssue } from '../../domain/errors.js';
import type { AssetWriteFacts } from '../../domain/policy.js';
import type { Actor } from '../../domain/principal.js';
import type { ClosureIndex } from '../../graph/closure-index.js';
import type { AssetWrite, EdgeWrite, ResolvedRef } from '../../repositories/asset-repository.js';
import type { NodeState } from '../../graph/node-state.js';
import type { CreatedFields, FieldChange } from '../../domain/history.js';
import { createdFields, diffAsset } from './asset-diff.js';
import type { ParsedEdge, WriteItem } from './write-item.js';
import {
  checkPrecondition,
  lifecycleIssues,
  repeatIssues,
  resolveDependencies,
  toAnnotations,
  type CheckedEdge,
  type DependencyLookup,
} from './write-rules.js';

export type WriteStatus = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  ref: string;
  status: WriteStatus;
  revision: number;
  /** New dependencies on deprecated assets that this write declared. */
  warnings: Warning[];
}

const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

/** An item's dependencies as an asset lists them, sorted by ref. */
export const dependencyEdges = (item: WriteItem): DependencyEdge[] =>
  item.edges
    .map((e) => ({ ref: e.key, pinnedVersion: e.pinnedVersion, importance: e.importance, note: e.note }))
    .sort(byRef);

/** A dependency as a creation's history records it: a bare ref when it carries nothing else. */
const recordedEdge = (e: ParsedEdge): string | DependencyEdge =>
  e.pinnedVersion === null && e.importance === null && e.note === null
    ? e.key
    : { ref: e.key, pinnedVersion: e.pinnedVersion, importance: e.importance, note: e.note };

/** One item of a chunk, as the write will store it. */
export interface Plan {
  item: WriteItem;
  key: string;
  id: number;
  before: Asset | null;
  annotations: Annotations;
  /** What changed, for an update (empty: nothing did); everything, for a creation. */
  changes: FieldChange[] | CreatedFields;
}

/** A dependency on an asset not stored yet when its dependent was: linked at the end. */
export interface DeferredEdge extends CheckedEdge {
  dependentId: number;
  /** The dependent's entry for the closure index, completed when the edge is linked. */
  node: NodeState;
}

/**
 * A chunk's read (see AssetWriter.load): its stored assets, its deprecated dependencies'
 * details, fresh ids, and whether the index was behind the log.
 */
export interface ChunkRead {
  existing: Asset[];
  resolved: ResolvedRef[];
  freshIds: number[];
  behind: boolean;
}

/** A chunk checked and worked out, ready to store. */
export interface PlannedChunk {
  plans: Plan[];
  writes: AssetWrite[];
  warnings: Map<string, Warning[]>;
  deferred: CheckedEdge[];
  ids: Map<string, number>;
}

/** What one write transaction knows of the graph, and what its chunks leave for its end. */
export class WriteRun implements DependencyLookup {
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
    readonly actor: Actor,
    /** The policy's judgement of one item, given what is stored: throws to refuse the whole write. */
    readonly authorize: (facts: AssetWriteFacts) => void,
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
  retiringDependency(key: string, flagged: ReadonlyMap<string, ResolvedRef>): ResolvedRef | undefined {
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

/**
 * What a chunk's read must fetch: the stored assets it names, the details of the
 * deprecated assets it depends on, and how many ids its creations need. The index tells
 * which refs exist and which are deprecated, so for a chunk of new assets on healthy
 * dependencies there is nothing to fetch.
 */
export function chunkReads(run: WriteRun, items: WriteItem[]): { stored: number[]; deprecated: number[]; idCount: number } {
  const inChunk = new Set<string>();
  const stored: number[] = [];
  for (const item of items) {
    inChunk.add(item.key);
    const id = run.index.idOfRef(item.key);
    if (id !== undefined) stored.push(id);
  }
  const deprecated = new Set<number>();
  const deprecatedStored = run.index.deprecatedByRef();
  if (deprecatedStored.size > 0)
    for (const item of items)
      for (const edge of item.edges) {
        const id = deprecatedStored.get(edge.key);
        if (id !== undefined && !inChunk.has(edge.key) && !run.planned.has(edge.key)) deprecated.add(id);
      }
  return { stored, deprecated: [...deprecated], idCount: items.length - stored.length };
}

/** Checks every rule on a read chunk and works out what to store; no I/O. */
export function planChunk(run: WriteRun, items: WriteItem[], issues: FieldIssue[], loaded: ChunkRead, ifMatch?: number | '*'): PlannedChunk {
  const existing = new Map(loaded.existing.map((asset) => [asset.ref, asset]));
  if (run.importing) issues.push(...repeatIssues(run.planned, items));
  issues.push(...lifecycleIssues(items, existing));
  const { resolved, warnings, deferred } = resolveDependencies(run, items, existing, loaded.resolved, issues);
  if (ifMatch !== undefined) checkPrecondition(items[0].key, existing.get(items[0].key), ifMatch);

  // The chunk's own ids, for the dependencies within it (the others are resolved already).
  const ids = new Map<string, number>();
  let next = 0;
  const plans = items.map((item): Plan => {
    const key = item.key;
    const before = existing.get(key) ?? null;
    const annotations = toAnnotations(item.body, before);
    run.authorize({ ref: key, ownerBefore: before?.owner ?? null, ownerAfter: annotations.owner, field: item.at || undefined });
    const changes = before
      ? diffAsset(before, { ...annotations, dependsOn: dependencyEdges(item) })
      : createdFields(annotations, item.edges.map(recordedEdge));
    const id = before ? before.id : loaded.freshIds[next++];
    ids.set(key, id);
    return { item, key, id, before, annotations, changes };
  });
  const writes = plans
    .filter((plan) => !plan.before || (plan.changes as FieldChange[]).length > 0)
    .map((plan): AssetWrite => {
      const edges: EdgeWrite[] = [];
      for (const edge of plan.item.edges) {
        const dependencyId = resolved.get(edge.key) ?? ids.get(edge.key);
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

/** The asset a single write leaves behind, as its answer shows it; `at` is the transaction's time. */
export function writtenAsset(plan: Plan, result: WriteResult, at: string): Asset {
  if (result.status === 'unchanged') return plan.before!;
  return {
    ...plan.annotations,
    id: plan.id,
    ref: plan.key,
    kind: plan.item.ref.kind,
    name: plan.item.ref.name,
    dependsOn: dependencyEdges(plan.item),
    deprecation: plan.before?.deprecation ?? null,
    revision: result.revision,
    createdAt: plan.before?.createdAt ?? at,
    updatedAt: at,
  };
}
