import { KINDS, type Kind } from '../domain/model.js';
import type { NodeState } from './node-state.js';

export type Direction = 'upstream' | 'downstream';

/** Kind codes in the compact per-node array; 0 means "no such node". */
const KIND_CODE: Record<Kind, number> = { source: 1, feature: 2, model: 3, consumer: 4 };
const CODE_KIND: (Kind | undefined)[] = [undefined, ...KINDS];

export type KindCounts = Record<Kind, number>;

/** Keyset position in a closure listing: items are ordered by distance, then id. */
export interface ClosureCursor {
  distance: number;
  id: number;
}

export interface ClosureNode {
  id: number;
  kind: Kind;
  name: string;
  owner: string;
  distance: number;
  /** Position in the traversal, for `pathTo`. */
  position: number;
}

function removeValue(list: number[] | undefined, value: number): void {
  if (!list) return;
  const at = list.indexOf(value);
  if (at < 0) return;
  list[at] = list[list.length - 1];
  list.pop();
}

/**
 * The dependency graph held in memory as adjacency lists over integer asset ids, so a
 * closure of any depth is one breadth-first search: milliseconds where a recursive SQL
 * query takes seconds. It holds only what closures need (kind, name, owner, edges); the
 * database stays the source of truth and GraphSync keeps this exact.
 */
export class ClosureIndex {
  private kindCode = new Uint8Array(1024);
  private deprecatedFlag = new Uint8Array(1024);
  private ownerCode = new Int32Array(1024);
  private names: string[] = [];
  private owners: string[] = [];
  private ownerIds = new Map<string, number>();
  /** dependsOn[id]: what id depends on; dependents[id]: what depends on id. */
  private dependsOn: (number[] | undefined)[] = [];
  private dependents: (number[] | undefined)[] = [];
  private byRef = new Map<string, number>();
  private count = 0;
  private deprecatedCount = 0;
  /** deprecatedByRef's answer, kept until a deprecated flag changes. */
  private deprecatedRefs: Map<string, number> | null = null;

  // Scratch space reused by every traversal (JavaScript runs one at a time).
  private seen = new Uint32Array(1024);
  private epoch = 0;
  private queue = new Int32Array(1024);
  private parent = new Int32Array(1024);

  /** Forgets everything, e.g. before reloading after a failed snapshot. */
  clear(): void {
    this.kindCode = new Uint8Array(1024);
    this.deprecatedFlag = new Uint8Array(1024);
    this.ownerCode = new Int32Array(1024);
    this.names = [];
    this.owners = [];
    this.ownerIds.clear();
    this.dependsOn = [];
    this.dependents = [];
    this.byRef.clear();
    this.count = 0;
    this.deprecatedCount = 0;
    this.deprecatedRefs = null;
  }

  /**
   * Takes over everything `other` holds, in one synchronous step: a reloaded snapshot
   * replaces the graph while every holder of this index keeps its reference. `other` is
   * left empty. The scratch space stays; it grows to the new capacity on the next search.
   */
  replaceWith(other: ClosureIndex): void {
    this.kindCode = other.kindCode;
    this.deprecatedFlag = other.deprecatedFlag;
    this.ownerCode = other.ownerCode;
    this.names = other.names;
    this.owners = other.owners;
    this.ownerIds = other.ownerIds;
    this.dependsOn = other.dependsOn;
    this.dependents = other.dependents;
    this.byRef = other.byRef;
    this.count = other.count;
    this.deprecatedCount = other.deprecatedCount;
    this.deprecatedRefs = null;
    other.ownerIds = new Map();
    other.byRef = new Map();
    other.clear();
  }

  get size(): number {
    return this.count;
  }

  /** One more than the largest id the index can hold: the length for arrays indexed by id. */
  get capacity(): number {
    return this.kindCode.length;
  }

  get edgeCount(): number {
    let edges = 0;
    for (const list of this.dependsOn) if (list) edges += list.length;
    return edges;
  }

  idOf(kind: Kind, name: string): number | undefined {
    return this.byRef.get(`${kind}:${name}`);
  }

  /** The id of a ref given as `kind:name`. */
  idOfRef(ref: string): number | undefined {
    return this.byRef.get(ref);
  }

  kindOf(id: number): Kind | undefined {
    return CODE_KIND[this.kindCode[id] ?? 0];
  }

  refOf(id: number): string {
    return `${this.kindOf(id)}:${this.names[id]}`;
  }

  nameOf(id: number): string {
    return this.names[id];
  }

  /** How many assets are deprecated or retired: none means no warning can apply. */
  get deprecatedTotal(): number {
    return this.deprecatedCount;
  }

  /** Deprecated or retired (as of the last change applied). */
  isDeprecated(id: number): boolean {
    return this.deprecatedFlag[id] === 1;
  }

  /**
   * The deprecated and retired assets by ref: a writer checks each dependency against this
   * short map rather than the index of every ref. Rebuilt after a deprecated flag changes.
   */
  deprecatedByRef(): ReadonlyMap<string, number> {
    if (!this.deprecatedRefs) {
      const refs = new Map<string, number>();
      if (this.deprecatedCount > 0)
        for (let id = 0; id < this.deprecatedFlag.length; id++) if (this.deprecatedFlag[id] === 1) refs.set(this.refOf(id), id);
      this.deprecatedRefs = refs;
    }
    return this.deprecatedRefs;
  }

