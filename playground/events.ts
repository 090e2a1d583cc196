/**
 * Server-Sent Events (HTML Living Standard §9.2) to every open page: new request log entries,
 * "the store changed", fault switches. A comment line every HEARTBEAT_MS keeps the stream alive
 * under the registry's idle-connection timeout (60 s by default) and through proxies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor() {
    this.#heartbeat = setInterval(() => {
      for (const res of this.#clients) res.write(': ping\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Opens the stream; `hello` events are sent first, to this client only. */
  attach(req: IncomingMessage, res: ServerResponse, hello: readonly { event: string; data: unknown }[]): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    for (const { event, data } of hello) res.write(frame(event, data));
    this.#clients.add(res);
    req.socket.setNoDelay(true);
    res.once('close', () => this.#clients.delete(res));
  }

  send(event: string, data: unknown): void {
    const text = frame(event, data);
    for (const res of this.#clients) res.write(text);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
