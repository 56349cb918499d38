import DataLoader from 'dataloader';
import type { AssetView } from '../domain/asset.js';
import { parseRef, type Ref } from '../domain/model.js';
import type { Container } from '../container.js';

export interface Loaders {
  /** Assets by ref, fetched together: every asset a query touches costs one batch, not one query each. */
  asset: DataLoader<string, AssetView | null>;
}

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
  };
}
