import type { Pool, Scope } from './scope.js';

export const NOTIFICATION_STATES = ['pending', 'delivered', 'failing', 'given_up'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** What a notice reports: a deprecation, a reinstatement, or a forced deletion. */
export const NOTIFICATION_EVENTS = ['asset.deprecated', 'asset.reinstated', 'asset.deleted'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** One webhook delivery to enqueue, in the transaction of the change it reports. */
export interface OutboxEntry {
  event: NotificationEvent;
  asset: string;
  consumer: string;
  url: string;
  payload: Record<string, unknown>;
}

export interface NotificationRecord {
  id: number;
  /** Only this service writes the outbox, and only these events. */
  event: NotificationEvent;
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
  /** The consumer's ref, whose secret signs the delivery. */
  consumer: string;
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

/** Which given_up notices a bulk retry takes. */
export interface RetryFilter {
  asset?: string;
  consumer?: string;
}

/** A notice as SQL returns it: the same columns the listing maps. */
interface NoticeRow {
  id: string | number;
  event: string;
  asset: string;
  consumer: string;
  url: string;
  state: NotificationState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | string | null;
  delivered_at: Date | string | null;
  created_at: Date | string;
}

const NOTICE_COLUMNS = (alias: string) =>
  ['id', 'event', 'asset', 'consumer', 'url', 'state', 'attempts', 'last_error', 'next_attempt_at', 'delivered_at', 'created_at']
    .map((column) => `${alias}.${column}`)
    .join(', ');

const instant = (time: Date | string | null): string | null => (time === null ? null : new Date(time).toISOString());

const toNotice = (row: NoticeRow): NotificationRecord => ({
  id: Number(row.id),
  event: row.event as NotificationEvent,
  asset: row.asset,
  consumer: row.consumer,
  url: row.url,
  state: row.state,
  attempts: row.attempts,
  lastError: row.last_error,
  nextAttemptAt: instant(row.next_attempt_at),
  deliveredAt: instant(row.delivered_at),
  createdAt: instant(row.created_at)!,
});

/** What a retry sets: due now, as if never tried. */
const RETRIED = `state = 'pending', attempts = 0, last_error = NULL, next_attempt_at = now()`;

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
    const rows = await this.db.query<{ id: string; consumer: string; url: string; payload: Record<string, unknown>; attempts: number }>(
      `UPDATE notification_outbox o
          SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE o.id IN (SELECT id FROM notification_outbox
                        WHERE state IN ('pending', 'failing') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at, id
                        LIMIT $1
                        FOR UPDATE SKIP LOCKED)
        RETURNING o.id::text AS id, o.consumer, o.url, o.payload, o.attempts`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({ id: Number(row.id), consumer: row.consumer, url: row.url, payload: row.payload, attempts: row.attempts }));
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

  /** The refs a notice is about and to, for the rule on who may retry it; null if there is no such notice. */
  async concerning(id: number): Promise<{ asset: string; consumer: string } | null> {
    const rows = await this.db.query<{ asset: string; consumer: string }>(
      'SELECT asset, consumer FROM notification_outbox WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
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

  /**
   * Puts one given_up notice back to pending, due now, with its attempts reset. Answers
   * the notice as it now stands, or, when it was not given up, its state and no notice
   * (null when there is no such id). Checking the state in the UPDATE itself, on the
   * locked row, makes two concurrent retries of one notice retry it once.
   */
  async retry(id: number): Promise<{ state: NotificationState; notice: NotificationRecord | null } | null> {
    const [row] = await this.db.query<{ found: NotificationState; notice: NoticeRow | null }>(
      `WITH target AS (SELECT id, state FROM notification_outbox WHERE id = $1),
       retried AS (
         UPDATE notification_outbox o SET ${RETRIED}
           FROM target WHERE o.id = target.id AND o.state = 'given_up'
         RETURNING ${NOTICE_COLUMNS('o')}
       )
       SELECT target.state AS found, (SELECT row_to_json(r) FROM retried r) AS notice FROM target`,
      [id],
    );
    if (!row) return null;
    return { state: row.notice ? row.notice.state : row.found, notice: row.notice ? toNotice(row.notice) : null };
  }

  /**
   * Retries up to `limit` given_up notices matching the filter, oldest first (as retry
   * does for one), and counts those still given_up after it. SKIP LOCKED lets concurrent
   * bulk retries take disjoint rows.
   */
  async retryGivenUp(filter: RetryFilter, limit: number): Promise<{ items: NotificationRecord[]; remaining: number }> {
    const matching = `state = 'given_up' AND ($1::text IS NULL OR asset = $1) AND ($2::text IS NULL OR consumer = $2)`;
    const [row] = await this.db.query<{ items: NoticeRow[]; remaining: number }>(
      `WITH picked AS (
         SELECT id FROM notification_outbox WHERE ${matching} ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
       ),
       retried AS (
         UPDATE notification_outbox o SET ${RETRIED} FROM picked WHERE o.id = picked.id
         RETURNING ${NOTICE_COLUMNS('o')}
       )
       SELECT COALESCE((SELECT json_agg(r ORDER BY r.id) FROM retried r), '[]') AS items,
              ((SELECT count(*) FROM notification_outbox WHERE ${matching}) - (SELECT count(*) FROM retried))::int AS remaining`,
      [filter.asset ?? null, filter.consumer ?? null, limit],
    );
    return { items: row.items.map(toNotice), remaining: row.remaining };
  }

  /**
   * Deletes up to `batch` notices delivered more than `keepMs` ago, oldest first, through
   * the partial index on delivered rows; answers how many went. given_up rows are never
   * deleted here: they wait for a retry. Needs no graph lock: no worker touches a delivered
   * row, and SKIP LOCKED lets replicas pruning at once take disjoint rows.
   */
  async pruneDelivered(keepMs: number, batch: number): Promise<number> {
    const [row] = await this.db.query<{ deleted: number }>(
      `WITH gone AS (
         DELETE FROM notification_outbox WHERE id IN (
           SELECT id FROM notification_outbox
            WHERE state = 'delivered' AND delivered_at < now() - make_interval(secs => $1::double precision / 1000)
            ORDER BY delivered_at LIMIT $2
            FOR UPDATE SKIP LOCKED)
         RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [keepMs, batch],
    );
    return row.deleted;
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
      event: row.event as NotificationEvent,
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
