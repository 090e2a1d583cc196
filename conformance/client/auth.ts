/**
 * Authentication as registry clients do it, for one identity (or none: anonymous):
 *
 * - Basic (RFC 7617): after a Basic challenge from an origin, every request to it carries the
 *   credentials (RFC 7617 §2.2: the protection space is reused without a new challenge).
 * - Bearer (the distribution token authentication specification, RFC 6750): one token per scope,
 *   fetched from the challenge's realm for exactly the challenge's service and scopes — several
 *   for a cross-repository mount — and cached under them; a challenge without scope gets the
 *   scope the request needs (requestScopes). Each request is mapped to the token of the last
 *   challenge its route (repository and action, as the registry decides its scope) got, so that
 *   later requests of the route carry it at once. A token is fetched again when it expires
 *   (`expires_in`, by default 60 s as the specification says, from `issued_at` or its receipt,
 *   refreshed a little before) or when the registry answers 401 again: `invalid_token` drops
 *   it, `insufficient_scope` asks for the scope the new challenge names.
 * - Token requests: with credentials, the OAuth2 password grant first (POST
 *   grant_type=password, RFC 6749 §4.3, "OAuth2 Token Authentication"), as containerd does,
 *   falling back to the specification's GET with Basic credentials when the realm refuses it (400,
 *   401, 404, 405: containerd's fallback, for GCR, Artifactory, ACR); a realm whose POST failed
 *   while its GET worked is asked by GET from then on. POST first because a realm that offers
 *   the grant is then used as containerd uses it; the fallback keeps every GET-only realm
 *   working. Anonymous tokens are asked by GET, the only form without credentials.
 */
import type { Reply, RequestOptions } from './registry-client.ts';
import { registryChallenge, scopesOf, type Challenge } from './challenge.ts';
import type { CredentialNames, ExchangeAuth, TokenSource } from './exchange.ts';

export interface Identity {
  readonly username: string;
  readonly password: string;
  /** The variables a reproduction reads them from. */
  readonly names: CredentialNames;
}

export const DEFAULT_CREDENTIAL_NAMES: CredentialNames = { username: 'OCI_USERNAME', password: 'OCI_PASSWORD' };

/** The token specification's default lifetime when `expires_in` is absent. */
const DEFAULT_EXPIRES_IN_S = 60;

export interface Token {
  readonly value: string;
  /** ms since the epoch, by this client's clock. */
  readonly expiresAt: number;
  /** When it is fetched again: a little before it expires (a quarter of its life, at most 5 s). */
  readonly refreshAt: number;
  readonly source: TokenSource;
}

/** Sends one request as given, without authentication of its own, recording `auth`. */
export type RawSend = (method: string, url: string, options: RequestOptions & { readonly headers: Record<string, string> }, auth: ExchangeAuth | undefined) => Promise<Reply>;

export interface Authorization {
  readonly header: string;
  readonly auth: ExchangeAuth;
}

/** The Basic credential of an identity (RFC 7617 §2). */
export function basicCredential(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The repository a /v2/ path names, decoded; a percent-encoding that does not decode is kept as sent. */
function repositoryOf(pathname: string): string | undefined {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // validation.target.percent-encoding sends such paths on purpose: the registry judges them.
  }
  return /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)\//.exec(path)?.[1];
}

/**
 * Which token a request would need: its repository and action class, as registries decide scope
 * from method and path (the token specification's "Token Scope Documentation"), plus a mount's
 * source. Requests outside a repository key by path.
 */
export function routeOf(method: string, url: string): string {
  const parsed = new URL(url);
  const name = repositoryOf(parsed.pathname);
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  const from = parsed.searchParams.get('mount') !== null ? ` from ${parsed.searchParams.get('from') ?? ''}` : '';
  return `${parsed.origin} ${name ?? parsed.pathname} ${action}${from}`;
}

/**
 * The scopes a request needs when the challenge names none, as Docker asks them (its push asks
 * `pull,push`): pull to read, pull,push to write and for every request of an upload session (its
 * status and cancel too), delete to delete (Distribution's delete action), pull on a mount's
 * source; `registry:gc:*` for the reference's GC trigger; none elsewhere. The token specification's "Token Scope
 * Documentation" names these actions; a challenge without scope leaves the client to guess.
 */
export function requestScopes(method: string, url: string): string[] {
  const parsed = new URL(url);
  // The reference registry's GC trigger (--gc-touchstone) is a registry-wide resource of its own.
  if (parsed.pathname === '/_touchstone/gc') return ['registry:gc:*'];
  const name = repositoryOf(parsed.pathname);
  if (name === undefined) return [];
  const upload = /\/blobs\/uploads\//.test(parsed.pathname);
  const actions = upload ? 'pull,push' : method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'pull,push';
  const from = parsed.searchParams.get('mount') !== null ? parsed.searchParams.get('from') : null;
  return [`repository:${name}:${actions}`, ...(from ? [`repository:${from}:pull`] : [])];
}

export class Authenticator {
  readonly identity: Identity | undefined;
  readonly #send: RawSend;
  readonly #now: () => number;
  /** Origins that challenged with Basic. */
  readonly #basic = new Set<string>();
  /** service + scopes → token. */
  readonly #tokens = new Map<string, Token>();
  /** route → the token key its last challenge named. */
  readonly #routes = new Map<string, string>();
  /** Realms whose POST failed while GET worked. */
  readonly #getOnly = new Set<string>();

  constructor(identity: Identity | undefined, send: RawSend, now: () => number = Date.now) {
    this.identity = identity;
    this.#send = send;
    this.#now = now;
  }

