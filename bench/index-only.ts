/**
 * `npm run bench:index -- [--scale 1]`: the in-memory closure index alone, without HTTP or
 * a database: build time, heap, and BFS time on the largest closures. A quick way to see
 * the engine's own cost at full scale.
 */
import { ClosureIndex } from '../src/graph/closure-index.js';
import type { Kind } from '../src/domain/model.js';
import { referenceGraph } from './reference-graph.js';
import { fmt, percentile } from './support.js';

const at = process.argv.indexOf('--scale');
const scale = at >= 0 ? Number(process.argv[at + 1]) : 1;
const index = new ClosureIndex();
const ids = new Map<string, number>();
const idOf = (ref: string) => {
  let id = ids.get(ref);
  if (id === undefined) {
    id = ids.size + 1;
    ids.set(ref, id);
  }
  return id;
};
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
for (const batch of referenceGraph({ scale }))
  for (const asset of batch) {
    const [kind, name] = asset.ref.split(':') as [Kind, string];
    index.apply({ seq: 0, id: idOf(asset.ref), kind, name, owner: asset.owner, dependsOn: (asset.dependsOn ?? []).map((d) => idOf(typeof d === 'string' ? d : d.ref)) });
  }
const buildMs = performance.now() - started;
global.gc?.();
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
console.log(`scale ${scale}: ${index.size} assets, ${index.edgeCount} edges; built in ${(buildMs / 1000).toFixed(1)} s (generation included); heap ${heapMb.toFixed(0)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);

const byFanIn = [...ids.values()].sort((a, b) => index.dependentsOf(b).length - index.dependentsOf(a).length).slice(0, 50);
const sizes = byFanIn.map((id) => ({ id, size: index.traverse(id, 'downstream').total() })).sort((a, b) => b.size - a.size).slice(0, 10);
for (const { id, size } of sizes.slice(0, 3)) {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const traversal = index.traverse(id, 'downstream');
    traversal.countsByKind();
    traversal.page(100);
    traversal.owners();
    times.push(performance.now() - t0);
  }
  console.log(`${index.refOf(id)}: ${size} dependents; traverse + counts + first page + owners p50 ${fmt(percentile(times, 50))} ms`);
}
