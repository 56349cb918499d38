import { setMaxListeners } from 'node:events';
import { Agent, fetch } from 'undici';
import { signatureHeader, webhookTimestamp } from '../domain/webhook-signature.js';
import { unrecorded, type DeliveryFailure, type DeliveryMetrics } from '../observability/metrics.js';
import type { ClaimedDelivery, OutboxRepository } from '../repositories/outbox-repository.js';
import { refusedAddressIn, type WebhookAddresses } from './webhook-addresses.js';
import type { SigningSecrets } from './webhook-secret-service.js';

export interface OutboxWorkerOptions {
  /** Delay before the first retry; each further retry waits twice as long. */
  backoffMs: number;
  /** Longest wait between two attempts. */
  maxBackoffMs?: number;
  /** Attempts after which a delivery is `given_up`. */
  maxAttempts?: number;
  /** A receiver slower than this counts as a failed attempt. */
  requestTimeoutMs?: number;
  /** Deliveries in flight at once; a slot is refilled as soon as its delivery ends. */
  batchSize?: number;
  /** Longest sleep when nothing is due: how soon rows queued by other processes are seen. */
  idleMs?: number;
}

/** Where a delivery may connect, and what it is signed with. */
export interface DeliveryGuards {
  addresses: Pick<WebhookAddresses, 'literalRefusal' | 'lookup'>;
  secrets: SigningSecrets;
}

/** How one attempt ended, when it did not deliver. */
interface Failed {
  failure: string;
  reason: DeliveryFailure;
}

export interface WorkerLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

const silent: WorkerLog = { warn: () => {}, error: () => {} };

/** The wait after the `attempts`-th failed attempt: backoff, doubling, capped. */
export const retryDelay = (attempts: number, backoffMs: number, maxBackoffMs: number): number =>
  Math.min(backoffMs * 2 ** Math.max(0, attempts - 1), maxBackoffMs);

const timedOut = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

const describeError = (error: unknown, timeoutMs: number): string => {
  if (timedOut(error)) return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const base = error instanceof Error ? error.message : String(error);
  return cause?.code ? `${base}: ${cause.code}` : cause?.message ? `${base}: ${cause.message}` : base;
};

/**
 * Delivers the notification outbox: claims due rows, POSTs each payload to its URL, and
 * records the outcome in the row. Everything it knows is in the table, so a restart
 * picks up where the last process stopped. Requests run outside any transaction and
 * with a timeout, so a slow receiver holds up neither requests nor other deliveries
 * for long. Each is signed (Standard Webhooks) and connects only to addresses checked
 * by `guards.addresses`; redirects are not followed.
 */
