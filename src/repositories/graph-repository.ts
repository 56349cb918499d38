import type { SqlRunner } from '../db/database.js';
import { deprecatedSql } from '../domain/deprecation.js';
import type { Kind } from '../domain/model.js';
import type { NodeState } from '../graph/node-state.js';
import type { Pool, Scope } from './scope.js';

interface NodeRow {
  seq?: string;
  id: number;
  kind: Kind | null;
  name: string | null;
  owner: string | null;
  deprecated: boolean | null;
  deps: number[] | null;
}

const toState = (row: NodeRow, seq: number): NodeState => ({
  seq,
  id: row.id,
  kind: row.kind,
  name: row.name,
  owner: row.owner,
  deprecated: row.deprecated === true,
  dependsOn: row.deps ?? [],
});

const SNAPSHOT_CHUNK = 50_000;
/** Log entries read per catch-up query; a longer backlog takes several. */
export const CATCH_UP_CHUNK = 10_000;

const LAST_SEQ = 'SELECT COALESCE(max(seq), 0)::text AS seq FROM graph_changes';

/**
 * The log entries after `seq`, each with its asset's state as of the statement's snapshot,
 * on any runner: the pool, or a write transaction's own connection. Applying them in order
 * brings an index that has applied everything up to `seq` to exactly that snapshot.
 */
export async function changesSince(query: SqlRunner, seq: number, limit = CATCH_UP_CHUNK): Promise<NodeState[]> {
  // The shape keeps the plan to index probes whatever the statistics say (right after a
  // bulk load they say nothing yet): a keyset range on the log's primary key, then one
  // primary-key lookup per entry. A plain join is planned as scans of both tables.
  const rows = await query<NodeRow>(
    `SELECT c.seq::text AS seq, c.asset_id AS id, a.kind, a.name, a.owner, ${deprecatedSql('a')} AS deprecated,
            (SELECT array_agg(d.dependency_id) FROM dependencies d WHERE d.dependent_id = a.id) AS deps
       FROM (SELECT seq, asset_id FROM graph_changes WHERE seq > $1::bigint ORDER BY seq LIMIT $2) c
       LEFT JOIN LATERAL (SELECT * FROM assets WHERE id = c.asset_id LIMIT 1) a ON true
      ORDER BY c.seq`,
    [String(seq), limit],
  );
  return rows.map((row) => toState(row, Number(row.seq)));
}

/** The graph change log and the snapshot an index starts from. */
export class GraphRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'snapshot'>,
  ) {}

  /**
   * Records that these assets changed; must run inside the write-locked transaction.
   * Returns their log positions, in the order given (rows are numbered in that order).
   */
  async appendChanges(assetIds: number[]): Promise<number[]> {
    if (assetIds.length === 0) return [];
    const rows = await this.db.query<{ seq: string }>(
      `INSERT INTO graph_changes (asset_id)
       SELECT c.id FROM unnest($1::int[]) WITH ORDINALITY AS c(id, n) ORDER BY c.n
       RETURNING seq::text AS seq`,
      [assetIds],
    );
    return rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
  }

  /** The last change-log position; inside the write lock, nobody can move it on. */
  async lastSeq(): Promise<number> {
    const [{ seq }] = await this.db.query<{ seq: string }>(LAST_SEQ);
    return Number(seq);
  }

  /** The log entries after `seq`: see the function of the same name. */
  changesSince(seq: number, limit = CATCH_UP_CHUNK): Promise<NodeState[]> {
    return changesSince(this.db.query, seq, limit);
  }

  /**
   * Streams every asset with its dependencies from one repeatable-read snapshot, and
   * returns the change-log position that snapshot corresponds to.
   */
  snapshot(onChunk: (nodes: NodeState[]) => void): Promise<number> {
    return this.pool.snapshot(async (query) => {
      const [{ seq }] = await query<{ seq: string }>(LAST_SEQ);
      const position = Number(seq);
      let after = 0;
      for (;;) {
        const rows = await query<NodeRow>(
          `SELECT a.id, a.kind, a.name, a.owner, ${deprecatedSql('a')} AS deprecated,
                  (SELECT array_agg(d.dependency_id) FROM dependencies d WHERE d.dependent_id = a.id) AS deps
             FROM assets a WHERE a.id > $1 ORDER BY a.id LIMIT $2`,
          [after, SNAPSHOT_CHUNK],
        );
        if (rows.length === 0) break;
        onChunk(rows.map((row) => toState(row, position)));
        after = rows[rows.length - 1].id;
      }
      return position;
    });
  }
}
