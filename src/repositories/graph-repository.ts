import type { Kind } from '../domain/model.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { DbClient } from './db-client.js';

/** The current state of one asset as the closure index needs it; `kind` null = deleted. */
export interface NodeState {
  seq: number;
  id: number;
  kind: Kind | null;
  name: string | null;
  owner: string | null;
  dependsOn: number[];
}

interface NodeRow {
  seq?: string;
  id: number;
  kind: Kind | null;
  name: string | null;
  owner: string | null;
  deps: number[] | null;
}

const toState = (row: NodeRow, seq: number): NodeState => ({
  seq,
  id: row.id,
  kind: row.kind,
  name: row.name,
  owner: row.owner,
  dependsOn: row.deps ?? [],
});

const SNAPSHOT_CHUNK = 50_000;

/** The graph change log and the snapshot an index starts from. */
export class GraphRepository {
  constructor(private readonly db: DbClient) {}

  /** Records that these assets changed; must run inside the write-locked transaction. */
  async appendChanges(assetIds: number[]): Promise<void> {
    if (assetIds.length === 0) return;
    await this.db.$executeRawUnsafe(
      'INSERT INTO graph_changes (asset_id) SELECT unnest($1::int[])',
      assetIds,
    );
  }

  /** The last change-log position; inside the write lock, nobody can move it on. */
  async lastSeq(): Promise<number> {
    const [{ seq }] = await this.db.$queryRawUnsafe<{ seq: string }[]>(
      'SELECT COALESCE(max(seq), 0)::text AS seq FROM graph_changes',
    );
    return Number(seq);
  }

  /**
   * The entries after `seq`, each with its asset's state as of this statement's snapshot.
   * Applying them in order brings an index that has applied everything up to `seq` to
   * exactly that snapshot.
   */
  async changesSince(seq: number): Promise<NodeState[]> {
    const rows = await this.db.$queryRawUnsafe<NodeRow[]>(
      `SELECT c.seq::text AS seq, c.asset_id AS id, a.kind, a.name, a.owner,
              (SELECT array_agg(d.dependency_id) FROM dependencies d WHERE d.dependent_id = a.id) AS deps
         FROM graph_changes c
         LEFT JOIN assets a ON a.id = c.asset_id
        WHERE c.seq > $1::bigint
        ORDER BY c.seq`,
      String(seq),
    );
    return rows.map((row) => toState(row, Number(row.seq)));
  }

  /**
   * Streams every asset with its dependencies from one repeatable-read snapshot, and
   * returns the change-log position that snapshot corresponds to.
   */
  static async snapshot(prisma: PrismaClient, onChunk: (nodes: NodeState[]) => void): Promise<number> {
    return prisma.$transaction(
      async (tx) => {
        const [{ seq }] = await tx.$queryRawUnsafe<{ seq: string }[]>(
          'SELECT COALESCE(max(seq), 0)::text AS seq FROM graph_changes',
        );
        const position = Number(seq);
        let after = 0;
        for (;;) {
          const rows = await tx.$queryRawUnsafe<NodeRow[]>(
            `SELECT a.id, a.kind, a.name, a.owner,
                    (SELECT array_agg(d.dependency_id) FROM dependencies d WHERE d.dependent_id = a.id) AS deps
               FROM assets a WHERE a.id > $1 ORDER BY a.id LIMIT $2`,
            after,
            SNAPSHOT_CHUNK,
          );
          if (rows.length === 0) break;
          onChunk(rows.map((row) => toState(row, position)));
          after = rows[rows.length - 1].id;
        }
        return position;
      },
      { isolationLevel: 'RepeatableRead', timeout: 600_000, maxWait: 30_000 },
    );
  }
}
