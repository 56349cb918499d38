import type { DependencyEdge } from '../domain/asset.js';
import type { Kind, Ref } from '../domain/model.js';
import type { DbClient } from './db-client.js';

export type HistoryAction = 'create' | 'update' | 'deprecate' | 'reinstate' | 'delete';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * A creation's changes as the write path stores them: each field that holds something, by
 * name, in field order, and dependencies that carry no pin, importance or note as bare
 * refs. A bulk import writes a million of these; the full form is three times the size.
 * `expandChanges` gives the full form back.
 */
export type CreatedFields = Record<string, unknown>;

/** Stored changes, full (FieldChange[]) or a creation's compact form, as the full form. */
export function expandChanges(stored: FieldChange[] | CreatedFields): FieldChange[] {
  if (Array.isArray(stored)) return stored;
  return Object.entries(stored).map(([field, after]) => ({
    field,
    before: null,
    after:
      field === 'dependsOn'
        ? (after as (string | DependencyEdge)[]).map((d) =>
            typeof d === 'string' ? { ref: d, pinnedVersion: null, importance: null, note: null } : d,
          )
        : after,
  }));
}

export interface HistoryEntry {
  assetId: number;
  kind: Kind;
  name: string;
  action: HistoryAction;
  actor: string;
  revision: number;
  changes: FieldChange[];
  reason: string | null;
}

export interface HistoryRecord extends Omit<HistoryEntry, 'assetId' | 'kind' | 'name'> {
  id: number;
  at: string;
}

/** The append-only record of every change to every asset. */
export class HistoryRepository {
  constructor(private readonly db: DbClient) {}

  async append(entries: HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.$executeRawUnsafe(
      `INSERT INTO asset_history (asset_id, kind, name, action, actor, revision, changes, reason)
       SELECT asset_id, kind, name, action, actor, revision, changes, reason
         FROM jsonb_to_recordset($1::jsonb) AS x(asset_id int, kind text, name text, action text,
              actor text, revision int, changes json, reason text)`,
      JSON.stringify(
        entries.map((e) => ({
          asset_id: e.assetId,
          kind: e.kind,
          name: e.name,
          action: e.action,
          actor: e.actor,
          revision: e.revision,
          changes: e.changes,
          reason: e.reason,
        })),
      ),
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
    const rows = await this.db.$queryRawUnsafe<(RawHistory & { kind: string; name: string })[]>(
      `SELECT r.kind, r.name, h.id, h.action, h.actor, h.at, h.revision, h.changes, h.reason
         FROM unnest($1::text[], $2::text[]) AS r(kind, name)
        CROSS JOIN LATERAL (
              SELECT id, action, actor, at, revision, changes, reason
                FROM asset_history
               WHERE kind = r.kind AND name = r.name AND ($3::bigint IS NULL OR id < $3::bigint)
               ORDER BY id DESC
               LIMIT $4) h
        ORDER BY h.id DESC`,
      refs.map((ref) => ref.kind),
      refs.map((ref) => ref.name),
      beforeId ?? null,
      limit,
    );
    for (const row of rows) byRef.get(`${row.kind}:${row.name}`)?.push(toRecord(row));
    return byRef;
  }

  /** Newest first; `beforeId` continues a previous page. */
  async list(ref: Ref, limit: number, beforeId?: number): Promise<HistoryRecord[]> {
    const rows = await this.db.assetHistory.findMany({
      where: { kind: ref.kind, name: ref.name, ...(beforeId ? { id: { lt: BigInt(beforeId) } } : {}) },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map(toRecord);
  }
}

interface RawHistory {
  id: bigint;
  action: string;
  actor: string;
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
    at: new Date(row.at).toISOString(),
    revision: row.revision,
    changes: expandChanges(row.changes as FieldChange[] | CreatedFields),
    reason: row.reason,
  };
}
