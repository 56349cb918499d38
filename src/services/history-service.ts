import { NotFoundError } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { HistoryRecord } from '../domain/history.js';
import { pageFrom, type Page } from '../domain/page.js';
import type { UnitOfWork } from '../repositories/store.js';

export type HistoryItem = Omit<HistoryRecord, 'id'>;
/** A history page continues with the entries older than this one. */
export interface HistoryPosition {
  id: number;
}
export type HistoryPage = Page<HistoryItem, HistoryPosition>;

export interface HistoryQuery {
  limit: number;
  after?: HistoryPosition;
}

/**
 * The recorded changes of a ref, newest first. History is kept by ref, not by row: it
 * outlives a deletion, and an asset created again under the same name continues it.
 */
export class HistoryService {
  constructor(private readonly uow: UnitOfWork) {}

  async list(ref: Ref, query: HistoryQuery): Promise<HistoryPage> {
    const rows = await this.uow.read.history.list(ref, query.limit + 1, query.after?.id);
    if (rows.length === 0 && query.after === undefined)
      throw new NotFoundError(`${formatRef(ref)} has no history: it never existed`);
    return toPage(rows, query.limit);
  }

  /**
   * The same page for many refs at once (GraphQL's `Asset.history` across a list), keyed
   * by `kind:name`. The refs are assets being shown, so none is an error when empty.
   */
  async listMany(refs: Ref[], query: HistoryQuery): Promise<Map<string, HistoryPage>> {
    const rows = await this.uow.read.history.listMany(refs, query.limit + 1, query.after?.id);
    return new Map([...rows].map(([ref, records]) => [ref, toPage(records, query.limit)]));
  }
}

function toPage(rows: HistoryRecord[], limit: number): HistoryPage {
  const page = pageFrom(rows, limit, (last) => ({ id: last.id }));
  return { items: page.items.map(({ id: _id, ...entry }) => entry), nextCursor: page.nextCursor };
}
