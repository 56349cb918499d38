import type { Kind } from '../domain/model.js';
import { formatRef } from '../domain/model.js';
import type { Scope } from './scope.js';

/** Reads of one asset by one identity, already summed. */
export interface UsageAggregate {
  assetId: number;
  identity: string;
  firstSeen: Date;
  lastSeen: Date;
  count: number;
}

export interface UndeclaredRow {
  assetId: number;
  identity: string;
  asset: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

export interface UndeclaredQuery {
  assetId?: number;
  since?: Date;
  after?: { assetId: number; identity: string };
  limit: number;
}

interface RawUndeclared {
  asset_id: number;
  identity: string;
  kind: Kind;
  name: string;
  first_seen: Date;
  last_seen: Date;
  /** bigint: the driver gives its text. */
  count: string | number;
}

/**
 * "Undeclared" is decided here, when reading, against the declarations as they are now:
 * the identity is not a consumer with a direct edge to the asset.
 */
const UNDECLARED = `NOT EXISTS (
  SELECT 1 FROM assets c JOIN dependencies d ON d.dependent_id = c.id AND d.dependency_id = u.asset_id
   WHERE c.kind = 'consumer' AND c.name = u.identity)`;

const toRow = (row: RawUndeclared): UndeclaredRow => ({
  assetId: row.asset_id,
  identity: row.identity,
  asset: formatRef({ kind: row.kind, name: row.name }),
  firstSeen: row.first_seen.toISOString(),
  lastSeen: row.last_seen.toISOString(),
  count: Number(row.count),
});

/** Aggregated observed reads. Never takes the graph write lock: reads do not change the graph. */
export class UsageRepository {
  constructor(private readonly db: Scope) {}

  /**
   * Adds the aggregates in one statement. Rows go in key order so that two batches
   * touching the same keys lock them in the same order and cannot deadlock; an asset
   * deleted meanwhile simply drops out through the join.
   */
  async add(rows: UsageAggregate[]): Promise<void> {
    if (rows.length === 0) return;
    const sorted = [...rows].sort((a, b) => a.assetId - b.assetId || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
    await this.db.query(
      `INSERT INTO usage_reads AS u (asset_id, identity, first_seen, last_seen, count)
       SELECT x.asset_id, x.identity, x.first_seen, x.last_seen, x.count
         FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::bigint[])
              WITH ORDINALITY AS x(asset_id, identity, first_seen, last_seen, count, ord)
         JOIN assets a ON a.id = x.asset_id
        ORDER BY x.ord
       ON CONFLICT (asset_id, identity) DO UPDATE SET
         first_seen = LEAST(u.first_seen, EXCLUDED.first_seen),
         last_seen = GREATEST(u.last_seen, EXCLUDED.last_seen),
         count = u.count + EXCLUDED.count`,
      [
        sorted.map((r) => r.assetId),
        sorted.map((r) => r.identity),
        sorted.map((r) => r.firstSeen.toISOString()),
        sorted.map((r) => r.lastSeen.toISOString()),
        sorted.map((r) => String(r.count)),
      ],
    );
  }

  /** Undeclared readers, in (asset id, identity) order, from the keyset position `after`. */
  async undeclared(query: UndeclaredQuery): Promise<UndeclaredRow[]> {
    const rows = await this.db.query<RawUndeclared>(
      `SELECT u.asset_id, u.identity, a.kind, a.name, u.first_seen, u.last_seen, u.count
         FROM usage_reads u JOIN assets a ON a.id = u.asset_id
        WHERE ($1::int IS NULL OR u.asset_id = $1::int)
          AND ($2::timestamptz IS NULL OR u.last_seen >= $2::timestamptz)
          AND ($3::int IS NULL OR (u.asset_id, u.identity) > ($3::int, $4::text))
          AND ${UNDECLARED}
        ORDER BY u.asset_id, u.identity
        LIMIT $5`,
      [query.assetId ?? null, query.since?.toISOString() ?? null, query.after?.assetId ?? null, query.after?.identity ?? null, query.limit],
    );
    return rows.map(toRow);
  }

  /** The most recently seen undeclared readers of one asset. */
  async undeclaredOf(assetId: number, limit: number): Promise<UndeclaredRow[]> {
    const rows = await this.db.query<RawUndeclared>(
      `SELECT u.asset_id, u.identity, a.kind, a.name, u.first_seen, u.last_seen, u.count
         FROM usage_reads u JOIN assets a ON a.id = u.asset_id
        WHERE u.asset_id = $1 AND ${UNDECLARED}
        ORDER BY u.last_seen DESC, u.identity
        LIMIT $2`,
      [assetId, limit],
    );
    return rows.map(toRow);
  }
}
