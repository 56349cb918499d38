import type { DbClient } from './db-client.js';

export const NOTIFICATION_STATES = ['pending', 'delivered', 'failing', 'given_up'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** One webhook delivery to enqueue, in the transaction of the change it reports. */
export interface OutboxEntry {
  event: string;
  asset: string;
  consumer: string;
  url: string;
  payload: Record<string, unknown>;
}

export interface NotificationRecord {
  id: number;
  event: string;
  asset: string;
  consumer: string;
  url: string;
  state: NotificationState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A row a worker has leased for one delivery attempt. */
export interface ClaimedDelivery {
  id: number;
  url: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface NotificationQuery {
  state?: NotificationState;
  asset?: string;
  consumer?: string;
  beforeId?: number;
  limit: number;
}

interface OutboxRow {
  id: string;
  event: string;
  asset: string;
  consumer: string;
  url: string;
  state: NotificationState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** The notification outbox: enqueued with a change, claimed and settled by the worker. */
export class OutboxRepository {
  constructor(private readonly db: DbClient) {}

  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.$executeRawUnsafe(
      `INSERT INTO notification_outbox (event, asset, consumer, url, payload)
       SELECT event, asset, consumer, url, payload
         FROM json_to_recordset($1::json) AS x(event text, asset text, consumer text, url text, payload json)`,
      JSON.stringify(entries),
    );
  }

  /**
   * Leases up to `limit` due rows: one statement, so it needs no open transaction (PGlite
   * has a single connection). SKIP LOCKED lets processes sharing a PostgreSQL server
   * claim disjoint rows; moving next_attempt_at past the lease makes the claim visible
   * after commit, and a worker that dies mid-delivery leaves a row that is due again
   * once the lease runs out.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = await this.db.$queryRawUnsafe<{ id: string; url: string; payload: Record<string, unknown>; attempts: number }[]>(
      `UPDATE notification_outbox o
          SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE o.id IN (SELECT id FROM notification_outbox
                        WHERE state IN ('pending', 'failing') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at, id
                        LIMIT $1
                        FOR UPDATE SKIP LOCKED)
        RETURNING o.id::text AS id, o.url, o.payload, o.attempts`,
      limit,
      leaseMs,
    );
    return rows.map((row) => ({ id: Number(row.id), url: row.url, payload: row.payload, attempts: row.attempts }));
  }

  async markDelivered(id: number): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE notification_outbox
          SET state = 'delivered', attempts = attempts + 1, last_error = NULL,
              next_attempt_at = NULL, delivered_at = now()
        WHERE id = $1`,
      id,
    );
  }

  /** Counts a failed attempt; gives up at `maxAttempts`, else retries after `retryInMs`. */
  async markFailed(id: number, error: string, retryInMs: number, maxAttempts: number): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE notification_outbox
          SET attempts = attempts + 1, last_error = $2,
              state = CASE WHEN attempts + 1 >= $4 THEN 'given_up' ELSE 'failing' END,
              next_attempt_at = CASE WHEN attempts + 1 >= $4 THEN NULL
                                     ELSE now() + make_interval(secs => $3::double precision / 1000) END
        WHERE id = $1`,
      id,
      error.slice(0, 1000),
      retryInMs,
      maxAttempts,
    );
  }

  /** Hands a leased row back untried, e.g. when the process stops mid-delivery. */
  async release(id: number): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE notification_outbox SET next_attempt_at = now() WHERE id = $1 AND state IN ('pending', 'failing')`,
      id,
    );
  }

  /** Milliseconds until the next row is due (0 if overdue), or null when nothing waits. */
  async msUntilNextDue(): Promise<number | null> {
    const [row] = await this.db.$queryRawUnsafe<{ ms: number | null }[]>(
      `SELECT (EXTRACT(EPOCH FROM (min(next_attempt_at) - now())) * 1000)::float8 AS ms
         FROM notification_outbox WHERE state IN ('pending', 'failing')`,
    );
    return row?.ms == null ? null : Math.max(0, row.ms);
  }

  /** Newest first; `beforeId` continues a previous page. */
  async list(query: NotificationQuery): Promise<NotificationRecord[]> {
    const rows = await this.db.$queryRawUnsafe<OutboxRow[]>(
      `SELECT id::text AS id, event, asset, consumer, url, state, attempts, last_error,
              next_attempt_at, delivered_at, created_at
         FROM notification_outbox
        WHERE ($1::text IS NULL OR state = $1)
          AND ($2::text IS NULL OR asset = $2)
          AND ($3::text IS NULL OR consumer = $3)
          AND ($4::bigint IS NULL OR id < $4)
        ORDER BY id DESC
        LIMIT $5`,
      query.state ?? null,
      query.asset ?? null,
      query.consumer ?? null,
      query.beforeId ?? null,
      query.limit,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      event: row.event,
      asset: row.asset,
      consumer: row.consumer,
      url: row.url,
      state: row.state,
      attempts: row.attempts,
      lastError: row.last_error,
      nextAttemptAt: iso(row.next_attempt_at),
      deliveredAt: iso(row.delivered_at),
      createdAt: row.created_at.toISOString(),
    }));
  }
}
