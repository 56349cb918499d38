import { pageFrom, type Page } from '../domain/page.js';
import type { NotificationQuery, NotificationRecord } from '../repositories/outbox-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

/** A notification page continues with the notices older than this one. */
export interface NotificationPosition {
  id: number;
}

export interface NotificationListQuery extends Omit<NotificationQuery, 'beforeId'> {
  after?: NotificationPosition;
}

/** What the outbox holds and how each delivery is going. */
export class NotificationService {
  constructor(private readonly uow: UnitOfWork) {}

  async list({ after, ...query }: NotificationListQuery): Promise<Page<NotificationRecord, NotificationPosition>> {
    const rows = await this.uow.read.outbox.list({ ...query, beforeId: after?.id, limit: query.limit + 1 });
    return pageFrom(rows, query.limit, (last) => ({ id: last.id }));
  }
}