  /** The Authorization to send with a request, before any challenge: Basic, or its route's token (refreshed when expiring). */
  async before(method: string, url: string): Promise<Authorization | undefined> {
    if (this.identity !== undefined && this.#basic.has(new URL(url).origin)) {
      return { header: basicCredential(this.identity.username, this.identity.password), auth: { kind: 'basic', credentials: this.identity.names } };
    }
    const key = this.#routes.get(routeOf(method, url));
    let token = key === undefined ? undefined : this.#tokens.get(key);
    if (token !== undefined && this.#expiring(token)) token = await this.#refresh(token.source);
    return token === undefined ? undefined : { header: `Bearer ${token.value}`, auth: { kind: 'bearer', token: token.source } };
  }

  /**
   * Answers a 401 to a request sent with `sent`: true when a new Authorization is ready for the
   * retry (before() gives it), false when nothing more can be tried.
   */
  async answer(method: string, url: string, reply: Reply, sent: Authorization | undefined): Promise<boolean> {
    const challenge = registryChallenge(reply.header('www-authenticate'));
    if (challenge === undefined) return false;
    if (challenge.scheme === 'basic') {
      if (this.identity === undefined || sent?.auth.kind === 'basic') return false;
      this.#basic.add(new URL(url).origin);
      return true;
    }
    const source = this.sourceOf(challenge, challenge.params.scope === undefined ? requestScopes(method, url) : undefined);
    if (source === undefined) return false;
    const key = keyOf(source);
    const route = routeOf(method, url);
    const cached = this.#tokens.get(key);
    const sentToken = sent?.auth.kind === 'bearer' ? sent.header.slice('Bearer '.length) : undefined;
    if (cached !== undefined && cached.value !== sentToken && !this.#expiring(cached)) {
      this.#routes.set(route, key);
      return true;
    }
    // The same scope, refused for its scope: the realm grants no more than it did.
    if (cached !== undefined && cached.value === sentToken && challenge.params.error === 'insufficient_scope') return false;
    const token = await this.#refresh(source);
    if (token === undefined) return false;
    this.#routes.set(route, key);
    return true;
  }

  /** Where a Bearer challenge sends this identity for a token; undefined without a realm. */
  sourceOf(challenge: Challenge, scopes?: readonly string[]): TokenSource | undefined {
    const realm = challenge.params.realm;
    if (challenge.scheme !== 'bearer' || realm === undefined || !/^https?:\/\//i.test(realm)) return undefined;
    const method = this.identity === undefined || this.#getOnly.has(realm) ? 'GET' : 'POST';
    return { realm, service: challenge.params.service, scopes: scopes ?? scopesOf(challenge.params.scope), method, credentials: this.identity?.names };
  }

  /** Fetches a token (not cached): POST, falling back to GET as the module comment says. */
  async fetch(source: TokenSource): Promise<Token | undefined> {
    if (source.method === 'POST') {
      const posted = await this.#request(source);
      if (posted.token !== undefined || ![400, 401, 404, 405].includes(posted.status)) return posted.token;
      const got = await this.#request({ ...source, method: 'GET' });
      if (got.token !== undefined) this.#getOnly.add(source.realm);
      return got.token;
    }
    return (await this.#request(source)).token;
  }

  async #refresh(source: TokenSource): Promise<Token | undefined> {
    const key = keyOf(source);
    const token = await this.fetch(source);
    if (token === undefined) this.#tokens.delete(key);
    else this.#tokens.set(key, token);
    return token;
  }

  #expiring(token: Token): boolean {
    return this.#now() >= token.refreshAt;
  }

  async #request(source: TokenSource): Promise<{ status: number; token: Token | undefined }> {
    const url = new URL(source.realm);
    const headers: Record<string, string> = {};
    let body: string | undefined;
    const identity = this.identity;
    if (source.method === 'POST' && identity !== undefined) {
      const form = new URLSearchParams({ grant_type: 'password', username: identity.username, password: identity.password, client_id: 'touchstone' });
      if (source.service !== undefined) form.set('service', source.service);
      if (source.scopes.length > 0) form.set('scope', source.scopes.join(' '));
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (source.service !== undefined) url.searchParams.set('service', source.service);
      for (const scope of source.scopes) url.searchParams.append('scope', scope);
      if (identity !== undefined) headers.Authorization = basicCredential(identity.username, identity.password);
    }
    const started = this.#now();
    const reply = await this.#send(source.method, url.toString(), { headers, ...(body === undefined ? {} : { body }) }, { kind: 'token-request', token: source });
    return { status: reply.status, token: reply.status === 200 ? tokenOf(reply, source, started) : undefined };
  }
}

function keyOf(source: TokenSource): string {
  return `${source.realm} ${source.service ?? ''} ${[...source.scopes].sort().join(' ')}`;
}

/** The token of a 200 answer (`token`, or OAuth2's `access_token`) and when it expires. */
function tokenOf(reply: Reply, source: TokenSource, receivedAt: number): Token | undefined {
  const body = reply.json<{ token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown }>();
  const value = typeof body?.token === 'string' && body.token !== '' ? body.token : typeof body?.access_token === 'string' ? body.access_token : undefined;
  if (value === undefined || value === '') return undefined;
  const expiresIn = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN_S;
  const issued = typeof body?.issued_at === 'string' ? Date.parse(body.issued_at) : Number.NaN;
  const from = Number.isFinite(issued) ? Math.min(issued, receivedAt) : receivedAt;
  const expiresAt = from + expiresIn * 1000;
  return { value, expiresAt, refreshAt: expiresAt - Math.min(5_000, (expiresIn * 1000) / 4), source };
}
