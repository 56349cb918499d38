import type { SqlRunner } from '../db/database.js';
import { deprecatedSql } from '../domain/deprecation.js';
import type { Kind } from '../domain/model.js';
import { BehindHorizonError, type GraphLog } from '../graph/graph-log.js';
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

/**
 * The last change-log position. The horizon counts too: pruning always keeps the newest
 * entries, but a position must never fall below what was pruned.
 */
const LAST_SEQ = `SELECT GREATEST((SELECT max(seq) FROM graph_changes), (SELECT seq FROM graph_log_horizon), 0)::text AS seq`;

/** What one pruning batch may delete: bounded work per statement and per lock hold. */
export interface PruneLimits {
  /** Entries deleted at most. */
  batch: number;
  /** The newest entries kept, however old. */
  keepCount: number;
  /** Entries younger than this are kept. */
  keepMs: number;
}

/**
 * The log entries after `seq`, each with its asset's state as of the statement's snapshot,
 * on any runner: the pool, or a write transaction's own connection. Applying them in order
 * brings an index that has applied everything up to `seq` to exactly that snapshot.
 * Throws BehindHorizonError when entries after `seq` have been pruned: the same statement
 * reads the horizon, so an answer is either complete or refused.
 */
export async function changesSince(query: SqlRunner, seq: number, limit = CATCH_UP_CHUNK): Promise<NodeState[]> {
  // The shape keeps the plan to index probes whatever the statistics say (right after a
  // bulk load they say nothing yet): a keyset range on the log's primary key, then one
  // primary-key lookup per entry. A plain join is planned as scans of both tables. The
  // horizon's one row makes the answer at least one row, with or without entries.
  const rows = await query<NodeRow & { horizon: string }>(
    `SELECT c.seq::text AS seq, c.asset_id AS id, a.kind, a.name, a.owner, ${deprecatedSql('a')} AS deprecated,
            (SELECT array_agg(d.dependency_id) FROM dependencies d WHERE d.dependent_id = a.id) AS deps,
            h.seq::text AS horizon
       FROM graph_log_horizon h
       LEFT JOIN LATERAL (SELECT seq, asset_id FROM graph_changes WHERE seq > $1::bigint ORDER BY seq LIMIT $2) c ON true
       LEFT JOIN LATERAL (SELECT * FROM assets WHERE id = c.asset_id LIMIT 1) a ON true
      ORDER BY c.seq`,
    [String(seq), limit],
  );
  const horizon = Number(rows[0]?.horizon ?? 0);
  if (horizon > seq) throw new BehindHorizonError(seq, horizon);
  return rows.filter((row) => row.seq != null).map((row) => toState(row, Number(row.seq)));
}

/**
 * Streams every asset with its dependencies, and returns the change-log position the
 * reads correspond to. They must all see one state of the graph: run them in one
 * repeatable-read snapshot, or in a transaction holding the graph write lock (no graph
 * write can commit in between).
 */
export async function readSnapshot(query: SqlRunner, onChunk: (nodes: NodeState[]) => void): Promise<number> {
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

  /**
   * How far an index that has applied the log up to `seq` is behind it: the entries after
   * `seq`, and the age of the first of them by the database's clock. Two probes of the
   * primary key (its last entry, and the first after `seq`), whatever the log's length.
   */
  async lag(seq: number): Promise<{ entries: number; seconds: number }> {
    const [row] = await this.db.query<{ head: string; age: number | null }>(
      `SELECT (${LAST_SEQ}) AS head,
              (SELECT EXTRACT(EPOCH FROM now() - changed_at)::float8
                 FROM graph_changes WHERE seq > $1::bigint ORDER BY seq LIMIT 1) AS age`,
      [String(seq)],
    );
    // A log pruned behind the index, or a clock step, is no lag.
    return { entries: Math.max(0, Number(row.head) - seq), seconds: Math.max(0, row.age ?? 0) };
  }

  /** The log entries after `seq`: see the function of the same name. */
  changesSince(seq: number, limit = CATCH_UP_CHUNK): Promise<NodeState[]> {
    return changesSince(this.db.query, seq, limit);
  }

  /**
   * The log and the snapshot as this scope reads them, for GraphSync.freshUnderLock: only
   * inside a transaction holding the graph write lock, where no graph write can commit
   * between its statements.
   */
  underLock(): GraphLog {
    return {
      changesSince: (seq, limit) => changesSince(this.db.query, seq, limit),
      snapshot: (onChunk) => readSnapshot(this.db.query, onChunk),
    };
  }

  /**
   * Streams every asset with its dependencies from one repeatable-read snapshot, and
   * returns the change-log position that snapshot corresponds to.
   */
  snapshot(onChunk: (nodes: NodeState[]) => void): Promise<number> {
    return this.pool.snapshot((query) => readSnapshot(query, onChunk));
  }

  /** Entries at or below this position may have been pruned. */
  async horizon(): Promise<number> {
    const [row] = await this.db.query<{ seq: string }>('SELECT seq::text AS seq FROM graph_log_horizon');
    return Number(row?.seq ?? 0);
  }

  /**
   * Deletes one batch of old entries and moves the horizon up to the last one deleted;
   * answers how many went and the horizon after. Runs inside the write-locked transaction:
   * no write appends meanwhile, and the horizon cannot move while any writer holds the
   * lock (GraphSync relies on that). The candidates are the `batch` oldest entries above
   * the horizon, read by primary key; the cut stops before the first of them younger than
   * `keepMs`, and below the `keepCount` newest entries. Sequence numbers may have gaps (a
   * rolled-back write burns them), so both bounds count rows, not numbers.
   */
  async prune(limits: PruneLimits): Promise<{ deleted: number; horizon: number }> {
    const [row] = await this.db.query<{ deleted: number; horizon: string }>(
      `WITH h AS (SELECT seq FROM graph_log_horizon),
       candidates AS (
         SELECT c.seq, c.changed_at FROM graph_changes c, h WHERE c.seq > h.seq ORDER BY c.seq LIMIT $1
       ),
       cut AS (
         SELECT LEAST(
                  COALESCE((SELECT min(seq) - 1 FROM candidates
                             WHERE changed_at >= now() - make_interval(secs => $2::double precision / 1000)),
                           (SELECT max(seq) FROM candidates), h.seq),
                  COALESCE((SELECT seq FROM graph_changes ORDER BY seq DESC OFFSET $3 LIMIT 1), h.seq)
                ) AS upto
           FROM h
       ),
       gone AS (
         DELETE FROM graph_changes c USING h, cut WHERE c.seq > h.seq AND c.seq <= cut.upto RETURNING 1
       ),
       moved AS (
         UPDATE graph_log_horizon g SET seq = cut.upto FROM cut WHERE cut.upto > g.seq RETURNING g.seq
       )
       SELECT (SELECT count(*) FROM gone)::int AS deleted,
              COALESCE((SELECT seq FROM moved), (SELECT seq FROM h))::text AS horizon`,
      [limits.batch, limits.keepMs, limits.keepCount],
    );
    return { deleted: row.deleted, horizon: Number(row.horizon) };
  }
}
