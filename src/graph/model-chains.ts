import type { ClosureIndex } from './closure-index.js';

/** A model chain as findings show it: its first models and its last, and how long it is. */
export interface ChainSummary {
  /** The chain top down when it has at most `max` models; else its first `max - 1` and its last. */
  ids: number[];
  /** Models in the whole chain. */
  length: number;
}

/**
 * Longest chains of models depending on models (correction cascades), memoised per
 * instance. A chain from a model follows, at each step, the model dependency with the
 * longest chain below it (lowest id on a tie), so the answer for a model depends only on
 * the models below it: a full pass and a per-asset read agree. On a cycle among models
 * (also reported as a feedback loop) a dependency back onto the chain is not followed.
 * Each model's length, next and last model are kept, so summing up a chain costs at most
 * `max` steps however long it is: a full pass over a chain of n models is O(n), not O(n²).
 */
export class ModelChains {
  private length = new Map<number, number>();
  private next = new Map<number, number>();
  private last = new Map<number, number>();

  constructor(private readonly index: ClosureIndex) {}

  modelDependencies(id: number): number[] {
    return this.index.dependenciesOf(id).filter((w) => this.index.kindOf(w) === 'model');
  }

  /** The models that depend directly on `id` and are models. */
  modelDependents(id: number): number[] {
    return this.index.dependentsOf(id).filter((w) => this.index.kindOf(w) === 'model');
  }

  /** The chain from `id` down, `id` first, summed up to at most `max` models; length 1 when it depends on no model. */
  chainFrom(id: number, max: number): ChainSummary {
    this.compute(id);
    const length = this.length.get(id)!;
    const ids = [id];
    const listed = length <= max ? length : max - 1;
    for (let v = this.next.get(id); v !== undefined && ids.length < listed; v = this.next.get(v)) ids.push(v);
    if (length > max) ids.push(this.last.get(id)!);
    return { ids, length };
  }

  /**
   * The models whose chain passes through `id` (`id` among them), in no particular order.
   * Only models above `id` (through model dependencies) can; each of them is looked at
   * once, following its chain until it meets `id`, a model already decided, or a model
   * not above `id` (from there the chain cannot come back to it).
   */
  modelsThrough(id: number): number[] {
    const above = [id];
    const isAbove = new Set(above);
    for (let head = 0; head < above.length; head++)
      for (const w of this.modelDependents(above[head]))
        if (!isAbove.has(w)) {
          isAbove.add(w);
          above.push(w);
        }
    const through = new Map<number, boolean>([[id, true]]);
    for (const model of above) {
      this.compute(model);
      const walked: number[] = [];
      let found = false;
      for (let v: number | undefined = model; v !== undefined && isAbove.has(v); v = this.next.get(v)) {
        const known = through.get(v);
        if (known !== undefined) {
          found = known;
          break;
        }
        walked.push(v);
      }
      for (const v of walked) through.set(v, found);
    }
    return above.filter((model) => through.get(model));
  }

  private compute(root: number): void {
    if (this.length.has(root)) return;
    const onPath = new Set<number>([root]);
    const stack: { id: number; deps: number[]; at: number }[] = [
      { id: root, deps: this.modelDependencies(root), at: 0 },
    ];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.at < frame.deps.length) {
        const w = frame.deps[frame.at++];
        if (!this.length.has(w) && !onPath.has(w)) {
          onPath.add(w);
          stack.push({ id: w, deps: this.modelDependencies(w), at: 0 });
        }
        continue;
      }
      // Every dependency not on the current path is done; ancestors on the path are not,
      // which is how a dependency back onto the chain is left out.
      let best = -1;
      let bestLength = 0;
      for (const w of frame.deps) {
        const length = this.length.get(w);
        if (length !== undefined && (length > bestLength || (length === bestLength && w < best))) {
          best = w;
          bestLength = length;
        }
      }
      this.length.set(frame.id, bestLength + 1);
      if (best >= 0) {
        this.next.set(frame.id, best);
        this.last.set(frame.id, this.last.get(best)!);
      } else this.last.set(frame.id, frame.id);
      onPath.delete(frame.id);
      stack.pop();
    }
  }
}
