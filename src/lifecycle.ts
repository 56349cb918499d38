/** Work the app does in the background while it serves. */
export interface BackgroundTask {
  readonly name: string;
  /** Starts the work and returns; failures of the work itself are the task's to log. */
  start(): void;
  /** Stops the work and waits until it has stopped. */
  stop(): Promise<void>;
}

export interface LifecycleLog {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * The app's background tasks, in the order they start; they stop in the reverse order,
 * so a task may rely on every task listed before it for as long as it runs. The list is
 * the one place that says what runs in the background and in which order.
 */
export class Lifecycle {
  private running: BackgroundTask[] = [];

  constructor(
    readonly tasks: readonly BackgroundTask[],
    private readonly log: LifecycleLog,
  ) {}

  /** Starts every task, once; a task that throws stops those started before it. */
  async start(): Promise<void> {
    if (this.running.length > 0) return;
    for (const task of this.tasks) {
      try {
        task.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.running.push(task);
      this.log.debug({ task: task.name }, 'background task started');
    }
  }

  /** Stops the running tasks, last started first; one that fails to stop does not keep the others running. */
  async stop(): Promise<void> {
    while (this.running.length > 0) {
      const task = this.running.pop()!;
      try {
        await task.stop();
        // At info: a shutdown says what it has done, step by step.
        this.log.info({ task: task.name }, 'background task stopped');
      } catch (error) {
        this.log.error({ err: error, task: task.name }, 'background task failed to stop');
      }
    }
  }
}
