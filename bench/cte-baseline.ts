import pg from 'pg';

/**
 * The baseline the closure engine is measured against: a plain recursive CTE over the
 * same tables, as a catalog without an in-memory index would run it. UNION (not UNION
 * ALL) makes it terminate on cycles. It computes only the counts, so the ratio is
 * conservative: the service also computes distances and a page.
 */
export class CteBaseline {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
  }

  async downstreamCounts(ref: string): Promise<{ total: number; countsByKind: Record<string, number> }> {
    const [kind, name] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    const { rows } = await this.pool.query<{ kind: string; n: string }>(
      `WITH RECURSIVE root AS (SELECT id FROM assets WHERE kind = $1 AND name = $2),
       down(id) AS (
         SELECT d.dependent_id FROM dependencies d JOIN root ON d.dependency_id = root.id
         UNION
         SELECT d.dependent_id FROM dependencies d JOIN down ON d.dependency_id = down.id
       )
       SELECT a.kind, count(*) AS n FROM down JOIN assets a ON a.id = down.id
        WHERE down.id <> (SELECT id FROM root) GROUP BY a.kind`,
      [kind, name],
    );
    const countsByKind: Record<string, number> = { source: 0, feature: 0, model: 0, consumer: 0 };
    for (const row of rows) countsByKind[row.kind] = Number(row.n);
    return { total: Object.values(countsByKind).reduce((a, b) => a + b, 0), countsByKind };
  }

  /**
   * Gives the baseline what it needs to be fair: the service keeps reverse edges in memory
   * and has no index on `dependencies (dependency_id)`, but a catalog answering lineage
   * in SQL would have one. Then statistics, as autovacuum would have them after a load.
   */
  async prepare(): Promise<void> {
    await this.pool.query('CREATE INDEX IF NOT EXISTS cte_baseline_dependency_idx ON dependencies (dependency_id)');
    await this.pool.query('ANALYZE assets, dependencies');
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
