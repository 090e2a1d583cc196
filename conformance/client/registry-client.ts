/**
 * The suite's HTTP client (undici): every request is recorded as an Exchange; response bodies
 * are always consumed; keep-alive is short. Handles the registry auth flows clients use: HTTP
 * Basic, and Bearer tokens from the realm named in WWW-Authenticate (distribution token spec),
 * with the OCI_USERNAME / OCI_PASSWORD credentials. Redirects of GET and HEAD are followed, as
 * clients follow a registry's redirect of a download to its storage. Network failures become
 * HarnessErrors. A caller that reads large bodies (the benchmark's blob pulls) gives a `sink`: the
 * body of a 2xx answer then streams to it instead of being buffered.
 */
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { HarnessError } from './errors.ts';
import { BODY_KEEP_BYTES, bodyRecord, ExchangeLog, type BodyRecord, type Exchange } from './exchange.ts';

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
   * Receives the body of a 2xx answer chunk by chunk, as it arrives, instead of buffering it: the
   * reply's `body` is then empty and the exchange records the size only. Other answers (errors,
   * 401 challenges) are buffered as usual.
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

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #send(method: string, url: string, options: RequestOptions): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.#authorization !== undefined && headers.Authorization === undefined) headers.Authorization = this.#authorization;
    const bytes = typeof options.body === 'string' ? Buffer.from(options.body) : options.body instanceof Uint8Array ? options.body : undefined;
    const streamed = bytes === undefined && options.body !== undefined ? new StreamedBody(options.body as AsyncIterable<Uint8Array>) : undefined;
    const started = performance.now();
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    let sunk: number | undefined;
    try {
      response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: (bytes ?? streamed?.chunks()) as Dispatcher.DispatchOptions['body'],
        dispatcher: method === 'GET' || method === 'HEAD' ? this.#following : this.#agent,
      });
      if (options.sink !== undefined && response.statusCode >= 200 && response.statusCode < 300) {
        sunk = 0;
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          sunk += chunk.length;
          options.sink(chunk);
        }
        body = Buffer.alloc(0);
      } else {
        body = Buffer.from(await response.body.arrayBuffer());
      }
    } catch (error) {
      throw new HarnessError(`${method} ${url}: ${(error as Error).message} (${(error as NodeJS.ErrnoException).code ?? 'network error'})`);
    }
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const exchange: Exchange = {
      method,
      url,
      requestHeaders: headers,
      requestBody: streamed ? streamed.record() : bodyRecord(bytes),
      status: response.statusCode,
      responseHeaders,
      responseBody: sunk !== undefined ? { size: sunk, base64: undefined } : bodyRecord(body) ?? { size: 0, base64: undefined },
      ms: Math.round(performance.now() - started),
    };
    this.log.add(exchange);
    this.#onExchange?.(exchange);
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
