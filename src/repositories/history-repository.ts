import type { Kind, Ref } from '../domain/model.js';
import type { DbClient } from './db-client.js';

export type HistoryAction = 'create' | 'update' | 'deprecate' | 'reinstate' | 'delete';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
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
              actor text, revision int, changes jsonb, reason text)`,
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

  /** Newest first; `beforeId` continues a previous page. */
  async list(ref: Ref, limit: number, beforeId?: number): Promise<HistoryRecord[]> {
    const rows = await this.db.assetHistory.findMany({
      where: { kind: ref.kind, name: ref.name, ...(beforeId ? { id: { lt: BigInt(beforeId) } } : {}) },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map((row) => ({
      id: Number(row.id),
      action: row.action as HistoryAction,
      actor: row.actor,
      at: row.at.toISOString(),
      revision: row.revision,
      changes: row.changes as unknown as FieldChange[],
      reason: row.reason,
    }));
  }
}
