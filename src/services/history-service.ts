import { NotFoundError } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { HistoryRecord } from '../domain/history.js';
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
    return toPage(rows, query.limit);
  }

  /**
   * The same page for many refs at once (GraphQL's `Asset.history` across a list), keyed
   * by `kind:name`. The refs are assets being shown, so none is an error when empty.
   */
  async listMany(refs: Ref[], query: { limit: number; beforeId?: number }): Promise<Map<string, HistoryPage>> {
    const rows = await this.uow.read.history.listMany(refs, query.limit + 1, query.beforeId);
    return new Map([...rows].map(([ref, records]) => [ref, toPage(records, query.limit)]));
  }
}

function toPage(rows: HistoryRecord[], limit: number): HistoryPage {
  const page = rows.slice(0, limit);
  return {
    items: page.map(({ id: _id, ...entry }) => entry),
    nextBeforeId: rows.length > limit ? page[page.length - 1].id : null,
  };
}
