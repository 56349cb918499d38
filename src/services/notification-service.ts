import { ConflictError, NotFoundError } from '../domain/errors.js';
import { parseRef } from '../domain/model.js';
import type { OwnedAsset, Policy } from '../domain/policy.js';
import type { Caller } from '../domain/principal.js';
import { pageFrom, type Page } from '../domain/page.js';
import type { NotificationQuery, NotificationRecord, RetryFilter } from '../repositories/outbox-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

/** A notification page continues with the notices older than this one. */
export interface NotificationPosition {
  id: number;
}

export interface NotificationListQuery extends Omit<NotificationQuery, 'beforeId'> {
  after?: NotificationPosition;
}

/** What a bulk retry did: the notices it put back, oldest first, and how many given_up ones it left. */
export interface RetryReport {
  items: NotificationRecord[];
  remaining: number;
}

/** The outbox's worker, told when retried notices are due. */
export interface Wakeable {
  wake(): void;
}

/** What the outbox holds and how each delivery is going; given_up notices can be tried again. */
export class NotificationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly worker: Wakeable,
    private readonly policy: Policy,
  ) {}

  async list({ after, ...query }: NotificationListQuery): Promise<Page<NotificationRecord, NotificationPosition>> {
    const rows = await this.uow.read.outbox.list({ ...query, beforeId: after?.id, limit: query.limit + 1 });
    return pageFrom(rows, query.limit, (last) => ({ id: last.id }));
  }

  /** Puts a given_up notice back to pending, due now, its attempts reset. */
  async retry(caller: Caller, id: number): Promise<NotificationRecord> {
    const notice = await this.uow.read.outbox.concerning(id);
    if (!notice) throw new NotFoundError(`notice ${id} does not exist`);
    this.policy.retryNotifications(caller.principal, await this.owned([notice.asset, notice.consumer]));
    const found = await this.uow.autocommit.outbox.retry(id);
    if (!found) throw new NotFoundError(`notice ${id} does not exist`);
    if (!found.notice)
      throw new ConflictError(`notice ${id} is ${found.state}: only a given_up notice can be retried`, { state: found.state });
    this.worker.wake();
    return found.notice;
  }

  /** Retries up to `limit` given_up notices about an asset and/or to a consumer (all of them without either). */
  async retryGivenUp(caller: Caller, filter: RetryFilter, limit: number): Promise<RetryReport> {
    this.policy.retryNotifications(caller.principal, await this.owned([filter.asset, filter.consumer]));
    const report = await this.uow.autocommit.outbox.retryGivenUp(filter, limit);
    if (report.items.length > 0) this.worker.wake();
    return report;
  }

  /** The refs that name existing assets, with their owners. */
  private async owned(refs: (string | undefined)[]): Promise<OwnedAsset[]> {
    const parsed = refs.flatMap((text) => {
      const ref = text === undefined ? null : parseRef(text);
      return ref !== null && typeof ref !== 'string' ? [ref] : [];
    });
    const assets = parsed.length === 0 ? [] : await this.uow.read.assets.findByRefs(parsed);
    return assets.map((a) => ({ ref: a.ref, owner: a.owner }));
  }
}
