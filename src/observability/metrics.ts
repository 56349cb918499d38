import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/database.js';
import { NOTIFICATION_STATES, type NotificationState } from '../repositories/outbox-repository.js';

/** The closures the lineage service computes, each one breadth-first search. */
export type ClosureKind = 'upstream' | 'downstream' | 'consumers' | 'impact';

/** How a wait for the graph write lock ended. */
export type LockOutcome = 'acquired' | 'timed_out' | 'failed';

/** Why a webhook delivery attempt failed. */
export type DeliveryFailure = 'timeout' | 'http_status' | 'network' | 'refused_address' | 'consumer_gone';

/** What the lineage service records about each closure. */
export interface ClosureMetrics {
  closureComputed(kind: ClosureKind, size: number, seconds: number): void;
}

/** What the unit of work records about each wait for the graph write lock. */
export interface LockMetrics {
  lockWaited(seconds: number, outcome: LockOutcome): void;
}

/** What the outbox worker records about each delivery attempt. */
export interface DeliveryMetrics {
  delivered(): void;
  deliveryFailed(reason: DeliveryFailure, gaveUp: boolean): void;
}

/** What the HTTP layer records about each answered request. */
export interface RequestMetrics {
  requestAnswered(method: string, route: string, status: number, seconds: number): void;
}

/**
 * The state read at scrape time, once per scrape, from the graph, the pool and the outbox
 * table. What comes from the database is absent when it could not be read (or, for the
 * lag, before the index has loaded): its gauges then read NaN.
 */
export interface StateSample {
  graph: {
    /** Assets in this process's closure index. */
    assets: number;
    /** Whether the start-up load has finished. */
    loaded: boolean;
    /**
     * Change-log entries committed but not yet applied to the index, and the age of the
     * oldest of them (0 when the index is at the head of the log).
     */
    lag?: { entries: number; seconds: number };
  };
  pool: PoolStats;
  /** Outbox rows per state, delivered ones left out (they are not a backlog). */
  outbox?: Record<BacklogState, number>;
}

export type BacklogState = Exclude<NotificationState, 'delivered'>;

export const BACKLOG_STATES = NOTIFICATION_STATES.filter((state): state is BacklogState => state !== 'delivered');

/**
 * The process's metrics, on a registry of its own (nothing is registered in prom-client's
 * global one): built once in the composition root and handed to what records, through
 * the narrow interfaces above. Gauges of state are set from a `StateSample` read at
 * scrape time (see MetricsScraper), so nothing runs between scrapes; histograms and
 * counters are recorded where the work happens. Every metric is listed in
 * docs/operations.md.
 */
export class Metrics implements ClosureMetrics, LockMetrics, DeliveryMetrics, RequestMetrics {
  readonly registry = new Registry();

  private readonly requestDuration = new Histogram({
    name: 'depcat_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly closureSize = new Histogram({
    name: 'depcat_closure_size',
    help: 'Assets reached by one closure (its whole breadth-first search, before kind filters and paging).',
    labelNames: ['kind'] as const,
    buckets: [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  });

  private readonly closureDuration = new Histogram({
    name: 'depcat_closure_duration_seconds',
    help: 'Time to compute one closure in the in-memory index: the search, its counts and the page.',
    labelNames: ['kind'] as const,
    buckets: [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  private readonly lockWait = new Histogram({
    name: 'depcat_graph_write_lock_wait_seconds',
    help: 'Time a write waited for the graph write lock, by outcome (acquired, timed_out, failed).',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'depcat_outbox_deliveries_total',
    help: 'Webhook deliveries that a receiver accepted (2xx).',
    registers: [this.registry],
  });

  private readonly deliveryFailures = new Counter({
    name: 'depcat_outbox_delivery_failures_total',
    help:
      'Failed webhook delivery attempts, by reason (timeout, http_status, network, refused_address, consumer_gone) ' +
      'and whether it was the last one (given_up).',
    labelNames: ['reason', 'given_up'] as const,
    registers: [this.registry],
  });

  private readonly outboxBacklog = new Gauge({
    name: 'depcat_outbox_backlog',
    help: 'Notification outbox rows not delivered, by state (pending, failing, given_up); shared by every process on the database.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  private readonly indexAssets = new Gauge({
    name: 'depcat_graph_index_assets',
    help: "Assets in this process's in-memory closure index.",
    registers: [this.registry],
  });

  private readonly indexLoaded = new Gauge({
    name: 'depcat_graph_index_loaded',
    help: "1 once this process's closure index has loaded its start-up snapshot, else 0.",
    registers: [this.registry],
  });

  private readonly lagEntries = new Gauge({
    name: 'depcat_graph_index_lag_entries',
    help: 'Graph change-log entries committed but not yet applied to this process\'s index.',
    registers: [this.registry],
  });

  private readonly lagSeconds = new Gauge({
    name: 'depcat_graph_index_lag_seconds',
    help: 'Age of the oldest change-log entry not yet applied to this process\'s index (0 when caught up).',
    registers: [this.registry],
  });

  private readonly poolSize = new Gauge({
    name: 'depcat_db_pool_size',
    help: 'Most connections the database pool opens (1 on the embedded database).',
    registers: [this.registry],
  });

  private readonly poolConnections = new Gauge({
    name: 'depcat_db_pool_connections',
    help: 'Database connections open, in use or idle.',
    registers: [this.registry],
  });

  private readonly poolIdle = new Gauge({
    name: 'depcat_db_pool_idle_connections',
    help: 'Open database connections that nothing is using.',
    registers: [this.registry],
  });

  private readonly poolWaiting = new Gauge({
    name: 'depcat_db_pool_waiting',
    help: 'Requests for a database connection waiting for one to be free.',
    registers: [this.registry],
  });

  constructor() {
    // Node's own: event-loop delay (nodejs_eventloop_lag_*), heap, GC, CPU, handles...
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status: String(status) }, seconds);
  }

  closureComputed(kind: ClosureKind, size: number, seconds: number): void {
    this.closureSize.observe({ kind }, size);
    this.closureDuration.observe({ kind }, seconds);
  }

  lockWaited(seconds: number, outcome: LockOutcome): void {
    this.lockWait.observe({ outcome }, seconds);
  }

  delivered(): void {
    this.deliveries.inc();
  }

  deliveryFailed(reason: DeliveryFailure, gaveUp: boolean): void {
    this.deliveryFailures.inc({ reason, given_up: String(gaveUp) });
  }

  /** The exposition text, with the gauges of state set from `sample`. */
  async render(sample: StateSample): Promise<string> {
    const { graph, outbox } = sample;
    // NaN: not known now (a gauge left at its last value would look current).
    for (const state of BACKLOG_STATES) this.outboxBacklog.set({ state }, outbox ? outbox[state] : Number.NaN);
    this.indexAssets.set(graph.assets);
    this.indexLoaded.set(graph.loaded ? 1 : 0);
    this.lagEntries.set(graph.lag?.entries ?? Number.NaN);
    this.lagSeconds.set(graph.lag?.seconds ?? Number.NaN);
    this.poolSize.set(sample.pool.max);
    this.poolConnections.set(sample.pool.total);
    this.poolIdle.set(sample.pool.idle);
    this.poolWaiting.set(sample.pool.waiting);
    return this.registry.metrics();
  }
}

/** For code built without metrics (unit tests, tools): records nothing. */
export const unrecorded: ClosureMetrics & LockMetrics & DeliveryMetrics & RequestMetrics = {
  closureComputed: () => {},
  lockWaited: () => {},
  delivered: () => {},
  deliveryFailed: () => {},
  requestAnswered: () => {},
};
