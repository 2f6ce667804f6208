import type { ServerResponse } from 'node:http';

/** The keep-alive comment period: the contract promises one at least every 15 s. */
const KEEP_ALIVE_MS = 15_000;

/**
 * One Server-Sent Events response: numbered events, each `data` one line of JSON, and a
 * keep-alive comment so proxies and browsers keep the connection open.
 */
export class SseStream {
  private nextId = 1;
  private readonly keepAlive: NodeJS.Timeout;
  closed = false;

  constructor(
    private readonly response: ServerResponse,
    headers: Record<string, string | number | string[] | undefined>,
    onClose: () => void,
  ) {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    response.write(': stream open\n\n');
    this.keepAlive = setInterval(() => this.comment('keep-alive'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    response.once('close', () => {
      this.closed = true;
      clearInterval(this.keepAlive);
      onClose();
    });
  }

  send(event: 'status' | 'missing' | 'problem', data: unknown): void {
    if (this.closed) return;
    this.response.write(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (!this.closed) this.response.write(`: ${text}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.response.end();
  }
}
