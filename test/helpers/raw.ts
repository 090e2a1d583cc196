/**
 * Raw HTTP over a TCP socket, for requests no HTTP client will send (request targets that are not
 * paths, bodies that stop half-way) and for connections a test holds open. Responses are parsed
 * just enough for assertions: status, headers, body up to Content-Length.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

function hostPort(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

/** Opens a connection to the registry at `url`. */
export async function openSocket(url: string): Promise<Socket> {
  const socket = connect(hostPort(url));
  await once(socket, 'connect');
  return socket;
}

/** Reads one response from `socket` (bounded by `timeoutMs`); undefined when the server closed without one. */
export function readReply(socket: Socket, timeoutMs = 10_000): Promise<RawReply | undefined> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no complete response within ${timeoutMs} ms: ${data.toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    const parse = (): RawReply | undefined => {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return undefined;
      return { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) };
    };
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const reply = parse();
      if (reply) {
        cleanup();
        resolve(reply);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parse());
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

/** Sends `head` (and `body`) on a fresh connection and reads the answer; the connection is closed after. */
export async function rawRequest(url: string, head: string, body: Buffer | string = ''): Promise<RawReply | undefined> {
  const socket = await openSocket(url);
  try {
    socket.write(head);
    if (body.length > 0) socket.write(body);
    return await readReply(socket);
  } finally {
    socket.destroy();
  }
}

/** Resolves when the server closes `socket`, with the milliseconds it took; rejects after `timeoutMs`. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      resolve(0);
      return;
    }
    const timer = setTimeout(() => reject(new Error(`the server kept the connection open for ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
    socket.resume();
  });
}