export class OutboxWorker {
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly requestTimeoutMs: number;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private running: Promise<void> | null = null;
  private stopping = new AbortController();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  /** The connections of deliveries, made through the address check's lookup; open between start() and stop(). */
  private agent: Agent | null = null;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly options: OutboxWorkerOptions,
    private readonly guards: DeliveryGuards,
    private readonly log: WorkerLog = silent,
    private readonly metrics: DeliveryMetrics = unrecorded,
  ) {
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.batchSize = options.batchSize ?? 20;
    this.idleMs = options.idleMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.agent = new Agent({ connect: { lookup: this.guards.addresses.lookup } });
    this.running = this.loop();
  }

  /** New rows were committed: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops polling, aborts deliveries in flight (their rows are handed back untried), waits. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping.abort();
    this.wakeUp?.();
    await this.running;
    this.running = null;
    // Nothing is in flight any more: close the kept-alive connections.
    await this.agent?.destroy();
    this.agent = null;
  }

  /**
   * Keeps up to `batchSize` deliveries in flight and refills a slot as soon as one ends,
   * so receivers that hang take a slot each until their timeout but never hold up a
   * round: a healthy receiver's notice waits at most for a free slot.
   */
  private async loop(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    // Every delivery in flight listens for the stop.
    setMaxListeners(this.batchSize + 10, this.stopping.signal);
    while (!this.stopping.signal.aborted) {
      let sleepMs = this.idleMs;
      try {
        const free = this.batchSize - inFlight.size;
        if (free > 0) {
          const claimed = await this.outbox.claimDue(free, this.leaseMs());
          for (const row of claimed) {
            const delivery: Promise<void> = this.deliver(row)
              .catch((error: unknown) => this.log.error({ err: error, delivery: row.id }, 'notification outbox: recording a delivery failed'))
              .finally(() => {
                inFlight.delete(delivery);
                this.wake();
              });
            inFlight.add(delivery);
          }
          if (claimed.length === free) sleepMs = inFlight.size < this.batchSize ? 0 : this.idleMs;
          else {
            const due = await this.outbox.msUntilNextDue();
            if (due !== null) sleepMs = Math.min(due, this.idleMs);
          }
        }
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.log.error({ err: error }, 'notification outbox: round failed; retrying');
      }
      // A delivery that ends wakes this up, so a freed slot is refilled at once.
      await this.sleep(sleepMs);
    }
    await Promise.all(inFlight);
  }

  /** Long enough that a lease never runs out while its request can still be running. */
  private leaseMs(): number {
    return this.requestTimeoutMs * 2 + 30_000;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || ms <= 0 || this.stopping.signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async deliver(row: ClaimedDelivery): Promise<void> {
    const refused = this.guards.addresses.literalRefusal(row.url);
    const secrets = refused ? null : await this.guards.secrets.signingSecrets(row.consumer);
    const outcome: Failed | 'delivered' | 'released' = refused
      ? { failure: `refused: ${refused}`, reason: 'refused_address' }
      : !secrets
        ? { failure: `${row.consumer} no longer exists: no secret to sign with`, reason: 'consumer_gone' }
        : await this.attempt(row, secrets);
    if (outcome === 'delivered') {
      // Counted once stored, so a scrape never sees a delivery its backlog still holds.
      this.metrics.delivered();
      return;
    }
    if (outcome === 'released') return;
    const attempts = row.attempts + 1;
    this.log.warn({ delivery: row.id, url: row.url, attempts, failure: outcome.failure }, 'notification delivery failed');
    await this.outbox.markFailed(row.id, outcome.failure, retryDelay(attempts, this.options.backoffMs, this.maxBackoffMs), this.maxAttempts);
    this.metrics.deliveryFailed(outcome.reason, attempts >= this.maxAttempts);
  }

  /** One POST, signed with `secrets`: delivered (and stored so), handed back on a stop, or how it failed. */
  private async attempt(row: ClaimedDelivery, secrets: string[]): Promise<Failed | 'delivered' | 'released'> {
    const body = JSON.stringify({ id: row.id, ...row.payload });
    const id = String(row.id);
    const at = new Date();
    // Node 20's AbortSignal.any([AbortSignal.timeout(…), …]) never fires once a garbage
    // collection has run, so a hanging receiver held its request forever: the timeout is
    // a timer of our own, cleared when the request ends.
    const stopping = this.stopping.signal;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${this.requestTimeoutMs} ms`, 'TimeoutError')),
      this.requestTimeoutMs,
    );
    const onStop = () => controller.abort(stopping.reason);
    stopping.addEventListener('abort', onStop, { once: true });
    try {
      const response = await fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'depcat-webhook/1',
          'x-depcat-event': String(row.payload.event),
          // Receivers de-duplicate on this (or on webhook-id, the same): delivery is at least once.
          'x-depcat-delivery': id,
          'webhook-id': id,
          'webhook-timestamp': webhookTimestamp(at),
          'webhook-signature': signatureHeader(secrets, id, at, body),
        },
        body,
        redirect: 'manual',
        signal: controller.signal,
        // Connects through the address check's lookup: only to addresses it has checked.
        dispatcher: this.agent!,
      });
      await response.body?.cancel().catch(() => {});
      if (response.ok) {
        await this.outbox.markDelivered(row.id);
        return 'delivered';
      }
      return { failure: `HTTP ${response.status}`, reason: 'http_status' };
    } catch (error) {
      if (stopping.aborted) {
        await this.outbox.release(row.id).catch(() => {});
        return 'released';
      }
      const refused = refusedAddressIn(error);
      if (refused) return { failure: `refused: ${refused.message}`, reason: 'refused_address' };
      return { failure: describeError(error, this.requestTimeoutMs), reason: timedOut(error) ? 'timeout' : 'network' };
    } finally {
      clearTimeout(timer);
      stopping.removeEventListener('abort', onStop);
    }
  }
}
