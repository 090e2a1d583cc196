/**
 * The suite's HTTP client (undici): every request is recorded as an Exchange, secrets redacted
 * (exchange.ts); response bodies are always consumed; keep-alive is short. Authenticates as
 * clients do (auth.ts): Basic, and Bearer tokens per scope from the challenge's realm; a caller
 * may instead send a request without credentials or with an Authorization of its own (the auth
 * checks). TLS as the run asks (tls.ts). Redirects of GET and HEAD are followed, as
 * clients follow a registry's redirect of a download to its storage. A failure before any answer
 * (refused, name resolution, TLS, timeout) is a HarnessError; an answer that breaks off after its
 * status line, or is not HTTP at all, is the registry's: a BrokenResponse, with the exchange and
 * the bytes received. A caller that reads large bodies (blob pulls of the benchmark and of
 * read-only checks) gives a `sink`: the body of a 2xx answer streams to it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { BrokenResponse, HarnessError } from './errors.ts';
import type { ClientTls } from './tls.ts';
import { Authenticator, DEFAULT_CREDENTIAL_NAMES, type Authorization } from './auth.ts';
import { BODY_KEEP_BYTES, bodyRecord, ExchangeLog, redactedBody, redactedHeaders, requestPath, type BodyRecord, type CredentialNames, type Exchange, type ExchangeAuth } from './exchange.ts';

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
  /** The CA to trust, or no verification (tls.ts); default: the system's CAs. */
  readonly tls?: ClientTls;
  /** The variables a reproduction reads the credentials from (default OCI_USERNAME, OCI_PASSWORD). */
  readonly credentialNames?: CredentialNames;
  /** The clock tokens expire by (tests). */
  readonly now?: () => number;
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
  /**
   * 'none': no Authorization and no answer to a challenge (an anonymous caller); an
   * `authorization` value: sent as it is, without answering a challenge. By default the client
   * authenticates as its identity. An Authorization header in `headers` counts as given.
   */
  readonly auth?: 'none' | { readonly authorization: string };
  /**
   * false: a redirect of a GET or HEAD is the answer, not followed (a target that is no path, such
   * as `//host:port/…`, can be sent but not resolved against a redirect).
   */
  readonly followRedirects?: boolean;
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
  readonly tls: ClientTls;
  readonly #agent: Agent;
  readonly #following: Dispatcher;
  /** The identity's authentication state: Basic origins, tokens by scope. */
  readonly auth: Authenticator;
  readonly #onExchange: ((exchange: Exchange) => void) | undefined;
  /** The collector of the `recording` call the current request was made under, if any. */
  readonly #recording = new AsyncLocalStorage<Exchange[]>();

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.log = options.log ?? new ExchangeLog();
    this.#onExchange = options.onExchange;
    const identity = options.username === undefined ? undefined : { username: options.username, password: options.password ?? '', names: options.credentialNames ?? DEFAULT_CREDENTIAL_NAMES };
    this.auth = new Authenticator(identity, (method, url, request, auth) => this.#send(method, url, request, auth), options.now);
    const timeout = options.timeoutMs ?? 30_000;
    this.tls = options.tls ?? {};
    const connect = { ...(this.tls.ca === undefined ? {} : { ca: this.tls.ca }), rejectUnauthorized: this.tls.insecure !== true };
    this.#agent = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000, headersTimeout: timeout, bodyTimeout: timeout, connections: 32, connect });
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
    const headers = { ...options.headers };
    const given = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    if (options.auth !== undefined || given) {
      if (options.auth !== undefined && options.auth !== 'none') headers.Authorization = options.auth.authorization;
      return this.#send(method, url, { ...options, headers }, options.auth === 'none' && !given ? undefined : { kind: 'given' });
    }
    const replayable = options.body === undefined || typeof options.body === 'string' || options.body instanceof Uint8Array;
    const send = (authorization: Authorization | undefined): Promise<Reply> =>
      this.#send(method, url, { ...options, headers: authorization === undefined ? headers : { ...headers, Authorization: authorization.header } }, authorization?.auth);
    const sent = await this.auth.before(method, url);
    const reply = await send(sent);
    if (reply.status !== 401 || !replayable || !(await this.auth.answer(method, url, reply, sent))) return reply;
    return send(await this.auth.before(method, url));
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

  async #send(method: string, url: string, options: RequestOptions, auth: ExchangeAuth | undefined): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const bytes = typeof options.body === 'string' ? Buffer.from(options.body) : options.body instanceof Uint8Array ? options.body : undefined;
    const streamed = bytes === undefined && options.body !== undefined ? new StreamedBody(options.body as AsyncIterable<Uint8Array>) : undefined;
    const started = performance.now();
    const record = (status: number, responseHeaders: Record<string, string>, responseBody: BodyRecord, incomplete: string | undefined): Exchange => {
      const exchange: Exchange = {
        method,
        url,
        requestHeaders: redactedHeaders(headers),
        requestBody: streamed ? streamed.record() : bodyRecord(redactedBody(bytes)),
        status,
        responseHeaders,
        responseBody,
        ms: Math.round(performance.now() - started),
        ...(incomplete === undefined ? {} : { incomplete }),
        ...(auth === undefined ? {} : { auth }),
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
        dispatcher: (method === 'GET' || method === 'HEAD') && options.followRedirects !== false ? this.#following : this.#agent,
      });
    } catch (error) {
      // Bytes that are not an HTTP response: the registry answered, wrongly (RFC 9112 §2-§5).
      if ((error as Error).name === 'HTTPParserError') {
        const why = `not an HTTP response: ${(error as Error).message}`;
        throw new BrokenResponse(`${method} ${requestPath(url)}: ${why}`, record(0, {}, { size: 0, base64: undefined }, why));
      }
      // Nothing answered: refused, unresolvable, TLS, a timeout, a connection closed unanswered.
      throw new HarnessError(`${method} ${url}: ${(error as Error).message} (${(error as NodeJS.ErrnoException).code ?? 'network error'})`, { cause: error });
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
    const responseBody: BodyRecord = sink ? { size, base64: size <= BODY_KEEP_BYTES ? kept.toString('base64') : undefined } : (bodyRecord(redactedBody(body)) ?? { size: 0, base64: undefined });
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
