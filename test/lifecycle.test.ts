import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { Lifecycle, type BackgroundTask } from '../src/lifecycle.js';
import { createTestDatabase } from './helpers/database.js';
import { TEST_ENV } from './helpers/test-app.js';

const recorder = () => {
  const events: string[] = [];
  const errors: string[] = [];
  const log = { debug: () => {}, info: () => {}, error: (object: object) => errors.push((object as { task: string }).task) };
  const task = (name: string, behaviour: { failStart?: boolean; failStop?: boolean } = {}): BackgroundTask => ({
    name,
    start: () => {
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    stop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (behaviour.failStop) throw new Error(`${name} cannot stop`);
      events.push(`stop ${name}`);
    },
  });
  return { events, errors, log, task };
};

describe('Lifecycle', () => {
  it('starts the tasks in order, once, and stops them in reverse order, each after the one started after it', async () => {
    const r = recorder();
    const lifecycle = new Lifecycle([r.task('a'), r.task('b'), r.task('c')], r.log);
    await lifecycle.start();
    await lifecycle.start();
    await lifecycle.stop();
    await lifecycle.stop();
    expect(r.events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops nothing that was never started', async () => {
    const r = recorder();
    await new Lifecycle([r.task('a')], r.log).stop();
    expect(r.events).toEqual([]);
  });

  it('stops the tasks already started when one fails to start, and says why', async () => {
    const r = recorder();
    const lifecycle = new Lifecycle([r.task('a'), r.task('b'), r.task('c', { failStart: true }), r.task('d')], r.log);
    await expect(lifecycle.start()).rejects.toThrow('c cannot start');
    expect(r.events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('logs a task that fails to stop and still stops the others', async () => {
    const r = recorder();
    const lifecycle = new Lifecycle([r.task('a'), r.task('b', { failStop: true }), r.task('c')], r.log);
    await lifecycle.start();
    await lifecycle.stop();
    expect(r.events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop a']);
    expect(r.errors).toEqual(['b']);
  });
});

describe("the app's background tasks", () => {
  it('are the graph, the outbox worker, the read flusher and the pruner, started only once the app is ready', async () => {
    const db = await createTestDatabase();
    try {
      const { app, container } = await buildApp(loadConfig({ ...TEST_ENV, DATABASE_URL: db.url }), { logger: false });
      try {
        expect(container.lifecycle.tasks.map((task) => task.name)).toEqual(['graph', 'outbox-worker', 'read-flusher', 'pruner']);
        // Built is not started: no snapshot load yet.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(container.graph.isLoaded).toBe(false);
        await app.ready();
        await expect.poll(() => container.graph.isLoaded).toBe(true);
        expect((await app.inject('/readyz')).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    } finally {
      await db.drop();
    }
  });
});
