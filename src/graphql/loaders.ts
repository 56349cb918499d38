import DataLoader from 'dataloader';
import type { AssetView } from '../domain/asset.js';
import { parseRef, type Ref } from '../domain/model.js';
import type { Container } from '../container.js';
import type { HistoryPage } from '../services/history-service.js';

/** One `Asset.history` page: which asset, and which page of it. */
export interface HistoryKey {
  ref: Ref;
  limit: number;
  beforeId?: number;
}

export interface Loaders {
  /** Assets by ref, fetched together: every asset a query touches costs one batch, not one query each. */
  asset: DataLoader<string, AssetView | null>;
  /** History pages, fetched together for every asset asking for the same page size and position. */
  history: DataLoader<HistoryKey, HistoryPage, string>;
}

const historyKey = ({ ref, limit, beforeId }: HistoryKey) => `${ref.kind}:${ref.name}|${limit}|${beforeId ?? ''}`;

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
    history: new DataLoader<HistoryKey, HistoryPage, string>(
      async (keys) => {
        // Usually one group: every asset of a list asks for the same `first` and `after`.
        const groups = new Map<string, HistoryKey[]>();
        for (const key of keys) {
          const group = `${key.limit}|${key.beforeId ?? ''}`;
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        const pages = new Map<string, HistoryPage>();
        for (const group of groups.values()) {
          const { limit, beforeId } = group[0];
          const found = await c.history.listMany(
            group.map((key) => key.ref),
            { limit, beforeId },
          );
          for (const key of group)
            pages.set(historyKey(key), found.get(`${key.ref.kind}:${key.ref.name}`) ?? { items: [], nextBeforeId: null });
        }
        return keys.map((key) => pages.get(historyKey(key))!);
      },
      { maxBatchSize: 1000, cacheKeyFn: historyKey },
    ),
  };
}
