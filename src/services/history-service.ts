import { NotFoundError } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { HistoryRecord } from '../repositories/history-repository.js';
import type { UnitOfWork } from '../repositories/store.js';

export interface HistoryPage {
  items: Omit<HistoryRecord, 'id'>[];
  /** The id of the last item shown when there are more, to continue from. */
  nextBeforeId: number | null;
}

/**
 * The recorded changes of a ref, newest first. History is kept by ref, not by row: it
 * outlives a deletion, and an asset created again under the same name continues it.
 */
export class HistoryService {
  constructor(private readonly uow: UnitOfWork) {}

  async list(ref: Ref, query: { limit: number; beforeId?: number }): Promise<HistoryPage> {
    const rows = await this.uow.read.history.list(ref, query.limit + 1, query.beforeId);
    if (rows.length === 0 && query.beforeId === undefined)
      throw new NotFoundError(`${formatRef(ref)} has no history: it never existed`);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(({ id: _id, ...entry }) => entry),
      nextBeforeId: rows.length > query.limit ? page[page.length - 1].id : null,
    };
  }
}
