import type { SqlRunner } from '../db/database.js';
import type { Actor } from '../domain/principal.js';
import type { Asset } from '../domain/asset.js';
import type { NodeState } from '../graph/node-state.js';
import { changesSince, readSnapshot } from './graph-repository.js';
import {
  assetRowsFrom,
  byIds,
  RESOLVED_COLUMNS,
  toAsset,
  toResolved,
  type AssetRow,
  type AssetWrite,
  type ResolvedRef,
  type ResolvedRow,
} from './asset-repository.js';
import { translated } from './db-errors.js';

/** One key for every graph write: see migrations/001_core.sql on why writes are serialised. */
const GRAPH_WRITE_LOCK = 0x67726170; // "grap"

/**
 * Takes the graph write lock, waiting at most $1 milliseconds (PostgreSQL then fails the
 * statement with 55P03, which the API answers with 503 BUSY). The FROM runs first, so
 * the timeout is set before the wait starts.
 */
const LOCK = `SELECT pg_advisory_xact_lock(${GRAPH_WRITE_LOCK}) FROM (SELECT set_config('lock_timeout', $1::text, true)) AS s`;

/** Takes the graph write lock on `query`'s transaction (held until it ends); see LOCK. */
export async function lockGraph(query: SqlRunner, timeoutMs: number): Promise<void> {
  await query(LOCK, [String(Math.round(timeoutMs))]);
}

