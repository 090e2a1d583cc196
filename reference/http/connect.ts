/**
 * CONNECT, the one request Node's HTTP server keeps from the request listener: without a
 * 'connect' listener Node drops the connection without a word. No registry endpoint has an
 * authority-form target (RFC 9112 §3.2.3; the spec's endpoints are all paths under /v2/), so the
 * registry answers 405 in the spec's error envelope (§Error Codes: UNSUPPORTED) and closes the
 * connection, as it answers any method an endpoint does not define. (Requests asking for a
 * protocol upgrade reach the handler like any other: Node ignores the upgrade when nobody
 * listens for it, as RFC 9110 §7.8 lets a server do.)
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_TABLE } from './errors.ts';

export function answerConnect(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const { code, status } = ERROR_TABLE.METHOD_NOT_ALLOWED;
    const body = JSON.stringify({ errors: [{ code, message: 'CONNECT is not a registry method', detail: {} }] });
    socket.once('error', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
