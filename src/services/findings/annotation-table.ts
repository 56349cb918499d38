import type { Lifecycle } from '../../domain/model.js';
import type { AnnotationRow } from '../../repositories/findings-repository.js';

const LIFECYCLE_CODE: Record<Lifecycle, number> = { experimental: 1, production: 2, deprecated: 3, retired: 4 };

const LOADED = 1;
const VOLATILE = 2;
const NO_DESCRIPTION = 4;
const NO_VALUE_TYPE = 8;
const DEPRECATED = 16;

/**
 * Annotations of many assets in typed arrays: a million assets take a few megabytes, and
 * label sets (platforms, domains) are interned so that comparing two assets' sets is
 * usually one integer comparison. Dense (indexed by asset id) for a full pass; sparse
 * (ids mapped to slots) for the few assets around one asset, so a per-asset read does not
 * allocate arrays the size of the catalog.
 */
export class AnnotationTable {
  private flags: Uint8Array;
  private lifecycles: Uint8Array;
  private platformSet: Int32Array;
  private domainSet: Int32Array;
  /** Interned label sets; code 0 means "unknown" (no labels recorded). */
  private sets: ReadonlySet<string>[] = [new Set()];
  private setCodes = new Map<string, number>();
  private replacedBy = new Map<number, string>();
  private sunsetAt = new Map<number, string>();

  /** Slot of each id when sparse; undefined when dense (slot = id). */
  private slots: Map<number, number> | undefined;

  static dense(capacity: number): AnnotationTable {
    return new AnnotationTable(capacity, false);
  }

  static sparse(): AnnotationTable {
    return new AnnotationTable(64, true);
  }

  private constructor(capacity: number, sparse: boolean) {
    if (sparse) this.slots = new Map();
    this.flags = new Uint8Array(capacity);
    this.lifecycles = new Uint8Array(capacity);
    this.platformSet = new Int32Array(capacity);
    this.domainSet = new Int32Array(capacity);
  }

  private grow(id: number): void {
    if (id < this.flags.length) return;
    let capacity = Math.max(this.flags.length, 16);
    while (capacity <= id) capacity *= 2;
    const copy = <T extends Uint8Array | Int32Array>(from: T, to: T): T => (to.set(from), to);
    this.flags = copy(this.flags, new Uint8Array(capacity));
    this.lifecycles = copy(this.lifecycles, new Uint8Array(capacity));
    this.platformSet = copy(this.platformSet, new Int32Array(capacity));
    this.domainSet = copy(this.domainSet, new Int32Array(capacity));
  }

  private intern(labels: string[] | null): number {
    if (!labels || labels.length === 0) return 0;
    // Most rows repeat a handful of lists in the same order: look the list up as given
    // first, and sort only for a list not seen before.
    const asGiven = labels.join('\u0000');
    let code = this.setCodes.get(asGiven);
    if (code === undefined) {
      const key = [...labels].sort().join('\u0000');
      code = this.setCodes.get(key);
      if (code === undefined) {
        code = this.sets.push(new Set(labels)) - 1;
        this.setCodes.set(key, code);
      }
      this.setCodes.set(asGiven, code);
    }
    return code;
  }

  /** The array position of an id; -1 when it was not loaded. */
  private slot(id: number): number {
    if (!this.slots) return id < this.flags.length ? id : -1;
    return this.slots.get(id) ?? -1;
  }

  add(row: AnnotationRow): void {
    let slot = row.id;
    if (this.slots) {
      slot = this.slots.get(row.id) ?? this.slots.size;
      this.slots.set(row.id, slot);
    }
    this.grow(slot);
    this.flags[slot] =
      LOADED |
      (row.volatile ? VOLATILE : 0) |
      (row.noDescription ? NO_DESCRIPTION : 0) |
      (row.noValueType ? NO_VALUE_TYPE : 0) |
      (row.deprecated ? DEPRECATED : 0);
    this.lifecycles[slot] = LIFECYCLE_CODE[row.lifecycle];
    this.platformSet[slot] = this.intern(row.platforms);
    this.domainSet[slot] = this.intern(row.domains);
    if (row.replacedBy) this.replacedBy.set(row.id, row.replacedBy);
    if (row.sunsetAt) this.sunsetAt.set(row.id, row.sunsetAt);
  }

  has(id: number): boolean {
    const slot = this.slot(id);
    return slot >= 0 && (this.flags[slot] & LOADED) !== 0;
  }

  isProduction(id: number): boolean {
    return this.lifecycles[this.slot(id)] === LIFECYCLE_CODE.production;
  }

  isExperimental(id: number): boolean {
    return this.lifecycles[this.slot(id)] === LIFECYCLE_CODE.experimental;
  }

  isRetired(id: number): boolean {
    return this.lifecycles[this.slot(id)] === LIFECYCLE_CODE.retired;
  }

  /** Deprecated by lifecycle or by a recorded deprecation. */
  isDeprecated(id: number): boolean {
    return (this.flags[this.slot(id)] & DEPRECATED) !== 0;
  }

  isVolatile(id: number): boolean {
    return (this.flags[this.slot(id)] & VOLATILE) !== 0;
  }

  lacksDescription(id: number): boolean {
    return (this.flags[this.slot(id)] & NO_DESCRIPTION) !== 0;
  }

  lacksValueType(id: number): boolean {
    return (this.flags[this.slot(id)] & NO_VALUE_TYPE) !== 0;
  }

  platformsCode(id: number): number {
    return this.platformSet[this.slot(id)] ?? 0;
  }

  domainsCode(id: number): number {
    return this.domainSet[this.slot(id)] ?? 0;
  }

  labels(code: number): ReadonlySet<string> {
    return this.sets[code];
  }

  replacementOf(id: number): string | undefined {
    return this.replacedBy.get(id);
  }

  sunsetOf(id: number): string | undefined {
    return this.sunsetAt.get(id);
  }

  /** Ids with a recorded replacement, for the legacy rule. */
  replacedIds(): IterableIterator<number> {
    return this.replacedBy.keys();
  }
}
