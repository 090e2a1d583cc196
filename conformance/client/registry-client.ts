/**
 * The suite's HTTP client (undici): every request is recorded as an Exchange; response bodies
 * are always consumed; keep-alive is short. Handles the registry auth flows clients use: HTTP
 * Basic, and Bearer tokens from the realm named in WWW-Authenticate (distribution token spec),
 * with the OCI_USERNAME / OCI_PASSWORD credentials. Redirects of GET and HEAD are followed, as
 * clients follow a registry's redirect of a download to its storage. A failure before any answer
 * (refused, name resolution, TLS, timeout) is a HarnessError; an answer that breaks off after its
 * status line, or is not HTTP at all, is the registry's: a BrokenResponse, with the exchange and
 * the bytes received. A caller that reads large bodies (blob pulls of the benchmark and of
 * read-only checks) gives a `sink`: the body of a 2xx answer streams to it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { BrokenResponse, HarnessError } from './errors.ts';
import { BODY_KEEP_BYTES, bodyRecord, ExchangeLog, requestPath, type BodyRecord, type Exchange } from './exchange.ts';

/** Redirects followed per request (blob downloads from object storage take one). */
const MAX_REDIRECTIONS = 5;

export interface ClientOptions {
  readonly baseUrl: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Per-request timeout for headers and for body inactivity. */
  readonly timeoutMs?: number;
  readonly log?: ExchangeLog;
  /** Told of every exchange once it is recorded (the run uses it to know what to clean up). */
  readonly onExchange?: (exchange: Exchange) => void;
}

export interface RequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** A Buffer is recorded and can be replayed; an async iterable is streamed (chunked). */
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array>;
  /**
   * Receives a 2xx response body chunk by chunk instead of keeping it (blobs of any size, hashed
   * as they stream); the reply's body is then empty and the exchange records the size.
   */
  readonly sink?: (chunk: Uint8Array) => void;
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly exchange: Exchange;
  header(name: string): string | undefined;
  json<T = unknown>(): T | undefined;
}

