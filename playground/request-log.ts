/**
 * The live request log: every exchange the capture layer (capture.ts) recorded, newest last,
 * kept up to a bound, each summarized with its spec endpoint id and section (end-1 … end-14,
 * endpoints.ts) and the client that sent it — this page, a browser, or the product token of the
 * User-Agent (skopeo/1.9.3, curl/7.88.1, undici). Summaries go to the page as they happen
 * (Server-Sent Events, events.ts); the full headers and bodies of one exchange on demand.
 */
import type { CapturedExchange } from './capture.ts';
import { bodyView, type BodyView } from './body-view.ts';
import { endpointOf } from './endpoints.ts';

/** Exchanges kept: at 2 × 16 KiB of body each, at most some 16 MiB. */
const LOG_LIMIT = 500;

export interface LogSummary {
  readonly id: number;
  readonly time: string;
  readonly method: string;
  readonly target: string;
  readonly status: number;
  readonly endpoint: string | undefined;
  readonly section: string | undefined;
  readonly anchor: string | undefined;
  readonly repository: string;
  readonly client: string;
  readonly ms: number;
  readonly requestSize: number;
  readonly responseSize: number;
  /** Bytes on the wire, headers included, from the registry's own log line. */
  readonly bytesIn: number | undefined;
  readonly bytesOut: number | undefined;
  readonly complete: boolean;
}

export interface LogDetail extends LogSummary {
  readonly requestHeaders: readonly (readonly [string, string])[];
  readonly requestBody: BodyView;
  readonly responseHeaders: readonly (readonly [string, string])[];
  readonly responseBody: BodyView;
}

function header(exchange: CapturedExchange, name: string): string | undefined {
  return exchange.requestHeaders.find(([key]) => key.toLowerCase() === name)?.[1];
}

/** Who sent it: this page's own fetches carry Sec-Fetch-Site: same-origin and are not navigations. */
export function clientOf(exchange: CapturedExchange): string {
  const site = header(exchange, 'sec-fetch-site');
  if (site === 'same-origin' && header(exchange, 'sec-fetch-mode') !== 'navigate') return 'page';
  if (site !== undefined) return 'browser';
  const agent = header(exchange, 'user-agent');
  return agent === undefined || agent === '' ? 'unknown' : (agent.split(/\s/)[0] as string).slice(0, 40);
}

export function summarize(exchange: CapturedExchange): LogSummary {
  const { resource, name, endpoint } = endpointOf(exchange.method, exchange.target);
  return {
    id: exchange.id,
    time: exchange.startedAt,
    method: exchange.method,
    target: exchange.target,
    status: exchange.status,
    endpoint: endpoint?.id,
    section: endpoint?.section ?? (resource === 'admin-gc' ? 'garbage collection (the reference registry\'s own trigger, outside the spec)' : undefined),
    anchor: endpoint?.anchor,
    repository: name,
    client: clientOf(exchange),
    ms: exchange.registry?.ms ?? exchange.ms,
    requestSize: exchange.requestBody.size,
    responseSize: exchange.responseBody.size,
    bytesIn: exchange.registry?.bytesIn,
    bytesOut: exchange.registry?.bytesOut,
    complete: exchange.complete,
  };
}

export class RequestLogBook {
  readonly #entries: CapturedExchange[] = [];
  readonly #listeners = new Set<(summary: LogSummary, exchange: CapturedExchange) => void>();
  readonly #limit: number;

  constructor(limit = LOG_LIMIT) {
    this.#limit = limit;
  }

  add(exchange: CapturedExchange): void {
    this.#entries.push(exchange);
    if (this.#entries.length > this.#limit) this.#entries.shift();
    const summary = summarize(exchange);
    for (const listener of this.#listeners) listener(summary, exchange);
  }

  onEntry(listener: (summary: LogSummary, exchange: CapturedExchange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  recent(count = this.#limit): LogSummary[] {
    return this.#entries.slice(-count).map(summarize);
  }

  detail(id: number): LogDetail | undefined {
    const exchange = this.#entries.find((entry) => entry.id === id);
    if (!exchange) return undefined;
    return {
      ...summarize(exchange),
      requestHeaders: exchange.requestHeaders,
      requestBody: bodyView(exchange.requestBody.kept, exchange.requestBody.size),
      responseHeaders: exchange.responseHeaders,
      responseBody: bodyView(exchange.responseBody.kept, exchange.responseBody.size),
    };
  }
}
