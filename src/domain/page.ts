/**
 * One page of any list a service answers: its items, and the position the next page
 * starts after (`null` on the last page). Positions are structured values; each adapter
 * encodes them as its own opaque cursor.
 */
export interface Page<T, C = unknown> {
  items: T[];
  nextCursor: C | null;
}

/**
 * The page for `rows` fetched with `limit + 1`: the extra row only says that there is
 * more, and the position of the last kept row is where the next page starts.
 */
export function pageFrom<T, C>(rows: T[], limit: number, positionOf: (last: T) => C): Page<T, C> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: positionOf(items[items.length - 1]) };
}
