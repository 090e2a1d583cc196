/**
 * The live log's eyes: a layer around the registry's request listener, applied outermost (outside
 * the fault layer) through startRegistry's `wrap`, so it records each exchange as the client lived
 * it — the request line and headers as received, the status and headers as the registry set them
 * (Node adds Date and Connection itself), and each body's size with at most BODY_KEEP_BYTES of it.
 * Bodies are tapped while they stream: nothing is held beyond that bound, so a blob of any size
 * costs the same few kilobytes ("stream every blob, never buffer one").
 *
 * The registry's own request log line (reference/http/context.ts RequestLog: bytes on the wire,
 * time) joins the record: the registry writes it from its 'close' listener on the response, which
 * runs right after this layer's own (registered first), in the same event.
 */
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { RequestLog } from '../reference/http/context.ts';

export const BODY_KEEP_BYTES = 16 * 1024;

export interface CapturedBody {
  /** Every byte that went by. */
  readonly size: number;
  /** The first BODY_KEEP_BYTES of them. */
  readonly kept: Buffer;
}

export interface CapturedExchange {
  readonly id: number;
  readonly startedAt: string;
  readonly method: string;
  /** The request target as received (path and query). */
  readonly target: string;
  /** Name and value pairs, in the order and case the client sent them. */
  readonly requestHeaders: readonly (readonly [string, string])[];
  readonly requestBody: CapturedBody;
  readonly status: number;
  readonly responseHeaders: readonly (readonly [string, string])[];
  readonly responseBody: CapturedBody;
  readonly ms: number;
  /** False when the connection closed before the response was complete. */
  readonly complete: boolean;
  /** The registry's own log line; absent when a layer answered before the registry saw the request. */
  registry?: RequestLog;
}

/** Collects one body's size and its first bytes. */
class BodyTap {
  size = 0;
  readonly #parts: Buffer[] = [];
  #kept = 0;

  add(chunk: unknown, encoding?: unknown): void {
    let bytes: Buffer;
    if (typeof chunk === 'string') bytes = Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else return;
    this.size += bytes.length;
    if (this.#kept >= BODY_KEEP_BYTES) return;
    const part = Buffer.from(bytes.subarray(0, BODY_KEEP_BYTES - this.#kept));
    this.#parts.push(part);
    this.#kept += part.length;
  }

  body(): CapturedBody {
    return { size: this.size, kept: Buffer.concat(this.#parts) };
  }
}

function pairs(headers: OutgoingHttpHeaders | readonly OutgoingHttpHeader[] | undefined): [string, string][] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) out.push([String(headers[i]), String(headers[i + 1])]);
    return out;
  }
  return Object.entries(headers as OutgoingHttpHeaders).flatMap(([name, value]) =>
    value === undefined ? [] : Array.isArray(value) ? value.map((v) => [name, String(v)] as [string, string]) : [[name, String(value)] as [string, string]],
  );
}

/** The headers a writeHead call sends: those set before with setHeader, then its own. */
function headOf(res: ServerResponse, args: unknown[]): [string, string][] {
  const explicit = pairs((typeof args[1] === 'string' ? args[2] : args[1]) as OutgoingHttpHeaders | undefined);
  const named = new Set(explicit.map(([name]) => name.toLowerCase()));
  const earlier = pairs(res.getHeaders()).filter(([name]) => !named.has(name.toLowerCase()));
  return [...earlier, ...explicit];
}

export class ExchangeTap {
  readonly #publish: (exchange: CapturedExchange) => void;
  #nextId = 1;
  /** The exchange whose response is closing right now: the registry's log line belongs to it. */
  #closing: CapturedExchange | undefined;

  constructor(publish: (exchange: CapturedExchange) => void) {
    this.#publish = publish;
  }

  /** For startRegistry's `log`: joins the registry's line to the exchange closing now. */
  readonly log = (entry: RequestLog): void => {
    const exchange = this.#closing;
    this.#closing = undefined;
    if (exchange && exchange.method === entry.method) exchange.registry = entry;
  };

  /** For startRegistry's `wrap`. */
  readonly wrap = (listener: RequestListener): RequestListener => (req, res) => {
    this.#observe(req, res);
    listener(req, res);
  };

  #observe(req: IncomingMessage, res: ServerResponse): void {
    const id = this.#nextId++;
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const method = req.method ?? '';
    const target = req.url ?? '';
    const requestHeaders: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) requestHeaders.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);

    // The HTTP parser hands every body chunk to push(): tap it there, without changing how (or
    // whether) the registry reads the stream.
    const requestBody = new BodyTap();
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (chunk !== null && chunk !== undefined) requestBody.add(chunk, encoding);
      return push(chunk, encoding);
    };

    const responseBody = new BodyTap();
    let responseHeaders: [string, string][] = [];
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      const result = writeHead(...args);
      responseHeaders = headOf(res, args);
      return result;
    }) as ServerResponse['writeHead'];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      responseBody.add(args[0], args[1]);
      return write(...args);
    }) as ServerResponse['write'];
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      if (typeof args[0] !== 'function') responseBody.add(args[0], args[1]);
      return end(...args);
    }) as ServerResponse['end'];

    res.once('close', () => {
      const exchange: CapturedExchange = {
        id,
        startedAt,
        method,
        target,
        requestHeaders,
        requestBody: requestBody.body(),
        status: res.statusCode,
        responseHeaders,
        responseBody: responseBody.body(),
        ms: Math.round((performance.now() - started) * 100) / 100,
        complete: res.writableFinished,
      };
      this.#closing = exchange;
      setImmediate(() => {
        if (this.#closing === exchange) this.#closing = undefined;
        this.#publish(exchange);
      });
    });
  }
}
