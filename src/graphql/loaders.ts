import DataLoader from 'dataloader';
import type { AssetView } from '../domain/asset.js';
import { formatRef, parseRef, type Ref } from '../domain/model.js';
import type { Container } from '../container.js';
import type { HistoryPage, HistoryQuery } from '../services/history-service.js';

/** One `Asset.history` page: which asset, and which page of it. */
export interface HistoryKey extends HistoryQuery {
  ref: Ref;
}

export interface Loaders {
  /** Assets by ref, fetched together: every asset a query touches costs one batch, not one query each. */
  asset: DataLoader<string, AssetView | null>;
  /** Direct dependents' refs, asked together: one catch-up of the closure index for the whole batch. */
  dependents: DataLoader<Ref, string[], string>;
  /** History pages, fetched together for every asset asking for the same page size and position. */
  history: DataLoader<HistoryKey, HistoryPage, string>;
}

const pageOf = ({ limit, after }: HistoryQuery) => `${limit}|${after?.id ?? ''}`;
const historyKey = (key: HistoryKey) => `${formatRef(key.ref)}|${pageOf(key)}`;

/** Per-request loaders: batching within one operation, never a cache across requests. */
export function createLoaders(c: Container): Loaders {
  return {
    asset: new DataLoader<string, AssetView | null>(
      async (keys) => {
        const refs = keys.map(parseRef).filter((ref): ref is Ref => typeof ref !== 'string');
        const found = new Map((await c.assets.getMany(refs)).map((asset) => [asset.ref, asset]));
        return keys.map((key) => found.get(key) ?? null);
      },
      { maxBatchSize: 1000 },
    ),
    dependents: new DataLoader<Ref, string[], string>((refs) => c.lineage.dependentsOf(refs), { cacheKeyFn: formatRef }),
    history: new DataLoader<HistoryKey, HistoryPage, string>(
      async (keys) => {
        // Usually one group: every asset of a list asks for the same `first` and `after`.
        const groups = new Map<string, HistoryKey[]>();
        for (const key of keys) groups.set(pageOf(key), [...(groups.get(pageOf(key)) ?? []), key]);
        const pages = new Map<string, HistoryPage>();
        for (const group of groups.values()) {
          const { limit, after } = group[0];
          const found = await c.history.listMany(
            group.map((key) => key.ref),
            { limit, after },
          );
          for (const key of group) pages.set(historyKey(key), found.get(formatRef(key.ref)) ?? { items: [], nextCursor: null });
        }
        return keys.map((key) => pages.get(historyKey(key))!);
      },
      { maxBatchSize: 1000, cacheKeyFn: historyKey },
    ),
  };
}
