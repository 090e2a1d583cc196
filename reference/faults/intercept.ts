/**
 * Catching the registry's answer before it reaches the client, so the fault layer can rewrite it.
 * A small answer (JSON, an empty 201/202/204, every error) is held whole until an async rewrite has
 * seen it; a blob body (status 200 or 206 on a blob route) streams through a per-chunk transform
 * after a synchronous rewrite of its head, so no blob is ever buffered.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface Answer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface Interception {
  /** Rewrites a held answer (header names in lower case); set content-length when you change the body. */
  readonly answer?: (answer: Answer) => Answer | Promise<Answer>;
  /** Whether an answer with this status streams (blob bodies) instead of being held. */
  readonly streams?: (status: number) => boolean;
  /** For a streamed answer: its head, rewritten synchronously. */
  readonly head?: (status: number, headers: OutgoingHttpHeaders) => { status: number; headers: OutgoingHttpHeaders };
  /** For a streamed answer: each body chunk, rewritten. */
  readonly chunk?: (chunk: Buffer) => Buffer;
}

type WriteArgs = [chunk?: unknown, encoding?: unknown, callback?: unknown];

function toBuffer(chunk: unknown): Buffer | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
}

export function intercept(res: ServerResponse, how: Interception): void {
  const realWriteHead = res.writeHead.bind(res);
  const realWrite = res.write.bind(res) as (...args: WriteArgs) => boolean;
  const realEnd = res.end.bind(res) as (...args: WriteArgs) => ServerResponse;
  let held: Answer | undefined;
  const chunks: Buffer[] = [];

  res.writeHead = ((status: number, headers: OutgoingHttpHeaders = {}) => {
    const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    if (how.streams?.(status)) {
      const out = how.head ? how.head(status, lowered) : { status, headers: lowered };
      return realWriteHead(out.status, out.headers);
    }
    held = { status, headers: lowered, body: Buffer.alloc(0) };
    return res;
  }) as ServerResponse['writeHead'];

  res.write = ((...args: WriteArgs) => {
    const buffer = toBuffer(args[0]);
    if (held) {
      if (buffer) chunks.push(buffer);
      if (typeof args.at(-1) === 'function') (args.at(-1) as () => void)();
      return true;
    }
    return realWrite(buffer && how.chunk ? how.chunk(buffer) : args[0], ...args.slice(1));
  }) as ServerResponse['write'];

  res.end = ((...args: WriteArgs) => {
    const buffer = toBuffer(args[0]);
    if (!held) {
      if (buffer) realWrite(how.chunk ? how.chunk(buffer) : buffer);
      return realEnd();
    }
    if (buffer) chunks.push(buffer);
    const answer = { ...held, body: Buffer.concat(chunks) };
    Promise.resolve(how.answer ? how.answer(answer) : answer).then(
      (out) => {
        realWriteHead(out.status, out.headers);
        realEnd(res.req.method === 'HEAD' || out.body.length === 0 ? undefined : out.body);
      },
      (error: unknown) => res.destroy(error as Error),
    );
    return res;
  }) as ServerResponse['end'];
}

/** A JSON body for a held answer, with its Content-Length. */
export function withJson(answer: Answer, value: unknown): Answer {
  const body = Buffer.from(JSON.stringify(value));
  return { ...answer, headers: { ...answer.headers, 'content-length': body.length }, body };
}
