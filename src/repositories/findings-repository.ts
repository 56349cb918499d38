import { deprecatedSql } from '../domain/deprecation.js';
import type { Lifecycle } from '../domain/model.js';
import type { Pool, Scope } from './scope.js';

/** One asset's annotations as the findings rules need them. */
export interface AnnotationRow {
  id: number;
  lifecycle: Lifecycle;
  platforms: string[] | null;
  domains: string[] | null;
  volatile: boolean;
  noDescription: boolean;
  /** Only features and models can lack a valueType. */
  noValueType: boolean;
  /** Deprecated, by lifecycle or by a recorded deprecation (domain isDeprecated). */
  deprecated: boolean;
  replacedBy: string | null;
  sunsetAt: string | null;
}

interface Row {
  id: number;
  lifecycle: Lifecycle;
  platforms: string[] | null;
  domains: string[] | null;
  volatile: boolean;
  no_description: boolean;
  no_value_type: boolean;
  deprecated: boolean;
  replaced_by: string | null;
  sunset_at: string | null;
}

// valueType only matters for features and models; other kinds never "lack" it.
const COLUMNS = `a.id, a.lifecycle, a.platforms, a.domains,
  a.stability = 'volatile' AS volatile,
  coalesce(btrim(a.description), '') = '' AS no_description,
  a.kind IN ('feature', 'model') AND a.value_type IS NULL AS no_value_type,
  ${deprecatedSql('a')} AS deprecated,
  a.replaced_by, a.sunset_at::text AS sunset_at`;

const toRow = (r: Row): AnnotationRow => ({
  id: r.id,
  lifecycle: r.lifecycle,
  platforms: r.platforms,
  domains: r.domains,
  volatile: r.volatile === true,
  noDescription: r.no_description,
  noValueType: r.no_value_type,
  deprecated: r.deprecated,
  replacedBy: r.replaced_by,
  sunsetAt: r.sunset_at,
});

const fromTuple = ([id, lifecycle, platforms, domains, volatile, noDescription, noValueType, deprecated, replacedBy, sunsetAt]: [
  number, Lifecycle, string[] | null, string[] | null, boolean | null, boolean, boolean, boolean, string | null, string | null,
]): AnnotationRow => ({
  id,
  lifecycle,
  platforms,
  domains,
  volatile: volatile === true,
  noDescription,
  noValueType,
  deprecated,
  replacedBy,
  sunsetAt,
});

/** A dependency edge as the findings rules need it. */
export interface EdgeFact {
  dependentId: number;
  dependencyId: number;
  importance: number | null;
}

/** What has to change for a cached findings pass to go stale, beside the graph change log. */
export interface AnnotationsMarker {
  count: string;
  revisions: string;
  lastUpdate: string | null;
}

const CHUNK = 50_000;

/** The reads behind the findings: annotations in bulk or around one asset, and notable edges. */
export class FindingsRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'snapshot'>,
  ) {}

  /**
   * Streams every asset's annotations in id order, in chunks, from one snapshot. Each
   * chunk comes back as one JSON text: parsing that natively is several times faster
   * than having the driver map a million rows column by column.
   */
  async streamAnnotations(onChunk: (rows: AnnotationRow[]) => void): Promise<void> {
    await this.pool.snapshot(async (query) => {
      let after = 0;
      for (;;) {
        const [{ chunk }] = await query<{ chunk: string | null }>(
          `SELECT json_agg(json_build_array(id, lifecycle, platforms, domains, volatile, no_description,
                                            no_value_type, deprecated, replaced_by, sunset_at) ORDER BY id)::text AS chunk
             FROM (SELECT ${COLUMNS} FROM assets a WHERE a.id > $1 ORDER BY a.id LIMIT $2) page`,
          [after, CHUNK],
        );
        if (chunk === null) break;
        const rows = (JSON.parse(chunk) as Parameters<typeof fromTuple>[0][]).map(fromTuple);
        onChunk(rows);
        after = rows[rows.length - 1].id;
      }
    });
  }

  /** Annotations of `ids` and of every asset whose recorded replacement is `ref`. */
  async annotationsAround(ids: number[], ref: string): Promise<AnnotationRow[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM assets a WHERE a.id = ANY($1::int[])
       UNION
       SELECT ${COLUMNS} FROM assets a WHERE a.replaced_by = $2`,
      [ids, ref],
    );
    return rows.map(toRow);
  }

  /**
   * Edges on a volatile asset without a pinned version, and edges whose recorded importance
   * is below `epsilon`; all of them, or only those touching `asset` (whose dependents the
   * caller names, from the closure index: the table has no index by dependency).
   */
  async notableEdges(
    epsilon: number,
    asset?: { id: number; dependents: readonly number[] },
  ): Promise<{ unpinnedVolatile: EdgeFact[]; negligible: EdgeFact[] }> {
    const select = (where: string) =>
      `SELECT d.dependent_id, d.dependency_id, d.importance,
              (a.stability = 'volatile' AND d.pinned_version IS NULL) AS unpinned_volatile
         FROM dependencies d JOIN assets a ON a.id = d.dependency_id
        WHERE ((a.stability = 'volatile' AND d.pinned_version IS NULL) OR d.importance < $1) ${where}`;
    // One asset's edges: two halves, each answered by primary-key probes (an OR would scan).
    const sql =
      asset === undefined
        ? select('')
        : `${select('AND d.dependent_id = $2')} UNION ALL ${select('AND d.dependent_id = ANY($3::int[]) AND d.dependency_id = $2')}`;
    const params = asset === undefined ? [epsilon] : [epsilon, asset.id, [...asset.dependents]];
    const rows = await this.db.query<{
      dependent_id: number;
      dependency_id: number;
      importance: number | null;
      unpinned_volatile: boolean | null;
    }>(sql, params);
    const unpinnedVolatile: EdgeFact[] = [];
    const negligible: EdgeFact[] = [];
    for (const row of rows) {
      const fact = { dependentId: row.dependent_id, dependencyId: row.dependency_id, importance: row.importance };
      if (row.unpinned_volatile === true) unpinnedVolatile.push(fact);
      if (row.importance !== null && row.importance < epsilon) negligible.push(fact);
    }
    return { unpinnedVolatile, negligible };
  }

  /**
   * Changes whenever any asset is written: every write bumps a revision and `updated_at`,
   * and a deletion changes the count (and appends to the graph change log as well).
   */
  async annotationsMarker(): Promise<AnnotationsMarker> {
    const [row] = await this.db.query<{ count: string; revisions: string; last_update: string | null }>(
      `SELECT count(*)::text AS count, coalesce(sum(revision), 0)::text AS revisions,
              max(updated_at)::text AS last_update FROM assets`,
    );
    return { count: row.count, revisions: row.revisions, lastUpdate: row.last_update };
  }
}