export class RegistryClient {
  readonly baseUrl: string;
  readonly log: ExchangeLog;
  readonly #agent: Agent;
  readonly #following: Dispatcher;
  readonly #username: string | undefined;
  readonly #password: string | undefined;
  readonly #tokens = new Map<string, string>();
  readonly #onExchange: ((exchange: Exchange) => void) | undefined;
  /** The collector of the `recording` call the current request was made under, if any. */
  readonly #recording = new AsyncLocalStorage<Exchange[]>();
  #authorization: string | undefined;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.log = options.log ?? new ExchangeLog();
    this.#onExchange = options.onExchange;
    this.#username = options.username;
    this.#password = options.password;
    const timeout = options.timeoutMs ?? 30_000;
    this.#agent = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000, headersTimeout: timeout, bodyTimeout: timeout, connections: 32 });
    // Registries redirect downloads to their storage (a 307 to a signed URL) and clients follow;
    // a redirect of a write is the registry's answer, judged as it is.
    this.#following = this.#agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
  }

  /** Resolves a Location header (absolute or relative) against the registry. */
  resolve(location: string): string {
    return new URL(location, `${this.baseUrl}/`).toString();
  }

  async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<Reply> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    const replayable = options.body === undefined || typeof options.body === 'string' || options.body instanceof Uint8Array;
    let reply = await this.#send(method, url, options);
    if (reply.status === 401 && replayable && (await this.#authenticate(reply))) reply = await this.#send(method, url, options);
    return reply;
  }

  /**
   * Runs `work`, collecting into `into` every exchange of the requests it makes, and only those:
   * requests other work has in flight at the same time (say, a concurrent step of an execution
   * that already failed) are recorded in the log but not here, whenever their answers come.
   */
  recording<T>(into: Exchange[], work: () => Promise<T>): Promise<T> {
    return this.#recording.run(into, work);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #send(method: string, url: string, options: RequestOptions): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.#authorization !== undefined && headers.Authorization === undefined) headers.Authorization = this.#authorization;
    const bytes = typeof options.body === 'string' ? Buffer.from(options.body) : options.body instanceof Uint8Array ? options.body : undefined;
    const streamed = bytes === undefined && options.body !== undefined ? new StreamedBody(options.body as AsyncIterable<Uint8Array>) : undefined;
    const started = performance.now();
    const record = (status: number, responseHeaders: Record<string, string>, responseBody: BodyRecord, incomplete: string | undefined): Exchange => {
      const exchange: Exchange = {
        method,
        url,
        requestHeaders: headers,
        requestBody: streamed ? streamed.record() : bodyRecord(bytes),
        status,
        responseHeaders,
        responseBody,
        ms: Math.round(performance.now() - started),
        ...(incomplete === undefined ? {} : { incomplete }),
      };
      this.log.add(exchange);
      this.#recording.getStore()?.push(exchange);
      this.#onExchange?.(exchange);
      return exchange;
    };
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: (bytes ?? streamed?.chunks()) as Dispatcher.DispatchOptions['body'],
        dispatcher: method === 'GET' || method === 'HEAD' ? this.#following : this.#agent,
      });
    } catch (error) {
      // Bytes that are not an HTTP response: the registry answered, wrongly (RFC 9112 §2-§5).
      if ((error as Error).name === 'HTTPParserError') {
        const why = `not an HTTP response: ${(error as Error).message}`;
        throw new BrokenResponse(`${method} ${requestPath(url)}: ${why}`, record(0, {}, { size: 0, base64: undefined }, why));
      }
      // Nothing answered: refused, unresolvable, TLS, a timeout, a connection closed unanswered.
      throw new HarnessError(`${method} ${url}: ${(error as Error).message} (${(error as NodeJS.ErrnoException).code ?? 'network error'})`);
    }
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    // The status line and headers came: from here on, an answer that breaks off is the registry's.
    // A 2xx body with a sink streams there (a blob of any size, hashed on the way), its first bytes kept.
    const sink = options.sink !== undefined && response.statusCode >= 200 && response.statusCode < 300 ? options.sink : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let broken: unknown;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (sink) sink(chunk as Buffer);
        if (!sink || size <= BODY_KEEP_BYTES) chunks.push(chunk as Buffer);
      }
    } catch (error) {
      broken = error;
    }
    const kept = Buffer.concat(chunks);
    const body = sink ? Buffer.alloc(0) : kept;
    const responseBody: BodyRecord = sink ? { size, base64: size <= BODY_KEEP_BYTES ? kept.toString('base64') : undefined } : (bodyRecord(body) ?? { size: 0, base64: undefined });
    const incomplete = broken === undefined ? undefined : brokenOff(broken, size, responseHeaders);
    const exchange = record(response.statusCode, responseHeaders, responseBody, incomplete);
    if (incomplete !== undefined) throw new BrokenResponse(`${method} ${requestPath(url)} → ${response.statusCode}: ${incomplete}`, exchange);
    return {
      status: response.statusCode,
      headers: responseHeaders,
      body,
      exchange,
      header: (name) => responseHeaders[name.toLowerCase()],
      json: <T>() => {
        try {
          return JSON.parse(body.toString('utf8')) as T;
        } catch {
          return undefined;
        }
      },
    };
  }

  /** The Basic credential of the configured user (RFC 7617). */
  #basic(): string {
    return `Basic ${Buffer.from(`${this.#username ?? ''}:${this.#password ?? ''}`).toString('base64')}`;
  }

  /** Answers a 401 challenge; false when there is nothing more to try. */
  async #authenticate(reply: Reply): Promise<boolean> {
    const challenge = reply.header('www-authenticate') ?? '';
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    if (scheme === 'basic' && this.#username !== undefined) {
      const basic = this.#basic();
      if (this.#authorization === basic) return false;
      this.#authorization = basic;
      return true;
    }
    if (scheme !== 'bearer') return false;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (params.realm === undefined) return false;
    const key = `${params.service ?? ''} ${params.scope ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined && this.#authorization !== `Bearer ${cached}`) {
      this.#authorization = `Bearer ${cached}`;
      return true;
    }
    const tokenUrl = new URL(params.realm);
    if (params.service !== undefined) tokenUrl.searchParams.set('service', params.service);
    if (params.scope !== undefined) tokenUrl.searchParams.set('scope', params.scope);
    const headers: Record<string, string> = {};
    if (this.#username !== undefined) headers.Authorization = this.#basic();
    const tokenReply = await this.#send('GET', tokenUrl.toString(), { headers });
    const token = tokenReply.json<{ token?: string; access_token?: string }>();
    const value = token?.token ?? token?.access_token;
    if (tokenReply.status !== 200 || value === undefined) return false;
    this.#tokens.set(key, value);
    this.#authorization = `Bearer ${value}`;
    return true;
  }
}

/** How an answer broke off after its headers, with the bytes received (RFC 9112 §6.3). */
function brokenOff(error: unknown, received: number, headers: Readonly<Record<string, string>>): string {
  const declared = headers['content-length'];
  const framing = declared !== undefined
    ? `${received} of the ${declared} bytes its Content-Length announced`
    : headers['transfer-encoding']?.includes('chunked') ? `${received} bytes, before the last chunk` : `${received} bytes`;
  const code = (error as NodeJS.ErrnoException).code;
  const cause = `${(error as Error).message ?? String(error)}${code === undefined ? '' : ` (${code})`}`;
  const stalled = code === 'UND_ERR_BODY_TIMEOUT' ? 'stalled' : 'broke off';
  return `the answer ${stalled} after ${framing}: ${cause}; an incomplete message (RFC 9112 §6.3)`;
}

/** A streamed request body, counted (and kept while small) as it goes out, for the exchange record. */
class StreamedBody {
  readonly #source: AsyncIterable<Uint8Array>;
  readonly #kept: Buffer[] = [];
  #size = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source;
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.#source) {
      this.#size += chunk.length;
      if (this.#size <= BODY_KEEP_BYTES) this.#kept.push(Buffer.from(chunk));
      yield chunk;
    }
  }

  record(): BodyRecord {
    return { size: this.#size, base64: this.#size <= BODY_KEEP_BYTES ? Buffer.concat(this.#kept).toString('base64') : undefined };
  }
}
