/**
 * A tampering HTTP proxy for tests: listens on 127.0.0.1 port 0, forwards every request to a
 * target (usually the reference registry) and lets a hook answer instead, change the request, or
 * change the response. Turns the reference registry into a misbehaving one — accepting an
 * out-of-order chunk, dropping a header, serving a blob from any repository — so a test can prove
 * a conformance check really fails. Bodies are buffered (test-sized content only). Absolute
 * Location headers that point at the target are rewritten to point at the proxy.
 */
import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface TamperRequest {
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly path: string;
  /** The same, parsed (origin of the proxy): `url.pathname`, `url.searchParams`. */
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface TamperResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /**
   * Broken framing on purpose: declare this Content-Length whatever the body, then close the
   * connection after the body (CNCF Distribution 2.8.2 answers a 416 like that).
   */
  readonly declaredLength?: number;
}

/** A hook's answer that is none: the proxy closes the client's connection without a response (a registry gone down). */
export const HANG_UP: TamperResponse = { status: 0, headers: {}, body: Buffer.alloc(0) };

/** Sends the request (or a changed one) to the target and returns its answer, body buffered. */
export type Forward = (changes?: Partial<Pick<TamperRequest, 'method' | 'path' | 'headers' | 'body'>>) => Promise<TamperResponse>;

/**
 * Decides what the client gets: a response is sent as is (build it with `reply`, or from
 * `await forward()` with changes); undefined relays the target's answer (forwarding the request
 * unchanged, unless the hook already forwarded it: then that answer, never a second request).
 */
export type TamperHook = (request: TamperRequest, forward: Forward) => TamperResponse | undefined | Promise<TamperResponse | undefined>;

export interface TamperProxy {
  readonly url: string;
  /** Every request the proxy received, in order. */
  readonly requests: TamperRequest[];
  /** The hook in force; replace it at any time. */
  hook: TamperHook | undefined;
  close(): Promise<void>;
}

/** A response built by a hook; a JSON body object is serialized with Content-Type application/json. */
export function reply(status: number, headers: Record<string, string> = {}, body: Buffer | string | object = Buffer.alloc(0)): TamperResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (Buffer.isBuffer(body) || typeof body === 'string') return { status, headers: lower, body: Buffer.from(body) };
  return { status, headers: { 'content-type': 'application/json', ...lower }, body: Buffer.from(JSON.stringify(body)) };
}

/** The spec's error envelope with one code. */
export function errorReply(status: number, code: string, headers: Record<string, string> = {}): TamperResponse {
  return reply(status, headers, { errors: [{ code, message: `tamper-proxy: ${code}`, detail: null }] });
}

/** A copy of `response` with headers set (a string) or removed (undefined). */
export function withHeaders(response: TamperResponse, changes: Record<string, string | undefined>): TamperResponse {
  const headers: Record<string, string> = { ...response.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }
  return { ...response, headers };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startTamperProxy(t: Test, target: string, hook?: TamperHook): Promise<TamperProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: false });
  let proxyUrl = '';

  const forwardTo = async (original: TamperRequest, changes: Parameters<Forward>[0] = {}): Promise<TamperResponse> => {
    const method = changes.method ?? original.method;
    const path = changes.path ?? original.path;
    const body = changes.body ?? original.body;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(changes.headers ?? original.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length' && name !== 'host') headers[name] = value;
    }
    headers.host = upstream.host;
    if (body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(method)) headers['content-length'] = String(body.length);
    return new Promise<TamperResponse>((resolve, reject) => {
      const outgoing = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers, agent }, (response) => {
        readAll(response).then((data) => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          if (out.location?.startsWith(upstream.origin)) out.location = proxyUrl + out.location.slice(upstream.origin.length);
          resolve({ status: response.statusCode ?? 502, headers: out, body: data });
        }, reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const request: TamperRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        // A target that does not parse as a reference (`//host:99999/…`) is read as a path.
        url: URL.canParse(req.url ?? '/', proxyUrl) ? new URL(req.url ?? '/', proxyUrl) : new URL(`/.${req.url ?? ''}`, proxyUrl),
        headers: req.headers,
        body,
      };
      proxy.requests.push(request);
      let forwarded: Promise<TamperResponse> | undefined;
      const forward: Forward = (changes) => (forwarded = forwardTo(request, changes));
      // A hook that forwarded and then returned undefined gets that answer relayed, not a second forward.
      const response = (await proxy.hook?.(request, forward)) ?? (await (forwarded ?? forward()));
      if (response === HANG_UP) {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
      const bodiless = request.method === 'HEAD' || response.status === 204 || response.status === 304;
      if (!bodiless) headers['content-length'] = String(response.declaredLength ?? response.body.length);
      res.writeHead(response.status, headers);
      if (response.declaredLength !== undefined && response.declaredLength !== response.body.length) {
        res.write(response.body, () => res.socket?.destroy());
        return;
      }
      res.end(bodiless ? undefined : response.body);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`tamper-proxy: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxyUrl = `http://127.0.0.1:${port}`;

  const proxy: TamperProxy = {
    url: proxyUrl,
    requests: [],
    hook,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  t.teardown(() => proxy.close());
  return proxy;
}
