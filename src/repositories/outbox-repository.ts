import type { Pool, Scope } from './scope.js';

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

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * The notification outbox: enqueued with a change, claimed and settled by the worker.
 * Every statement that sets a time is SQL, on the database's clock: due times are
 * compared with `now()` by every process sharing the server.
 */
export class OutboxRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'prisma'>,
  ) {}

  async enqueue(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO notification_outbox (event, asset, consumer, url, payload)
       SELECT event, asset, consumer, url, payload
         FROM json_to_recordset($1::json) AS x(event text, asset text, consumer text, url text, payload json)`,
      [JSON.stringify(entries)],
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
    const rows = await this.db.query<{ id: string; url: string; payload: Record<string, unknown>; attempts: number }>(
      `UPDATE notification_outbox o
          SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE o.id IN (SELECT id FROM notification_outbox
                        WHERE state IN ('pending', 'failing') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at, id
                        LIMIT $1
                        FOR UPDATE SKIP LOCKED)
        RETURNING o.id::text AS id, o.url, o.payload, o.attempts`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({ id: Number(row.id), url: row.url, payload: row.payload, attempts: row.attempts }));
  }

  async markDelivered(id: number): Promise<void> {
    await this.db.query(
      `UPDATE notification_outbox
          SET state = 'delivered', attempts = attempts + 1, last_error = NULL,
              next_attempt_at = NULL, delivered_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  /** Counts a failed attempt; gives up at `maxAttempts`, else retries after `retryInMs`. */
  async markFailed(id: number, error: string, retryInMs: number, maxAttempts: number): Promise<void> {
    await this.db.query(
      `UPDATE notification_outbox
          SET attempts = attempts + 1, last_error = $2,
              state = CASE WHEN attempts + 1 >= $4 THEN 'given_up' ELSE 'failing' END,
              next_attempt_at = CASE WHEN attempts + 1 >= $4 THEN NULL
                                     ELSE now() + make_interval(secs => $3::double precision / 1000) END
        WHERE id = $1`,
      [id, error.slice(0, 1000), retryInMs, maxAttempts],
    );
  }

  /** Hands a leased row back untried, e.g. when the process stops mid-delivery. */
  async release(id: number): Promise<void> {
    await this.db.query(
      `UPDATE notification_outbox SET next_attempt_at = now() WHERE id = $1 AND state IN ('pending', 'failing')`,
      [id],
    );
  }

  /** Milliseconds until the next row is due (0 if overdue), or null when nothing waits. */
  async msUntilNextDue(): Promise<number | null> {
    const [row] = await this.db.query<{ ms: number | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(next_attempt_at) - now())) * 1000)::float8 AS ms
         FROM notification_outbox WHERE state IN ('pending', 'failing')`,
    );
    return row?.ms == null ? null : Math.max(0, row.ms);
  }

  /**
   * The rows not delivered, counted per state: one grouped count, one pass over the table
   * (for /metrics, which runs it once per scrape).
   */
  async backlog(): Promise<Record<Exclude<NotificationState, 'delivered'>, number>> {
    const rows = await this.db.query<{ state: NotificationState; rows: number }>(
      `SELECT state, count(*)::int AS rows FROM notification_outbox WHERE state <> 'delivered' GROUP BY state`,
    );
    const counts = { pending: 0, failing: 0, given_up: 0 };
    for (const row of rows) if (row.state !== 'delivered') counts[row.state] = row.rows;
    return counts;
  }

  /** Newest first; `beforeId` continues a previous page. A typed read: Prisma's `findMany`. */
  async list(query: NotificationQuery): Promise<NotificationRecord[]> {
    const rows = await this.pool.prisma.notificationOutbox.findMany({
      where: {
        state: query.state,
        asset: query.asset,
        consumer: query.consumer,
        ...(query.beforeId === undefined ? {} : { id: { lt: BigInt(query.beforeId) } }),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map((row) => ({
      id: Number(row.id),
      event: row.event,
      asset: row.asset,
      consumer: row.consumer,
      url: row.url,
      state: row.state as NotificationState,
      attempts: row.attempts,
      lastError: row.lastError,
      nextAttemptAt: iso(row.nextAttemptAt),
      deliveredAt: iso(row.deliveredAt),
      createdAt: row.createdAt.toISOString(),
    }));
  }
}
