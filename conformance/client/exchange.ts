/**
 * Exchange records: every request the suite sends and the response it got, kept so a failure can
 * show exactly what happened (HTML report) and be replayed (curl transcript). Bodies up to
 * BODY_KEEP_BYTES are kept whole for replay; larger ones by size and digest only. Secrets are
 * never recorded: an Authorization value becomes its scheme and `[redacted]`, the tokens of a
 * token endpoint's answer and the password of an OAuth2 form become `[redacted]`, and `auth`
 * says instead how the request was authenticated, for a reproduction to do the same from
 * environment variables.
 */
export const BODY_KEEP_BYTES = 64 * 1024;

export interface BodyRecord {
  readonly size: number;
  /** The body itself, base64, when at most BODY_KEEP_BYTES (streamed bodies too); undefined otherwise. */
  readonly base64: string | undefined;
}

/** The environment variables a reproduction reads an identity's credentials from. */
export interface CredentialNames {
  readonly username: string;
  readonly password: string;
}

/** Where a Bearer token came from: enough to fetch an equal one again. */
export interface TokenSource {
  readonly realm: string;
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  readonly method: 'GET' | 'POST';
  /** Undefined for an anonymous token. */
  readonly credentials: CredentialNames | undefined;
}

/** How a request was authenticated (the values themselves are not recorded). */
export type ExchangeAuth =
  | { readonly kind: 'basic'; readonly credentials: CredentialNames }
  | { readonly kind: 'bearer'; readonly token: TokenSource }
  /** The exchange is itself a token request. */
  | { readonly kind: 'token-request'; readonly token: TokenSource }
  /** An Authorization value the caller gave (a check's deliberately wrong or altered credentials). */
  | { readonly kind: 'given' };

export const REDACTED = '[redacted]';

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
  readonly auth?: ExchangeAuth;
}

/** Request headers as recorded: an Authorization value becomes its scheme and [redacted]. */
export function redactedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /^(authorization|proxy-authorization|cookie)$/i.test(name) ? `${/^\S+(?=\s)/.exec(value)?.[0] ?? ''} ${REDACTED}`.trim() : value;
  }
  return out;
}

const SECRET_FIELDS = /^(token|access_token|refresh_token|id_token|password|client_secret)$/;

/**
 * A body as recorded: the secret fields of a JSON object (a token endpoint's answer, RFC 6749
 * §5.1) and of a form (the OAuth2 password grant, RFC 6749 §4.3.2) replaced; any other as it is.
 */
export function redactedBody(bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (bytes === undefined || bytes.length === 0 || bytes.length > BODY_KEEP_BYTES) return bytes;
  const text = Buffer.from(bytes).toString('utf8');
  if (!/token|password|secret/.test(text)) return bytes;
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return bytes;
    const fields = Object.entries(json as Record<string, unknown>);
    if (!fields.some(([name]) => SECRET_FIELDS.test(name))) return bytes;
    return Buffer.from(JSON.stringify(Object.fromEntries(fields.map(([name, value]) => [name, SECRET_FIELDS.test(name) ? REDACTED : value]))));
  } catch {
    // not JSON: a form?
  }
  if (!/^[\w.~%+-]+=[^&]*(&[\w.~%+-]+=[^&]*)*$/.test(text.trim())) return bytes;
  const form = new URLSearchParams(text.trim());
  if (![...form.keys()].some((name) => SECRET_FIELDS.test(name))) return bytes;
  for (const name of [...form.keys()]) if (SECRET_FIELDS.test(name)) form.set(name, REDACTED);
  return Buffer.from(form.toString());
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
