import type { ClosureIndex } from './closure-index.js';

/**
 * Strongly connected components with more than one member (every cycle lies inside one),
 * by Tarjan's algorithm written with explicit stacks: a long chain must not overflow the
 * call stack. Returns each component's members; O(assets + edges).
 */
export function cyclicComponents(index: ClosureIndex): number[][] {
  const n = index.capacity;
  const order = new Int32Array(n); // discovery number + 1; 0 = not visited
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let stackTop = 0;
  let counter = 0;
  const components: number[][] = [];

  for (let root = 0; root < n; root++) {
    if (order[root] !== 0 || index.kindOf(root) === undefined) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = 0;
    order[root] = low[root] = ++counter;
    stack[stackTop++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callNode[depth];
      const deps = index.dependenciesOf(v);
      const e = callEdge[depth];
      if (e < deps.length) {
        callEdge[depth] = e + 1;
        const w = deps[e];
        if (order[w] === 0) {
          order[w] = low[w] = ++counter;
          stack[stackTop++] = w;
          onStack[w] = 1;
          depth++;
          callNode[depth] = w;
          callEdge[depth] = 0;
        } else if (onStack[w] && order[w] < low[v]) {
          low[v] = order[w];
        }
        continue;
      }
      if (low[v] === order[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack[--stackTop];
          onStack[w] = 0;
          members.push(w);
        } while (w !== v);
        if (members.length > 1) components.push(members);
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth];
        if (low[v] < low[parent]) low[parent] = low[v];
      }
    }
  }
  return components;
}

/**
 * The strongly connected component of one asset, without looking at the whole graph: the
 * assets both upstream and downstream of it. The two searches advance in turn and the one
 * that finishes first bounds the other, so the cost is about twice the smaller closure.
 * Returns [] when the asset is on no cycle.
 */
export function componentOf(index: ClosureIndex, id: number): number[] {
  if (index.dependenciesOf(id).length === 0 || index.dependentsOf(id).length === 0) return [];
  const searches = (['down', 'up'] as const).map((side) => ({
    next: (v: number) => (side === 'down' ? index.dependentsOf(v) : index.dependenciesOf(v)),
    seen: new Set<number>([id]),
    queue: [id],
    head: 0,
  }));
  let finished: (typeof searches)[number] | undefined;
  for (let turn = 0; !finished; turn ^= 1) {
    const search = searches[turn];
    if (search.head === search.queue.length) {
      finished = search;
      break;
    }
    for (const w of search.next(search.queue[search.head++]))
      if (!search.seen.has(w)) {
        search.seen.add(w);
        search.queue.push(w);
      }
  }
  // Walk the other direction, but only through assets the finished search reached.
  const other = searches[0] === finished ? searches[1] : searches[0];
  const members = [id];
  const seen = new Set<number>([id]);
  for (let head = 0; head < members.length; head++)
    for (const w of other.next(members[head]))
      if (finished.seen.has(w) && !seen.has(w)) {
        seen.add(w);
        members.push(w);
      }
  return members.length > 1 ? members : [];
}

/**
 * One concrete cycle of a component, chosen so that every process and every request
 * picks the same: the shortest cycle through the component's lowest id, neighbours taken
 * in id order. Listed in dependency order: each asset depends on the next, the last on
 * the first.
 */
export function canonicalCycle(index: ClosureIndex, members: readonly number[]): number[] {
  const inComponent = new Set(members);
  let start = members[0];
  for (const m of members) if (m < start) start = m;
  const parent = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    const next = index.dependenciesOf(v).filter((w) => inComponent.has(w)).sort((a, b) => a - b);
    for (const w of next) {
      if (w === start) {
        const cycle: number[] = [];
        for (let p = v; p !== -1; p = parent.get(p)!) cycle.push(p);
        return cycle.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start]; // unreachable for a strongly connected component
}
