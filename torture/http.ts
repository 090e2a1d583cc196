/**
 * A lean HTTP client for the torture scenarios (undici): no exchange records (a scenario sends tens
 * of thousands of requests), every body consumed, bounded header and body timeouts so no request
 * waits forever. A failure to get an answer at all (refused, reset, killed registry) throws
 * NoAnswer; any status is an answer and is returned.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { digestOf, type Content } from '../conformance/content.ts';
import { MANIFEST_TYPES } from '../spec/media-types.ts';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

export interface Send {
  readonly headers?: Readonly<Record<string, string>>;
  /** A Buffer is sent with Content-Length; an async iterable is streamed (Transfer-Encoding: chunked). */
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array>;
}

/** The registry gave no answer: connection refused or closed, or a timeout. */
export class NoAnswer extends Error {
  override readonly name = 'NoAnswer';
}

export class Client {
  readonly baseUrl: string;
  readonly #agent: Agent;

  constructor(baseUrl: string, options: { connections?: number; timeoutMs?: number } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    const timeout = options.timeoutMs ?? 30_000;
    this.#agent = new Agent({ connections: options.connections ?? 8, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000, headersTimeout: timeout, bodyTimeout: timeout });
  }

  /** `path` is a path on the registry or a Location it answered (relative or absolute). */
  async request(method: string, path: string, send: Send = {}): Promise<Answer> {
    const url = new URL(path, `${this.baseUrl}/`).toString();
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    try {
      response = await request(url, { method: method as Dispatcher.HttpMethod, headers: send.headers, body: send.body as Dispatcher.DispatchOptions['body'], dispatcher: this.#agent });
      body = Buffer.from(await response.body.arrayBuffer());
    } catch (error) {
      throw new NoAnswer(`${method} ${url}: ${(error as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, body, header: (name) => headers[name.toLowerCase()] };
  }

  /** PUT a manifest under `reference` (a tag or its digest). */
  putManifest(repo: string, reference: string, manifest: Content): Promise<Answer> {
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
  }

  /** What `reference` resolves to now: the digest of the manifest's bytes, or undefined on 404. Throws on anything else. */
  async resolve(repo: string, reference: string): Promise<string | undefined> {
    const answer = await this.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`GET /v2/${repo}/manifests/${reference}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
    return digestOf(answer.body);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Every manifest type, for Accept: a registry may refuse a type the client does not accept. */
export const MANIFEST_ACCEPT = MANIFEST_TYPES.join(', ');
