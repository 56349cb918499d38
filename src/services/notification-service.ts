import type { NotificationQuery, NotificationRecord } from '../repositories/outbox-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

/** What the outbox holds and how each delivery is going. */
export class NotificationService {
  constructor(private readonly uow: UnitOfWork) {}

  async list(query: NotificationQuery): Promise<{ items: NotificationRecord[]; nextBeforeId: number | null }> {
    const rows = await this.uow.read.outbox.list({ ...query, limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    return { items, nextBeforeId: rows.length > query.limit ? items[items.length - 1].id : null };
  }
}
