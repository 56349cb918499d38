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
