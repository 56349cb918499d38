import type { Scope as TokenScope } from '../domain/principal.js';
import { translated } from './db-errors.js';
import type { Scope } from './scope.js';

/** A token as listed: never its secret, only the first characters (`prefix`). */
export interface TokenRow {
  id: number;
  name: string;
  team: string | null;
  /** The consumer's name, for a consumer token. */
  consumer: string | null;
  scopes: TokenScope[];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** What authentication reads of the token a secret hashes to. */
export interface TokenCredential extends TokenRow {
  secretHash: string;
  consumerId: number | null;
  /** By the database's clock, as every time the tokens stamp. */
  expired: boolean;
}

export interface NewToken {
  name: string;
  team: string | null;
  consumerId: number | null;
  scopes: TokenScope[];
  prefix: string;
  secretHash: string;
  /** An ISO time, or null for a token that never expires. */
  expiresAt: string | null;
}

export interface TokenListQuery {
  team?: string;
  consumerId?: number;
  afterId?: number;
  limit: number;
}

/** Whose a secret is, found by its hash (usage events may name a consumer by its secret). */
export interface SecretOwner {
  hash: string;
  consumer: string;
}

interface RawToken {
  id: number;
  name: string;
  team: string | null;
  consumer: string | null;
  consumer_id: number | null;
  scopes: TokenScope[];
  prefix: string;
  secret_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  expired: boolean;
}

const COLUMNS = `t.id, t.name, t.team, c.name AS consumer, t.consumer_id, t.scopes, t.prefix, t.secret_hash,
       t.created_at, t.expires_at, t.revoked_at, t.expires_at IS NOT NULL AND t.expires_at <= now() AS expired`;

const toRow = (row: RawToken): TokenRow => ({
  id: row.id,
  name: row.name,
  team: row.team,
  consumer: row.consumer,
  scopes: row.scopes,
  prefix: row.prefix,
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** Bearer tokens; only hashes of secrets are stored. Times are the database's. */
export class TokenRepository {
  constructor(private readonly db: Scope) {}

  async create(token: NewToken): Promise<TokenRow> {
    const [row] = await translated(
      this.db.query<RawToken>(
        `WITH t AS (
           INSERT INTO tokens (name, team, consumer_id, scopes, prefix, secret_hash, expires_at)
           VALUES ($1, $2, $3, $4::text[], $5, $6, $7::timestamptz) RETURNING *)
         SELECT ${COLUMNS} FROM t LEFT JOIN assets c ON c.id = t.consumer_id`,
        [token.name, token.team, token.consumerId, token.scopes, token.prefix, token.secretHash, token.expiresAt],
      ),
      { unique: `a token named "${token.name}" already exists`, missing: 'the consumer was deleted meanwhile' },
    );
    return toRow(row);
  }

  /**
   * Tokens by id, filtered by principal, revoked and expired ones included. The cursor's id
   * is compared as a bigint: one past the integer ids (a forged cursor) is an empty page, not
   * the database's out-of-range error.
   */
  async list(query: TokenListQuery): Promise<TokenRow[]> {
    const rows = await this.db.query<RawToken>(
      `SELECT ${COLUMNS} FROM tokens t LEFT JOIN assets c ON c.id = t.consumer_id
        WHERE ($1::text IS NULL OR t.team = $1) AND ($2::int IS NULL OR t.consumer_id = $2) AND t.id > $3::bigint
        ORDER BY t.id LIMIT $4`,
      [query.team ?? null, query.consumerId ?? null, query.afterId ?? 0, query.limit],
    );
    return rows.map(toRow);
  }

  async get(id: number): Promise<TokenRow | null> {
    const rows = await this.db.query<RawToken>(
      `SELECT ${COLUMNS} FROM tokens t LEFT JOIN assets c ON c.id = t.consumer_id WHERE t.id = $1`,
      [id],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** The tokens secrets hash to, in their order (null where none): one probe of the unique index each, in one statement. */
  async byHashes(secretHashes: readonly string[]): Promise<(TokenCredential | null)[]> {
    const rows = await this.db.query<RawToken & { ord: string }>(
      `SELECT h.ord, ${COLUMNS}
         FROM unnest($1::text[]) WITH ORDINALITY AS h(hash, ord)
         JOIN tokens t ON t.secret_hash = h.hash
         LEFT JOIN assets c ON c.id = t.consumer_id`,
      [secretHashes],
      'depcat_tokens_by_hash',
    );
    const found: (TokenCredential | null)[] = secretHashes.map(() => null);
    for (const row of rows)
      found[Number(row.ord) - 1] = { ...toRow(row), secretHash: row.secret_hash, consumerId: row.consumer_id, expired: row.expired };
    return found;
  }

  /** Revokes once: revoking again keeps the first time. False if there is no such token (for `consumerId`, if given). */
  async revoke(id: number, consumerId?: number): Promise<boolean> {
    const rows = await this.db.query<{ id: number }>(
      `UPDATE tokens SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = $1 AND ($2::int IS NULL OR consumer_id = $2) RETURNING id`,
      [id, consumerId ?? null],
    );
    return rows.length > 0;
  }

  /** Whether an admin token is live (neither revoked nor expired): the bootstrap's question. */
  async hasLiveAdmin(): Promise<boolean> {
    const rows = await this.db.query<{ live: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM tokens WHERE team IS NULL AND consumer_id IS NULL AND revoked_at IS NULL
                        AND 'admin' = ANY (scopes) AND (expires_at IS NULL OR expires_at > now())) AS live`,
    );
    return rows[0].live;
  }

  /** Serializes bootstraps of processes starting together on one database (released at commit). */
  async lockBootstrap(): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(hashtext('depcat.tokens.bootstrap'))`);
  }

  /** The consumers of consumer tokens whose secrets hash to `hashes`, revoked ones included. */
  async ownersOf(hashes: string[]): Promise<SecretOwner[]> {
    if (hashes.length === 0) return [];
    const rows = await this.db.query<{ hash: string; name: string }>(
      `SELECT t.secret_hash AS hash, a.name
         FROM tokens t JOIN assets a ON a.id = t.consumer_id
        WHERE t.secret_hash = ANY($1::text[])`,
      [hashes],
    );
    return rows.map((row) => ({ hash: row.hash, consumer: row.name }));
  }
}
