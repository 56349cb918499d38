/**
 * The reference graph of the scale benchmark, generated deterministically from a seed.
 * At scale 1: 100 k sources; 600 k features with 1–3 inputs (70 % sources, 30 % earlier
 * features, so derived features give depth); 200 k models on 4–20 features, 5 % of them
 * also on an earlier model (correction cascades); 100 k consumers reading 1–4 models or
 * features. Popularity follows a power law, so a few sources and features feed hundreds
 * of thousands of assets. Batches only refer to assets of earlier batches or their own.
 */

export interface GeneratedAsset {
  ref: string;
  owner: string;
  contact?: string;
  valueType?: string;
  dependsOn: string[];
}

export interface GraphShape {
  sources: number;
  features: number;
  models: number;
  consumers: number;
}

export function shapeAt(scale: number): GraphShape {
  const at = (n: number) => Math.max(1, Math.round(n * scale));
  return { sources: at(100_000), features: at(600_000), models: at(200_000), consumers: at(100_000) };
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (i: number) => String(i).padStart(7, '0');
export const refOf = {
  source: (i: number) => `source:src_${pad(i)}`,
  feature: (i: number) => `feature:feat_${pad(i)}`,
  model: (i: number) => `model:model_${pad(i)}`,
  consumer: (i: number) => `consumer:cons_${pad(i)}`,
};

/** Yields the graph in batches of `batchSize` assets, sources first, consumers last. */
export function* generateGraph(scale: number, batchSize = 5000, seed = 42): Generator<GeneratedAsset[]> {
  const shape = shapeAt(scale);
  const random = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // Power-law pick among the first `n`: index 0 is the most popular.
  const popular = (n: number, skew: number) => Math.min(n - 1, Math.floor(n * random() ** skew));
  const pickDistinct = (count: number, pick: () => string) => {
    const chosen = new Set<string>();
    for (let tries = 0; chosen.size < count && tries < count * 4; tries++) chosen.add(pick());
    return [...chosen];
  };
  const owner = (i: number) => `team-${i % 250}`;

  let batch: GeneratedAsset[] = [];
  function* emit(asset: GeneratedAsset): Generator<GeneratedAsset[]> {
    batch.push(asset);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }

  for (let i = 0; i < shape.sources; i++) yield* emit({ ref: refOf.source(i), owner: owner(i), dependsOn: [] });
  for (let i = 0; i < shape.features; i++) {
    const inputs = pickDistinct(int(1, 3), () =>
      i > 0 && random() < 0.3 ? refOf.feature(popular(i, 3)) : refOf.source(popular(shape.sources, 3)),
    );
    yield* emit({ ref: refOf.feature(i), owner: owner(i + 7), valueType: 'ratio', dependsOn: inputs });
  }
  for (let i = 0; i < shape.models; i++) {
    const inputs = pickDistinct(int(4, 20), () => refOf.feature(popular(shape.features, 2)));
    if (i > 0 && random() < 0.05) inputs.push(refOf.model(popular(i, 2)));
    yield* emit({ ref: refOf.model(i), owner: owner(i + 13), valueType: 'probability', dependsOn: inputs });
  }
  for (let i = 0; i < shape.consumers; i++) {
    const inputs = pickDistinct(int(1, 4), () =>
      random() < 0.7 ? refOf.model(popular(shape.models, 2)) : refOf.feature(popular(shape.features, 2)),
    );
    yield* emit({
      ref: refOf.consumer(i),
      owner: owner(i + 29),
      contact: `oncall-${i % 500}@example.com`,
      dependsOn: inputs,
    });
  }
  if (batch.length > 0) yield batch;
}
