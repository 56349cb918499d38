import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A bare TCP client speaking HTTP/1.1 by hand, for what a library client hides: bytes
 * sent slowly, a body the server stops reading, whether the server closed the
 * connection, and whether a write failed (EPIPE, ECONNRESET).
 */
export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** The first error the socket reported, if any. */
  error: NodeJS.ErrnoException | undefined;
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (data) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake();
    });
    socket.on('error', (error) => {
      this.error ??= error;
    });
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Writes and waits until the bytes are handed to the kernel; rejects if the socket failed. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Writes `data` in pieces of `size` bytes, each once the last is flushed. */
  async writeAll(data: Buffer, size = 64 * 1024): Promise<void> {
    for (let at = 0; at < data.length; at += size) await this.write(data.subarray(at, at + size));
  }

  /** The next whole response (bodies with a Content-Length), or an error if the connection closes first. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.closed) throw new Error(`connection closed before a whole response: ${JSON.stringify(this.buffer.toString())}`);
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private take(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  /** True once the server has closed the connection, false if it is still open after `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    await Promise.race([this.whenClosed, new Promise((resolve) => setTimeout(resolve, ms))]);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