  ownerOf(id: number): string {
    return this.owners[this.ownerCode[id]];
  }

  /** The compact arrays, for Traversal's tight loops; read-only by convention. */
  internals(): { kindCode: Uint8Array; ownerCode: Int32Array; owners: readonly string[] } {
    return { kindCode: this.kindCode, ownerCode: this.ownerCode, owners: this.owners };
  }

  /** Direct dependents of id (the ids that list it in their dependsOn). */
  dependentsOf(id: number): readonly number[] {
    return this.dependents[id] ?? [];
  }

  dependenciesOf(id: number): readonly number[] {
    return this.dependsOn[id] ?? [];
  }

  /** Applies one asset's current state: created, updated, or deleted when `kind` is null. */
  apply(node: NodeState): void {
    if (node.kind === null) this.remove(node.id);
    else {
      this.put(node.id, node.kind, node.name!, node.owner!, node.dependsOn);
      const flag = node.deprecated ? 1 : 0;
      if (flag !== this.deprecatedFlag[node.id]) this.deprecatedRefs = null;
      this.deprecatedCount += flag - this.deprecatedFlag[node.id];
      this.deprecatedFlag[node.id] = flag;
    }
  }

  private grow(id: number): void {
    if (id < this.kindCode.length) return;
    let capacity = this.kindCode.length;
    while (capacity <= id) capacity *= 2;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kindCode);
    this.kindCode = kinds;
    const owners = new Int32Array(capacity);
    owners.set(this.ownerCode);
    this.ownerCode = owners;
    const flags = new Uint8Array(capacity);
    flags.set(this.deprecatedFlag);
    this.deprecatedFlag = flags;
  }

  private put(id: number, kind: Kind, name: string, owner: string, deps: number[]): void {
    this.grow(id);
    if (this.kindCode[id] === 0) {
      this.count++;
      this.byRef.set(`${kind}:${name}`, id);
    }
    this.kindCode[id] = KIND_CODE[kind];
    this.names[id] = name;
    let ownerId = this.ownerIds.get(owner);
    if (ownerId === undefined) {
      ownerId = this.owners.push(owner) - 1;
      this.ownerIds.set(owner, ownerId);
    }
    this.ownerCode[id] = ownerId;

    const before = this.dependsOn[id];
    if (before && before.length > 0) {
      const next = new Set(deps);
      for (const dep of before) if (!next.has(dep)) removeValue(this.dependents[dep], id);
      const previous = new Set(before);
      for (const dep of deps) if (!previous.has(dep)) this.link(dep, id);
    } else {
      for (const dep of deps) this.link(dep, id);
    }
    this.dependsOn[id] = deps.length > 0 ? [...deps] : undefined;
  }

  private link(dependency: number, dependent: number): void {
    const list = this.dependents[dependency];
    if (list) list.push(dependent);
    else this.dependents[dependency] = [dependent];
  }

  private remove(id: number): void {
    if (!this.kindCode[id]) return;
    for (const dep of this.dependsOn[id] ?? []) removeValue(this.dependents[dep], id);
    for (const dependent of this.dependents[id] ?? []) removeValue(this.dependsOn[dependent], id);
    this.byRef.delete(`${CODE_KIND[this.kindCode[id]]}:${this.names[id]}`);
    this.kindCode[id] = 0;
    if (this.deprecatedFlag[id] === 1) this.deprecatedRefs = null;
    this.deprecatedCount -= this.deprecatedFlag[id];
    this.deprecatedFlag[id] = 0;
    this.dependsOn[id] = undefined;
    this.dependents[id] = undefined;
    this.names[id] = undefined as unknown as string;
    this.count--;
  }

  /**
   * Breadth-first search from `root` (excluded, even on a cycle) up to `maxDepth` hops.
   * Each node is visited once, so cycles terminate; distances are shortest hop counts.
   */
  traverse(root: number, direction: Direction, maxDepth = Number.POSITIVE_INFINITY): Traversal {
    const adjacency = direction === 'downstream' ? this.dependents : this.dependsOn;
    const capacity = this.kindCode.length;
    if (this.seen.length < capacity) {
      this.seen = new Uint32Array(capacity);
      this.queue = new Int32Array(capacity);
      this.parent = new Int32Array(capacity);
      this.epoch = 0;
    }
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    const { seen, queue, parent, epoch, kindCode } = this;
    seen[root] = epoch;

    // Level by level; a node's parent is the position of the node it was reached from
    // (-1 for the root), which later gives one shortest path.
    let tail = 0;
    const levelStarts = [0];
    let levelStart = 0;
    let levelEnd = 0;
    for (let depth = 1; depth <= maxDepth; depth++) {
      for (let p = depth === 1 ? -1 : levelStart; p < levelEnd || p === -1; p++) {
        const next = adjacency[p === -1 ? root : queue[p]];
        if (next !== undefined)
          for (let i = 0; i < next.length; i++) {
            const v = next[i];
            if (seen[v] === epoch || !kindCode[v]) continue;
            seen[v] = epoch;
            queue[tail] = v;
            parent[tail++] = p;
          }
        if (p === -1) break;
      }
      if (tail === levelEnd) break; // nothing new at this depth
      levelStart = levelEnd;
      levelEnd = tail;
      levelStarts.push(tail);
    }
    return new Traversal(this, root, queue.slice(0, tail), parent.slice(0, tail), levelStarts);
  }
}

