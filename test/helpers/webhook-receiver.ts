import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A webhook receiver for the outbox tests, and a wait for what it should see.

export interface Received {
  path: string;
  body: Record<string, unknown>;
  /** The body as sent: what a signature covers. */
  raw: string;
  headers: IncomingMessage['headers'];
  at: number;
}

/** An answer: a status, a status with headers (a redirect's `location`), or null to hang. */
export type Answer = number | { status: number; headers: Record<string, string> } | null;

/** A webhook receiver on 127.0.0.1; `respond` decides each answer. */
export async function startReceiver(respond: (path: string, count: number, request: Received) => Answer) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      const request: Received = { path, body: JSON.parse(data), raw: data, headers: req.headers, at: Date.now() };
      received.push(request);
      const answer = respond(path, count, request);
      if (typeof answer === 'number') res.writeHead(answer).end();
      else if (answer) res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `probe` until it gives a value, or fails naming `what`. */
export async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
