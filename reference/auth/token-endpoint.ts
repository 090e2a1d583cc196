/**
 * The built-in token endpoint of the distribution token authentication specification ("Token
 * Authentication Specification", "Requesting a Token"):
 *
 *   GET  /token?service=S&scope=…&scope=…   Basic credentials (RFC 7617) or none (anonymous)
 *   POST /token  grant_type=password&username=&password=&service=&scope=…   the OAuth2 form
 *        ("OAuth2 Token Authentication"; RFC 6749 §4.3) containerd tries first
 *
 * The token's access claim is what was asked intersected with what the policy grants: asking for
 * more than allowed is never an error, it gives a token with fewer actions (the specification:
 * "the token server … should only include the granted actions"); `*` on a repository asks for
 * every action. Answers `{token, access_token, expires_in, issued_at}` with Cache-Control:
 * no-store (RFC 6749 §5.1). Refresh tokens are not issued, so grant_type=refresh_token gets
 * `unsupported_grant_type` (RFC 6749 §5.2) and a client asks with its password again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http/errors.ts';
import { sendJson } from '../http/respond.ts';
import type { Challenger } from './challenge.ts';
import type { PasswordChecker } from './htpasswd.ts';
import { ANONYMOUS, type Grants, type Identity, type Policy } from './policy.ts';
import { ACTIONS, parseScopes, ScopeError, type Access } from './scope.ts';
import type { TokenIssuer } from './tokens.ts';

export interface TokenEndpoint {
  readonly issuer: TokenIssuer;
  readonly service: string;
  readonly policy: Policy;
  readonly passwords: PasswordChecker | undefined;
  readonly challenger: Challenger;
}

/** A token request's form body is small; anything larger is not one. */
const FORM_MAX_BYTES = 64 * 1024;

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** What the policy grants of what was asked, one entry per resource, empty ones left out. */
export function grantedAccess(asked: readonly Access[], grants: Grants): Access[] {
  const merged = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const scope of asked) {
    const allowed = grants.actions(scope);
    const key = `${scope.type}:${scope.name}`;
    const entry = merged.get(key) ?? { type: scope.type, name: scope.name, actions: new Set<string>() };
    for (const action of scope.actions) {
      const wanted = action === '*' && scope.type === 'repository' ? ACTIONS : [action];
      for (const one of wanted) if (allowed.has(one)) entry.actions.add(one);
    }
    merged.set(key, entry);
  }
  return [...merged.values()].filter((entry) => entry.actions.size > 0).map((entry) => ({ ...entry, actions: [...entry.actions] }));
}

export async function serveToken(endpoint: TokenEndpoint, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method === 'POST') {
    await serveOAuth(endpoint, req, res);
    return;
  }
  if (req.method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`, {}, { Allow: 'GET, POST' });
  let identity: Identity = ANONYMOUS;
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const user = await basicUser(endpoint, authorization);
    if (user === undefined) {
      throw new HttpError('UNAUTHORIZED', 'invalid username or password', undefined, { 'WWW-Authenticate': endpoint.challenger.basic() });
    }
    identity = user;
  }
  const scopes = requested(endpoint, url.searchParams.get('service'), url.searchParams.getAll('scope'), (message) => new HttpError('TOKEN_REQUEST_INVALID', message));
  await answer(endpoint, res, identity, scopes);
}

async function serveOAuth(endpoint: TokenEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const oauthError = (error: string, description: string, headers: Record<string, string> = {}) => {
    sendJson(res, 400, { error, error_description: description }, { ...NO_STORE, ...headers });
  };
  const form = await readForm(req);
  // What is left of a body that is not a form is not read: the connection closes after the answer.
  if (form === undefined) return oauthError('invalid_request', 'the body is not an application/x-www-form-urlencoded form of at most 64 KiB', { Connection: 'close' });
  const grant = form.get('grant_type');
  if (grant !== 'password') return oauthError('unsupported_grant_type', 'this endpoint grants password only (no refresh tokens)');
  const username = form.get('username');
  const password = form.get('password');
  if (username === null || password === null) return oauthError('invalid_request', 'grant_type=password needs username and password');
  const ok = endpoint.passwords !== undefined && (await endpoint.passwords.verify(username, password));
  if (!ok) return oauthError('invalid_grant', 'invalid username or password');
  let scopes: Access[];
  try {
    scopes = requested(endpoint, form.get('service'), form.getAll('scope'), (message) => new ScopeError(message));
  } catch (error) {
    return oauthError('invalid_scope', (error as Error).message);
  }
  await answer(endpoint, res, { kind: 'user', name: username }, scopes);
}

function requested(endpoint: TokenEndpoint, service: string | null, scopes: string[], fail: (message: string) => Error): Access[] {
  if (service !== null && service !== endpoint.service) throw fail(`this endpoint issues tokens for the service ${endpoint.service}`);
  try {
    return parseScopes(scopes);
  } catch (error) {
    if (error instanceof ScopeError) throw fail(error.message);
    throw error;
  }
}

async function answer(endpoint: TokenEndpoint, res: ServerResponse, identity: Identity, scopes: readonly Access[]): Promise<void> {
  const access = grantedAccess(scopes, endpoint.policy.grantsFor(identity));
  const issued = await endpoint.issuer.issue(identity.kind === 'user' ? identity.name : '', access);
  sendJson(res, 200, { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt }, NO_STORE);
}

/** The user of valid Basic credentials, or undefined. */
async function basicUser(endpoint: TokenEndpoint, authorization: string): Promise<Identity | undefined> {
  const credentials = parseBasic(authorization);
  if (credentials === undefined || endpoint.passwords === undefined) return undefined;
  return (await endpoint.passwords.verify(credentials.user, credentials.password)) ? { kind: 'user', name: credentials.user } : undefined;
}

/** `Basic base64(user:password)` (RFC 7617 §2), or undefined when it is not that. */
export function parseBasic(authorization: string): { user: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_MAX_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