/** Bits reserved for a node's offset within its level when sorting a level by id. */
const OFFSET_BITS = 2 ** 22;

/**
 * One closure, computed once and then counted, filtered and paged without touching the
 * index's scratch space. Use it synchronously: a later write may change the index.
 */
export class Traversal {
  private sortedLevels: (Float64Array | undefined)[] = [];

  constructor(
    private readonly index: ClosureIndex,
    readonly root: number,
    private readonly ids: Int32Array,
    private readonly parents: Int32Array,
    /** Level k (distance k + 1) spans positions [levelStarts[k], levelStarts[k + 1]). */
    private readonly levelStarts: number[],
  ) {}

  get levels(): number {
    return this.levelStarts.length - 1;
  }

  countsByKind(): KindCounts {
    const byCode = [0, 0, 0, 0, 0];
    const { kindCode } = this.index.internals();
    for (let i = 0; i < this.ids.length; i++) byCode[kindCode[this.ids[i]]]++;
    return { source: byCode[1], feature: byCode[2], model: byCode[3], consumer: byCode[4] };
  }

  total(kinds?: ReadonlySet<Kind>): number {
    if (!kinds) return this.ids.length;
    const counts = this.countsByKind();
    let total = 0;
    for (const kind of kinds) total += counts[kind];
    return total;
  }

  /** Distinct owners of every node in the closure, sorted. */
  owners(): string[] {
    const { ownerCode, owners } = this.index.internals();
    const marked = new Uint8Array(owners.length);
    for (let i = 0; i < this.ids.length; i++) marked[ownerCode[this.ids[i]]] = 1;
    const result: string[] = [];
    for (let code = 0; code < marked.length; code++) if (marked[code]) result.push(owners[code]);
    return result.sort();
  }

  private sortedLevel(level: number): Float64Array {
    let keys = this.sortedLevels[level];
    if (!keys) {
      const start = this.levelStarts[level];
      const end = this.levelStarts[level + 1];
      keys = new Float64Array(end - start);
      for (let p = start; p < end; p++) keys[p - start] = this.ids[p] * OFFSET_BITS + (p - start);
      keys.sort();
      this.sortedLevels[level] = keys;
    }
    return keys;
  }

  /** Up to `limit` nodes after `after`, ordered by (distance, id), of the given kinds. */
  page(limit: number, options: { after?: ClosureCursor; kinds?: ReadonlySet<Kind> } = {}): {
    nodes: ClosureNode[];
    next: ClosureCursor | null;
  } {
    const { after, kinds } = options;
    const nodes: ClosureNode[] = [];
    const firstLevel = after ? Math.max(after.distance - 1, 0) : 0;
    for (let level = firstLevel; level < this.levels; level++) {
      const keys = this.sortedLevel(level);
      let i = 0;
      if (after && level === after.distance - 1) {
        // First key whose id is greater than the cursor's id.
        let lo = 0;
        let hi = keys.length;
        const bound = (after.id + 1) * OFFSET_BITS;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (keys[mid] < bound) lo = mid + 1;
          else hi = mid;
        }
        i = lo;
      }
      const start = this.levelStarts[level];
      for (; i < keys.length; i++) {
        const position = start + (keys[i] % OFFSET_BITS);
        const id = this.ids[position];
        const kind = this.index.kindOf(id)!;
        if (kinds && !kinds.has(kind)) continue;
        if (nodes.length === limit) {
          const last = nodes[nodes.length - 1];
          return { nodes, next: { distance: last.distance, id: last.id } };
        }
        nodes.push({
          id,
          kind,
          name: this.index.nameOf(id),
          owner: this.index.ownerOf(id),
          distance: level + 1,
          position,
        });
      }
    }
    return { nodes, next: null };
  }

  /** The nodes whose id is in `ids`, nearest first, with their position for `pathTo`. */
  among(ids: { has(id: number): boolean }): { id: number; distance: number; position: number }[] {
    const found: { id: number; distance: number; position: number }[] = [];
    for (let level = 0; level < this.levels; level++)
      for (let p = this.levelStarts[level]; p < this.levelStarts[level + 1]; p++)
        if (ids.has(this.ids[p])) found.push({ id: this.ids[p], distance: level + 1, position: p });
    return found;
  }

  /** Ids from the root to the node at `position`, both included: one shortest path. */
  pathTo(position: number): number[] {
    const path: number[] = [];
    for (let p = position; p !== -1; p = this.parents[p]) path.push(this.ids[p]);
    path.push(this.root);
    return path.reverse();
  }
}