const ESCAPED = /["\\]/;
const ESCAPES = /["\\]/g;
const quote = (value: string) => `"${ESCAPED.test(value) ? value.replace(ESCAPES, '\\$&') : value}"`;

/**
 * A PostgreSQL array literal, sent as one text parameter: the driver would otherwise
 * escape every element with two regular expressions, which at millions of elements costs
 * more than the statement. Elements are quoted only when text; null is NULL.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  if (values.length === 0) return '{}';
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    parts[i] = value === null ? 'NULL' : typeof value === 'number' ? String(value) : quote(value);
  }
  // The braces go inside the join: a string concatenated to its result would be a rope,
  // which the driver copies once more to measure.
  parts[0] = `{${parts[0]}`;
  parts[parts.length - 1] += '}';
  return parts.join(',');
}

const json = (value: unknown) => (value == null ? null : JSON.stringify(value));

/** The columns of `assets` a write sets, each a parameter: `x.<column>` in the statements. */
const ASSET_ROWS = `unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::int[])
  AS x(id, kind, name, owner, description, lifecycle, tags, platforms, domains, value_type, stability,
       access_policy, contact, sla, metadata, revision)`;
const VALUES = `x.owner, x.description, x.lifecycle, x.tags::text[], x.platforms::text[], x.domains::text[],
  x.value_type, x.stability, x.access_policy, x.contact, x.sla::jsonb, x.metadata::jsonb`;

/**
 * The statements of the asset write path, on one write transaction (UnitOfWork.writeAssets).
 * Every statement takes its rows as parallel typed arrays: cheap to send and to unpack at
 * thousands of rows, and free of joins for the planner to get wrong when its statistics
 * lag behind a bulk load.
 */
export class AssetWriter {
  constructor(private readonly query: SqlRunner) {}

  /** The change log after `seq`, read in this transaction (see GraphSync.freshUnderLock). */
  changesSince(seq: number, limit: number): Promise<NodeState[]> {
    return changesSince(this.query, seq, limit);
  }

  /**
   * Every asset, read in this transaction: it holds the graph write lock, so no graph
   * write commits between its statements (see GraphSync.freshUnderLock, for an index
   * that fell behind the pruned log).
   */
  snapshot(onChunk: (nodes: NodeState[]) => void): Promise<number> {
    return readSnapshot(this.query, onChunk);
  }

  /**
   * Everything a write needs to read, in one round trip: the stored assets it names
   * (`ids`: the closure index tells which exist), the details of the deprecated assets it
   * depends on (`deprecatedIds`: the index only flags them), and `idCount` fresh ids for
   * its creations. The ids are one range taken from the identity sequence, which only
   * writers holding the lock advance; unused ones are gaps, as identity columns may have.
   * With `since`, also whether the change log has moved past that position: then the
   * index that chose the ids was behind, and the read must be made again.
   */
  async load(
    ids: number[],
    deprecatedIds: number[],
    idCount: number,
    since: number | null = null,
  ): Promise<{ existing: Asset[]; resolved: ResolvedRef[]; freshIds: number[]; behind: boolean }> {
    // `json`, not `jsonb`: built as text, with no tree to make. One primary-key probe per
    // id, whatever the statistics say right after a bulk load; max(seq) is always read
    // from the end of the log's primary key (EXISTS … seq > $4 was planned as a full scan).
    const [row] = await this.query<{ existing: AssetRow[]; resolved: ResolvedRow[]; last: number | null; behind: boolean }>(
      `SELECT
         COALESCE((SELECT max(seq) FROM graph_changes) > $4::bigint, false) AS behind,
         (SELECT COALESCE(json_agg(x), '[]') FROM (${assetRowsFrom(byIds(1))}) x) AS existing,
         (SELECT COALESCE(json_agg(x), '[]') FROM (SELECT ${RESOLVED_COLUMNS} FROM ${byIds(2)}) x) AS resolved,
         CASE WHEN $3::int > 0 THEN
           setval(pg_get_serial_sequence('assets', 'id'), nextval(pg_get_serial_sequence('assets', 'id')) + $3::int - 1)::int
         END AS last`,
      [arrayLiteral(ids), arrayLiteral(deprecatedIds), idCount, since === null ? null : String(since)],
    );
    const first = (row.last ?? 0) - idCount + 1;
    return {
      existing: row.existing.map(toAsset),
      resolved: row.resolved.map(toResolved),
      freshIds: Array.from({ length: idCount }, (_, i) => first + i),
      behind: row.behind,
    };
  }

  /**
   * Stores created and changed assets: the assets (a changed one gets its new revision),
   * their whole edge sets, the graph change log and the history entries. Creations are
   * plain inserts: under the lock, `load` has just seen that they do not exist. Returns
   * the first log position (the entries are consecutive, one per write, in order) and the
   * transaction's time, which is every written asset's `updatedAt`.
   */
  async write(writes: AssetWrite[], actor: Actor): Promise<{ firstSeq: number; at: string }> {
    if (writes.length === 0) return { firstSeq: 0, at: '' };
    const updated = writes.filter((w) => w.existed);
    // Every statement is queued before any is awaited, so a statement the caller queues
    // next (an import's next read) runs after the whole write, never between its parts.
    const before: Promise<unknown>[] = [];
    if (updated.length > 0) {
      before.push(
        this.query('DELETE FROM dependencies WHERE dependent_id = ANY($1::int[])', [arrayLiteral(updated.map((w) => w.id))]),
        this.query(
          `UPDATE assets a SET (owner, description, lifecycle, tags, platforms, domains, value_type, stability,
                  access_policy, contact, sla, metadata) = (${VALUES}), revision = x.revision, updated_at = now()
             FROM ${ASSET_ROWS}
            WHERE a.id = x.id`,
          assetColumns(updated),
        ),
      );
    }
    // Under the lock `load` saw that no created asset exists, so a unique violation cannot
    // happen in a correct run; should one, it is a conflict to report, not an internal error.
    const stored = this.query<{ first_seq: string; at: Date | string }>(
      `WITH created AS (
         INSERT INTO assets (id, kind, name, owner, description, lifecycle, tags, platforms, domains, value_type,
                             stability, access_policy, contact, sla, metadata, revision)
         OVERRIDING SYSTEM VALUE
         SELECT x.id, x.kind, x.name, ${VALUES}, x.revision FROM ${ASSET_ROWS}
       ),
       linked AS (${link(17)}),
       logged AS (INSERT INTO graph_changes (asset_id) SELECT unnest($22::int[]) RETURNING seq),
       recorded AS (
         INSERT INTO asset_history (asset_id, kind, name, action, actor, on_behalf_of, revision, changes)
         SELECT h.id, h.kind, h.name, h.action, $23, $29, h.revision, h.changes
           FROM ROWS FROM (unnest($22::int[]), unnest($24::text[]), unnest($25::text[]), unnest($26::text[]),
                           unnest($27::int[]), json_array_elements($28::json))
                AS h(id, kind, name, action, revision, changes)
       )
       SELECT (SELECT min(seq) FROM logged)::text AS first_seq, now() AS at`,
      [
        ...assetColumns(writes.filter((w) => !w.existed)),
        ...edgeColumns(writes),
        arrayLiteral(writes.map((w) => w.id)),
        actor.actor,
        arrayLiteral(writes.map((w) => w.record.kind)),
        arrayLiteral(writes.map((w) => w.record.name)),
        arrayLiteral(writes.map((w) => w.action)),
        arrayLiteral(writes.map((w) => w.revision)),
        // One JSON array, not an array literal of JSON texts: nothing to escape twice.
        JSON.stringify(writes.map((w) => w.changes)),
        actor.onBehalfOf,
      ],
    );
    const [[row]] = await translated(Promise.all([stored, ...before]), {
      unique: 'an asset this write creates already exists; retry the write',
    });
    return { firstSeq: Number(row.first_seq), at: new Date(row.at).toISOString() };
  }

  /** Edges whose dependency was resolved after their dependent was written (see import). */
  async link(dependents: Pick<AssetWrite, 'id' | 'edges'>[]): Promise<void> {
    if (dependents.every((d) => d.edges.length === 0)) return;
    await this.query(link(1), edgeColumns(dependents));
  }
}

/** Inserts the edges given as edgeColumns makes them, in parameters $first to $first+4. */
const link = (first: number) => `INSERT INTO dependencies (dependent_id, dependency_id, pinned_version, importance, note)
  SELECT * FROM unnest($${first}::int[], $${first + 1}::int[], $${first + 2}::text[], $${first + 3}::float8[], $${first + 4}::text[])`;

/** ASSET_ROWS's sixteen parameters. */
function assetColumns(writes: AssetWrite[]): string[] {
  const list = (value: string[] | null) => (value === null ? null : arrayLiteral(value));
  return [
    arrayLiteral(writes.map((w) => w.id)),
    arrayLiteral(writes.map((w) => w.record.kind)),
    arrayLiteral(writes.map((w) => w.record.name)),
    arrayLiteral(writes.map((w) => w.record.owner)),
    arrayLiteral(writes.map((w) => w.record.description)),
    arrayLiteral(writes.map((w) => w.record.lifecycle)),
    arrayLiteral(writes.map((w) => list(w.record.tags))),
    arrayLiteral(writes.map((w) => list(w.record.platforms))),
    arrayLiteral(writes.map((w) => list(w.record.domains))),
    arrayLiteral(writes.map((w) => w.record.valueType)),
    arrayLiteral(writes.map((w) => w.record.stability)),
    arrayLiteral(writes.map((w) => w.record.accessPolicy)),
    arrayLiteral(writes.map((w) => w.record.contact)),
    arrayLiteral(writes.map((w) => json(w.record.sla))),
    arrayLiteral(writes.map((w) => json(w.record.metadata) ?? '{}')),
    arrayLiteral(writes.map((w) => w.revision)),
  ];
}

/** Every edge of the writes, as link's five parameters. */
function edgeColumns(writes: Pick<AssetWrite, 'id' | 'edges'>[]): string[] {
  const dependent: number[] = [];
  const dependency: number[] = [];
  const pinned: (string | null)[] = [];
  const importance: (number | null)[] = [];
  const note: (string | null)[] = [];
  for (const w of writes)
    for (const e of w.edges) {
      dependent.push(w.id);
      dependency.push(e.dependencyId);
      pinned.push(e.pinnedVersion);
      importance.push(e.importance);
      note.push(e.note);
    }
  return [dependent, dependency, pinned, importance, note].map(arrayLiteral);
}
