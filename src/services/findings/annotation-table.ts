import type { Lifecycle } from '../../domain/model.js';

/** One asset's annotations as the findings rules need them, as read from the database. */
export interface AnnotationRow {
  id: number;
  lifecycle: Lifecycle;
  platforms: string[] | null;
  domains: string[] | null;
  volatile: boolean;
  noDescription: boolean;
  noValueType: boolean;
  deprecated: boolean;
  replacedBy: string | null;
  sunsetAt: string | null;
}

const LIFECYCLE_CODE: Record<Lifecycle, number> = { experimental: 1, production: 2, deprecated: 3, retired: 4 };

const LOADED = 1;
const VOLATILE = 2;
const NO_DESCRIPTION = 4;
const NO_VALUE_TYPE = 8;
const DEPRECATED = 16;

/**
 * Annotations of many assets in typed arrays indexed by asset id: a million assets take a
 * few megabytes, and label sets (platforms, domains) are interned so that comparing two
 * assets' sets is usually one integer comparison. Filled either for every asset (a full
 * pass) or for the few around one asset.
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

  constructor(capacity: number) {
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
    const key = [...labels].sort().join('\u0000');
    let code = this.setCodes.get(key);
    if (code === undefined) {
      code = this.sets.push(new Set(labels)) - 1;
      this.setCodes.set(key, code);
    }
    return code;
  }

  add(row: AnnotationRow): void {
    const id = row.id;
    this.grow(id);
    this.flags[id] =
      LOADED |
      (row.volatile ? VOLATILE : 0) |
      (row.noDescription ? NO_DESCRIPTION : 0) |
      (row.noValueType ? NO_VALUE_TYPE : 0) |
      (row.deprecated || row.lifecycle === 'deprecated' ? DEPRECATED : 0);
    this.lifecycles[id] = LIFECYCLE_CODE[row.lifecycle];
    this.platformSet[id] = this.intern(row.platforms);
    this.domainSet[id] = this.intern(row.domains);
    if (row.replacedBy) this.replacedBy.set(id, row.replacedBy);
    if (row.sunsetAt) this.sunsetAt.set(id, row.sunsetAt);
  }

  has(id: number): boolean {
    return id < this.flags.length && (this.flags[id] & LOADED) !== 0;
  }

  isProduction(id: number): boolean {
    return this.lifecycles[id] === LIFECYCLE_CODE.production;
  }

  isExperimental(id: number): boolean {
    return this.lifecycles[id] === LIFECYCLE_CODE.experimental;
  }

  isRetired(id: number): boolean {
    return this.lifecycles[id] === LIFECYCLE_CODE.retired;
  }

  /** Deprecated by lifecycle or by a recorded deprecation. */
  isDeprecated(id: number): boolean {
    return (this.flags[id] & DEPRECATED) !== 0;
  }

  isVolatile(id: number): boolean {
    return (this.flags[id] & VOLATILE) !== 0;
  }

  lacksDescription(id: number): boolean {
    return (this.flags[id] & NO_DESCRIPTION) !== 0;
  }

  lacksValueType(id: number): boolean {
    return (this.flags[id] & NO_VALUE_TYPE) !== 0;
  }

  platformsCode(id: number): number {
    return this.platformSet[id];
  }

  domainsCode(id: number): number {
    return this.domainSet[id];
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
