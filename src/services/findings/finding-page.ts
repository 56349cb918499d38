import { FINDING_TYPES, typeRank, type FindingCursor, type FindingType, type Severity } from '../../domain/finding.js';
import type { ClosureIndex } from '../../graph/closure-index.js';
import type { FindingRecord } from './finding-rules.js';

/** A finding's place in the listing within its type: its asset ids, then the identity. */
export const sortKey = (record: FindingRecord): (number | string)[] =>
  record.identity === undefined ? record.ids : [...record.ids, record.identity];

/** Where a listing continues after `record`. */
export const cursorOf = (record: FindingRecord): FindingCursor => ({ type: record.type, key: sortKey(record) });

/**
 * The most JSON one page of findings carries. With at most MAX_FINDING_ASSETS refs a
 * finding is about 1 KB, up to ~10 KB with 200-character names, so only a page of long
 * names is cut short; its cursor then continues after the last finding it holds.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** How many of `items`, from the first, fit in `maxBytes` of JSON (always at least one). */
export function fitting(items: readonly unknown[], maxBytes = MAX_PAGE_BYTES): number {
  let bytes = 1024; // the envelope: total and nextCursor
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > maxBytes && i > 0) return i;
  }
  return items.length;
}

export function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** Records grouped by type, each group sorted: together, the one stable listing order. */
export type Listing = Map<FindingType, FindingRecord[]>;

export function toListing(records: FindingRecord[]): Listing {
  const listing: Listing = new Map();
  for (const record of records) {
    const group = listing.get(record.type);
    if (group) group.push(record);
    else listing.set(record.type, [record]);
  }
  for (const group of listing.values()) sortGroup(group);
  return listing;
}

export function sortGroup(group: FindingRecord[]): void {
  group.sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
}

export interface PageFilter {
  types?: ReadonlySet<FindingType>;
  severities?: ReadonlySet<Severity>;
  owner?: string;
}

/** First position in a sorted group whose key is after `key`. */
function after(group: FindingRecord[], key: readonly (number | string)[]): number {
  let lo = 0;
  let hi = group.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sortKey(group[mid]), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of a listing after the filters: up to `limit` records after the cursor, the
 * cursor of the next page, and how many records match in all.
 */
export function selectPage(
  listing: Listing,
  index: ClosureIndex,
  filter: PageFilter,
  limit: number,
  cursor?: FindingCursor,
): { records: FindingRecord[]; next: FindingCursor | null; total: number } {
  const matches = (record: FindingRecord): boolean =>
    (!filter.severities || filter.severities.has(record.severity)) &&
    (filter.owner === undefined || record.ids.some((id) => index.ownerOf(id) === filter.owner));
  const unfiltered = !filter.severities && filter.owner === undefined;

  const records: FindingRecord[] = [];
  let next: FindingCursor | null = null;
  let total = 0;
  for (const type of FINDING_TYPES) {
    if (filter.types && !filter.types.has(type)) continue;
    const group = listing.get(type);
    if (!group) continue;
    if (unfiltered) total += group.length;
    let start = 0;
    if (cursor) {
      const rank = typeRank(cursor.type);
      if (typeRank(type) < rank) start = group.length;
      else if (type === cursor.type) start = after(group, cursor.key);
    }
    for (let i = unfiltered ? start : 0; i < group.length && !(unfiltered && next); i++) {
      const record = group[i];
      if (!matches(record)) continue;
      if (!unfiltered) total++;
      if (i < start || next) continue;
      if (records.length === limit) {
        next = cursorOf(records[records.length - 1]);
        continue;
      }
      records.push(record);
    }
  }
  return { records, next, total };
}
