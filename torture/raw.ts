/**
 * HTTP/1.1 over a raw TCP socket (node:net), for what an HTTP library refuses to send: malformed
 * request lines, conflicting framing headers, lying Content-Lengths, bodies cut short. A RawClient
 * sends one request's bytes and reads one answer (RFC 9112: status line, header fields, a body
 * framed by Transfer-Encoding: chunked, Content-Length, or the close; none after HEAD, 1xx, 204,
 * 304), skipping interim 1xx answers. It reuses its connection only after a request it knows was
 * well framed and an answer that did not close it. Every exchange is bounded by a timeout.
 */
import { connect, type Socket } from 'node:net';

export type RawOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly keepAlive: boolean }
  /** The registry closed (or reset) the connection before a status line. */
  | { readonly kind: 'closed' }
  | { readonly kind: 'timeout' };

export interface RawRequest {
  readonly bytes: Buffer;
  /** The answer to HEAD has no body whatever its headers say. */
  readonly head?: boolean;
  /** Half-close after sending (the request's end is not framed, or its body is cut short: only EOF tells the server). */
  readonly halfClose?: boolean;
  /** The request is well framed, so the connection may carry the next one after the answer. */
  readonly reusable?: boolean;
}

interface Head {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly length: number;
}

/** Parses a complete answer head at the start of `data`, or undefined when it has not all arrived. */
function parseHead(data: Buffer): Head | 'malformed' | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return data.length > 1024 * 1024 ? 'malformed' : undefined;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) return 'malformed';
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers, length: end + 4 };
}

/** The length of a complete chunked body at the start of `data`, or undefined when incomplete. */
function chunkedLength(data: Buffer): number | undefined {
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) return undefined;
    offset = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = data.indexOf('\r\n', offset);
      if (trailerEnd < 0) return undefined;
      if (trailerEnd === offset) return offset + 2;
      const end = data.indexOf('\r\n\r\n', offset);
      return end < 0 ? undefined : end + 4;
    }
    offset += size + 2;
    if (offset > data.length) return undefined;
  }
}

/** Is the answer whole? Its total length, 'close' when only the close will end it, or undefined. */
function answerLength(head: Head, data: Buffer, isHead: boolean): number | 'close' | undefined {
  if (isHead || head.status === 204 || head.status === 304) return head.length;
  if (/chunked/i.test(head.headers.get('transfer-encoding') ?? '')) {
    const body = chunkedLength(data.subarray(head.length));
    return body === undefined ? undefined : head.length + body;
  }
  const length = head.headers.get('content-length');
  if (length !== undefined) return data.length >= head.length + Number(length) ? head.length + Number(length) : undefined;
  return 'close';
}

export class RawClient {
  readonly #port: number;
  readonly #host: string;
  #socket: Socket | undefined;

  constructor(port: number, host = '127.0.0.1') {
    this.#port = port;
    this.#host = host;
  }

  /** Sends one request and reads its answer. Never throws. */
  send(request: RawRequest, timeoutMs = 5_000): Promise<RawOutcome> {
    const socket = this.#socket ?? connect({ port: this.#port, host: this.#host, allowHalfOpen: true });
    this.#socket = undefined;
    socket.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close').removeAllListeners('error');
    return new Promise<RawOutcome>((resolve) => {
      let data = Buffer.alloc(0);
      let ended = false;
      let head: Head | undefined;
      const finish = (outcome: RawOutcome): void => {
        clearTimeout(timer);
        socket.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close');
        socket.on('error', () => undefined);
        if (outcome.kind === 'answer' && outcome.keepAlive && request.reusable && !request.halfClose && !ended) this.#socket = socket;
        else socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => finish(head ? { kind: 'answer', status: head.status, keepAlive: false } : { kind: 'timeout' }), timeoutMs);
      const examine = (): void => {
        for (;;) {
          if (!head) {
            const parsed = parseHead(data);
            if (parsed === undefined) return;
            if (parsed === 'malformed') return finish({ kind: 'answer', status: 0, keepAlive: false });
            if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) {
              data = data.subarray(parsed.length);
              continue;
            }
            head = parsed;
          }
          const length = answerLength(head, data, request.head === true);
          if (length === undefined || (length === 'close' && !ended)) return;
          const keepAlive = length !== 'close' && !/close/i.test(head.headers.get('connection') ?? '') && data.length === length;
          return finish({ kind: 'answer', status: head.status, keepAlive });
        }
      };
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        examine();
      });
      const closed = (): void => {
        ended = true;
        examine();
        finish(head ? { kind: 'answer', status: head.status, keepAlive: false } : { kind: 'closed' });
      };
      socket.on('end', closed);
      socket.on('close', closed);
      socket.on('error', () => undefined);
      socket.write(request.bytes, () => {
        if (request.halfClose) socket.end();
      });
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}
