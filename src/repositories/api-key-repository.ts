import { translated } from './db-errors.js';
import type { Pool, Scope } from './scope.js';

export interface ApiKeyRow {
  id: number;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Whose a secret is, found by its hash. */
export interface KeyOwner {
  hash: string;
  keyId: number;
  consumer: string;
  revoked: boolean;
}

const toRow = (row: { id: number; prefix: string; createdAt: Date; revokedAt: Date | null }): ApiKeyRow => ({
  id: row.id,
  prefix: row.prefix,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** API keys of consumers; only hashes of secrets are stored. */
export class ApiKeyRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'prisma'>,
  ) {}

  /** One typed insert: Prisma's `create`. */
  async create(consumerId: number, prefix: string, secretHash: string): Promise<ApiKeyRow> {
    const row = await translated(this.pool.prisma.apiKey.create({ data: { consumerId, prefix, secretHash } }), {
      unique: 'a key with this secret already exists; create another',
      missing: 'the consumer was deleted meanwhile',
    });
    return toRow(row);
  }

  async list(consumerId: number): Promise<ApiKeyRow[]> {
    const rows = await this.pool.prisma.apiKey.findMany({ where: { consumerId }, orderBy: { id: 'asc' } });
    return rows.map(toRow);
  }

  /**
   * Revokes once: revoking again keeps the first revocation time. False if no such key.
   * SQL, as every statement that stamps a time does: the database's clock, not this process's.
   */
  async revoke(consumerId: number, id: number): Promise<boolean> {
    const rows = await this.db.query<{ id: number }>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = $1 AND consumer_id = $2 RETURNING id`,
      [id, consumerId],
    );
    return rows.length > 0;
  }

  async ownersOf(hashes: string[]): Promise<KeyOwner[]> {
    if (hashes.length === 0) return [];
    const rows = await this.db.query<{ hash: string; id: number; name: string; revoked: boolean }>(
      `SELECT k.secret_hash AS hash, k.id, a.name, k.revoked_at IS NOT NULL AS revoked
         FROM api_keys k JOIN assets a ON a.id = k.consumer_id
        WHERE k.secret_hash = ANY($1::text[])`,
      [hashes],
    );
    return rows.map((row) => ({ hash: row.hash, keyId: row.id, consumer: row.name, revoked: row.revoked }));
  }
}
