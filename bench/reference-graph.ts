/**
 * A deterministic catalog shaped like a large organisation's (the reference graph of the
 * benchmarks): at scale 1, 100 k sources; 600 k features with 1–3 inputs (70 % sources,
 * 30 % earlier features); 200 k models on 4–20 features, 5 % also on an earlier model;
 * 100 k consumers on 1–4 models or features. Inputs are picked with a power law, so a
 * few sources and features feed a large part of the graph. The same seed and scale
 * always give the same graph; assets come in dependency order, so each batch only names
 * assets of earlier batches or of itself.
 */

export interface ReferenceGraphOptions {
  /** Fraction of the full size, e.g. 0.01 for 10 k assets; default 1. */
  scale?: number;
  seed?: number;
  /** Assets per batch; default 5000. */
  batchSize?: number;
}

export interface DependencySpec {
  ref: string;
  pinnedVersion?: string;
  importance?: number;
}

/** One asset as `POST /v1/batch` takes it. */
export interface BatchAsset {
  ref: string;
  owner: string;
  description?: string;
  lifecycle?: 'experimental' | 'production' | 'deprecated';
  platforms?: string[];
  domains?: string[];
  valueType?: string;
  stability?: 'stable' | 'volatile';
  contact?: string;
  dependsOn?: (string | DependencySpec)[];
}

export interface ReferenceGraphSize {
  sources: number;
  features: number;
  models: number;
  consumers: number;
}

export function referenceGraphSize(scale = 1): ReferenceGraphSize {
  const n = (full: number) => Math.max(1, Math.round(full * scale));
  return { sources: n(100_000), features: n(600_000), models: n(200_000), consumers: n(100_000) };
}

/** mulberry32: a small, fast, seeded generator; quality is ample for shaping a graph. */
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

/** Power law over [0, n): index 0 is the most popular. */
const popular = (random: () => number, n: number, exponent = 3): number => Math.floor(n * random() ** exponent);
const between = (random: () => number, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

const PLATFORM_SETS = [['batch', 'online'], ['batch'], ['online'], undefined] as const;
const DOMAIN_SETS = [['ads'], ['ads', 'search'], ['search'], undefined] as const;
const VALUE_TYPES = ['count', 'ratio', 'probability', 'embedding', 'category', 'score'] as const;

/** Whether source i is volatile; a pure function of i so dependents can know it. */
const isVolatileSource = (i: number): boolean => i % 5 === 0;

export function* referenceGraph(options: ReferenceGraphOptions = {}): Generator<BatchAsset[]> {
  const size = referenceGraphSize(options.scale ?? 1);
  const batchSize = options.batchSize ?? 5000;
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[], weights: readonly number[]): T => {
    let r = random();
    for (let i = 0; i < items.length; i++) if ((r -= weights[i]) < 0) return items[i];
    return items[items.length - 1];
  };
  // Most assets are fully annotated; a few lack something, as in a real catalog.
  const annotations = (i: number): Partial<BatchAsset> => {
    const platforms = pick(PLATFORM_SETS, [0.9, 0.03, 0.02, 0.05]);
    const domains = pick(DOMAIN_SETS, [0.03, 0.9, 0.02, 0.05]);
    const lifecycle = pick(['production', 'experimental', 'deprecated'] as const, [0.95, 0.04, 0.01]);
    return {
      owner: `team-${i % 97}`,
      ...(random() < 0.9 ? { description: `asset ${i}` } : {}),
      ...(lifecycle === 'production' ? {} : { lifecycle }),
      ...(platforms ? { platforms: [...platforms] } : {}),
      ...(domains ? { domains: [...domains] } : {}),
    };
  };
  const distinct = (count: number, draw: () => string): string[] => {
    const refs = new Set<string>();
    for (let tries = 0; refs.size < count && tries < count * 4; tries++) refs.add(draw());
    return [...refs];
  };

  let batch: BatchAsset[] = [];
  function* push(asset: BatchAsset): Generator<BatchAsset[]> {
    batch.push(asset);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }

  for (let i = 0; i < size.sources; i++)
    yield* push({ ref: `source:s${i}`, ...annotations(i), stability: isVolatileSource(i) ? 'volatile' : 'stable' } as BatchAsset);

  for (let i = 0; i < size.features; i++) {
    const inputs = distinct(between(random, 1, 3), () =>
      i > 0 && random() < 0.3 ? `feature:f${popular(random, i)}` : `source:s${popular(random, size.sources)}`,
    );
    const dependsOn = inputs.map((ref): string | DependencySpec => {
      const source = ref.startsWith('source:') ? Number(ref.slice(8)) : -1;
      // Most dependencies on volatile sources are pinned; the rest are findings.
      return source >= 0 && isVolatileSource(source) && random() < 0.8 ? { ref, pinnedVersion: 'v1' } : ref;
    });
    yield* push({ ref: `feature:f${i}`, ...annotations(i), valueType: pick(VALUE_TYPES, [0.3, 0.2, 0.2, 0.1, 0.1, 0.1]), dependsOn } as BatchAsset);
  }

  for (let i = 0; i < size.models; i++) {
    const features = distinct(between(random, 4, 20), () => `feature:f${popular(random, size.features)}`);
    const dependsOn: (string | DependencySpec)[] = features.map((ref) =>
      // A third of model inputs carry a measured importance; a few are negligible.
      random() < 0.3 ? { ref, importance: Math.round(random() ** 4 * 1e6) / 1e6 } : ref,
    );
    if (i > 0 && random() < 0.05) dependsOn.push(`model:m${popular(random, i, 2)}`);
    yield* push({ ref: `model:m${i}`, ...annotations(i), valueType: 'probability', dependsOn } as BatchAsset);
  }

  for (let i = 0; i < size.consumers; i++) {
    const inputs = distinct(between(random, 1, 4), () =>
      random() < 0.7 ? `model:m${popular(random, size.models, 2)}` : `feature:f${popular(random, size.features)}`,
    );
    yield* push({ ref: `consumer:c${i}`, ...annotations(i), contact: `c${i}@example.com`, dependsOn: inputs } as BatchAsset);
  }
  if (batch.length > 0) yield batch;
}
