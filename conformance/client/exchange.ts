/**
 * Exchange records: every request the suite sends and the response it got, kept so a failure can
 * show exactly what happened (HTML report) and be replayed (curl transcript). Bodies up to
 * BODY_KEEP_BYTES are kept whole for replay; larger ones by size and digest only.
 */
export const BODY_KEEP_BYTES = 64 * 1024;

export interface BodyRecord {
  readonly size: number;
  /** The body itself, base64, when at most BODY_KEEP_BYTES (streamed bodies too); undefined otherwise. */
  readonly base64: string | undefined;
}

export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly requestBody: BodyRecord | undefined;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: BodyRecord;
  readonly ms: number;
  /** How the answer broke off (responseBody holds the bytes received), when it did: RFC 9112 §6.3. */
  readonly incomplete?: string;
}

export function bodyRecord(bytes: Uint8Array | undefined): BodyRecord | undefined {
  if (bytes === undefined) return undefined;
  return { size: bytes.length, base64: bytes.length <= BODY_KEEP_BYTES ? Buffer.from(bytes).toString('base64') : undefined };
}

/** The path and query of a request URL, absolute or relative, as a request line shows them. */
export function requestPath(url: string): string {
  const parsed = new URL(url, 'http://registry.invalid');
  return `${parsed.pathname}${parsed.search}`;
}

/** The body as text for display: UTF-8 when it looks like text, else a size note. */
export function bodyText(body: BodyRecord | undefined, limit = 4096): string {
  if (body === undefined || body.size === 0) return '';
  if (body.base64 === undefined) return `<${body.size} bytes>`;
  const bytes = Buffer.from(body.base64, 'base64');
  const text = bytes.toString('utf8');
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return `<${body.size} bytes of binary>`;
  return text.length > limit ? `${text.slice(0, limit)}… (${body.size} bytes)` : text;
}

/** Collects exchanges; `since(mark)` gives the ones of one check or one property step. */
export class ExchangeLog {
  readonly #all: Exchange[] = [];
  /** Past this many, the oldest are dropped: memory stays bounded on long property runs. */
  readonly #limit: number;
  #dropped = 0;

  constructor(limit = 20_000) {
    this.#limit = limit;
  }

  add(exchange: Exchange): void {
    this.#all.push(exchange);
    if (this.#all.length > this.#limit) {
      this.#all.shift();
      this.#dropped += 1;
    }
  }

  mark(): number {
    return this.#dropped + this.#all.length;
  }

  since(mark: number): Exchange[] {
    return this.#all.slice(Math.max(0, mark - this.#dropped));
  }
}
