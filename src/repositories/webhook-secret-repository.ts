import { pgErrorCode } from '../db/database.js';
import { translated } from './db-errors.js';
import type { Scope } from './scope.js';

/** What a rotation stored: when the new secret was made, and until when the one it replaced stays valid. */
export interface RotationRow {
  createdAt: string;
  /** Null when the consumer had no secret before. */
  previousValidUntil: string | null;
}

/**
 * Consumers' webhook signing secrets, one row per consumer. They are HMAC keys the worker
 * needs in clear, so they are stored as they are; nothing here logs or returns them but
 * to the signer and to the rotation's one answer. Times are the database's clock.
 */
export class WebhookSecretRepository {
  constructor(private readonly db: Scope) {}

  /**
   * The secrets a delivery to the consumer is signed with, the current one first and the
   * previous one while it is still valid; null when it has none yet (or does not exist).
   */
  async signingSecrets(consumerName: string): Promise<string[] | null> {
    const [row] = await this.db.query<{ secret: string; previous: string | null }>(
      `SELECT s.secret, CASE WHEN s.previous_valid_until > now() THEN s.previous_secret END AS previous
         FROM webhook_secrets s JOIN assets a ON a.id = s.consumer_id
        WHERE a.kind = 'consumer' AND a.name = $1`,
      [consumerName],
    );
    if (!row) return null;
    return row.previous ? [row.secret, row.previous] : [row.secret];
  }

  /**
   * Gives the consumer its first secret unless it has one: of first deliveries racing,
   * the first insert wins and the others change nothing. Nothing happens for a consumer
   * that does not exist (or was deleted meanwhile).
   */
  async createIfMissing(consumerName: string, secret: string): Promise<void> {
    await this.db
      .query(
        `INSERT INTO webhook_secrets (consumer_id, secret)
         SELECT id, $2 FROM assets WHERE kind = 'consumer' AND name = $1
         ON CONFLICT (consumer_id) DO NOTHING`,
        [consumerName, secret],
      )
      .catch((error: unknown) => {
        // The consumer was deleted between the SELECT and the key check: nothing to sign for.
        if (pgErrorCode(error) !== '23503') throw error;
      });
  }

  /**
   * Replaces the consumer's secret (or creates its first), keeping the one it replaces
   * valid for `overlapMs`. One statement: two rotations at once apply one after the other.
   */
  async rotate(consumerId: number, secret: string, overlapMs: number): Promise<RotationRow> {
    const [row] = await translated(
      this.db.query<{ created_at: Date | string; previous_valid_until: Date | string | null }>(
        `INSERT INTO webhook_secrets AS s (consumer_id, secret) VALUES ($1, $2)
         ON CONFLICT (consumer_id) DO UPDATE
           SET previous_secret = s.secret,
               previous_valid_until = now() + make_interval(secs => $3::double precision / 1000),
               secret = EXCLUDED.secret,
               created_at = now()
         RETURNING created_at, previous_valid_until`,
        [consumerId, secret, overlapMs],
      ),
      { missing: 'the consumer was deleted meanwhile' },
    );
    return {
      createdAt: new Date(row.created_at).toISOString(),
      previousValidUntil: row.previous_valid_until === null ? null : new Date(row.previous_valid_until).toISOString(),
    };
  }
}
