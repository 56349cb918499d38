import type { NodeState } from './node-state.js';

/**
 * Where an index reads the change log, and its snapshot when it fell behind the log's
 * horizon: the pool (GraphRepository), or a write transaction holding the graph write
 * lock (AssetWriter, GraphRepository.underLock), whose reads then see one state of the graph.
 */
export interface GraphLog {
  /** The entries after `seq`, at most `limit`; BehindHorizonError when some were pruned. */
  changesSince(seq: number, limit: number): Promise<NodeState[]>;
  /** Every asset, and the log position the reads correspond to. */
  snapshot(onChunk: (nodes: NodeState[]) => void): Promise<number>;
}

/**
 * The change-log entries after `position` are needed, but everything up to `horizon` has
 * been pruned: an index at `position` cannot catch up from the log and must reload its
 * snapshot. Thrown by the log read itself, so no caller can apply an incomplete answer.
 */
export class BehindHorizonError extends Error {
  constructor(
    readonly position: number,
    readonly horizon: number,
  ) {
    super(`the change log is pruned up to ${horizon}; the index stands at ${position}`);
    this.name = 'BehindHorizonError';
  }
}
