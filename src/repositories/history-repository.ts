import { expandChanges, type CreatedFields, type FieldChange, type HistoryAction, type HistoryEntry, type HistoryRecord } from '../domain/history.js';
import type { Ref } from '../domain/model.js';
import type { Pool, Scope } from './scope.js';

/** The append-only record of every change to every asset. */
export class HistoryRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'prisma'>,
  ) {}

  async append(entries: HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO asset_history (asset_id, kind, name, action, actor, on_behalf_of, revision, changes, reason)
       SELECT asset_id, kind, name, action, actor, on_behalf_of, revision, changes, reason
         FROM jsonb_to_recordset($1::jsonb) AS x(asset_id int, kind text, name text, action text,
              actor text, on_behalf_of text, revision int, changes json, reason text)`,
      [
        JSON.stringify(
          entries.map((e) => ({
            asset_id: e.assetId,
            kind: e.kind,
            name: e.name,
            action: e.action,
            actor: e.actor,
            on_behalf_of: e.onBehalfOf,
            revision: e.revision,
            changes: e.changes,
            reason: e.reason,
          })),
        ),
      ],
    );
  }

  /**
   * The newest `limit` records of each ref (after `beforeId`), in one statement: one
   * index range scan per ref, so listing many assets with their history is not a
   * query per asset. Each ref's records come newest first.
   */
  async listMany(refs: Ref[], limit: number, beforeId?: number): Promise<Map<string, HistoryRecord[]>> {
    const byRef = new Map<string, HistoryRecord[]>(refs.map((ref) => [`${ref.kind}:${ref.name}`, []]));
    if (refs.length === 0) return byRef;
    const rows = await this.db.query<RawHistory & { kind: string; name: string }>(
      `SELECT r.kind, r.name, h.id, h.action, h.actor, h.on_behalf_of AS "onBehalfOf", h.at, h.revision, h.changes, h.reason
         FROM unnest($1::text[], $2::text[]) AS r(kind, name)
        CROSS JOIN LATERAL (
              SELECT id, action, actor, on_behalf_of, at, revision, changes, reason
                FROM asset_history
               WHERE kind = r.kind AND name = r.name AND ($3::bigint IS NULL OR id < $3::bigint)
               ORDER BY id DESC
               LIMIT $4) h
        ORDER BY h.id DESC`,
      [refs.map((ref) => ref.kind), refs.map((ref) => ref.name), beforeId ?? null, limit],
    );
    for (const row of rows) byRef.get(`${row.kind}:${row.name}`)?.push(toRecord(row));
    return byRef;
  }

  /** Newest first; `beforeId` continues a previous page. A typed read: Prisma's `findMany`. */
  async list(ref: Ref, limit: number, beforeId?: number): Promise<HistoryRecord[]> {
    const rows = await this.pool.prisma.assetHistory.findMany({
      where: { kind: ref.kind, name: ref.name, ...(beforeId ? { id: { lt: BigInt(beforeId) } } : {}) },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map(toRecord);
  }
}

interface RawHistory {
  /** bigint: Prisma gives a BigInt, the driver its text. */
  id: bigint | string;
  action: string;
  actor: string;
  onBehalfOf: string | null;
  at: Date;
  revision: number;
  changes: unknown;
  reason: string | null;
}

function toRecord(row: RawHistory): HistoryRecord {
  return {
    id: Number(row.id),
    action: row.action as HistoryAction,
    actor: row.actor,
    onBehalfOf: row.onBehalfOf,
    at: new Date(row.at).toISOString(),
    revision: row.revision,
    changes: expandChanges(row.changes as FieldChange[] | CreatedFields),
    reason: row.reason,
  };
}
