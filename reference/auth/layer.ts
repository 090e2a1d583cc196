/**
 * The authentication layer around the registry's request handler: `withAuth(next, auth)` decides
 * from method and path what a request needs (scope.ts), who makes it, and whether it may go on to
 * the registry, which never sees a request it does not allow.
 *
 * Who: with htpasswd, Basic credentials (RFC 7617) checked against the file; empty ones (which
 * containers/image sends when it has none) are the anonymous identity, and a request without any
 * may do on repositories what anonymous may. With
 * tokens, a Bearer token (RFC 6750 §2.1) the token endpoint issued, verified on every request;
 * without one the caller has not authenticated and is challenged, as Distribution does
 * (anonymous clients fetch an anonymous token: the token specification's flow).
 *
 * The answers (distribution spec "Error Codes" UNAUTHORIZED and DENIED):
 *   - 401 UNAUTHORIZED with a challenge naming exactly the scopes the request needs (for a mount
 *     also pull on its source) when there are no credentials, wrong ones, an invalid token, or
 *     a token lacking a scope (error="insufficient_scope": a new token may hold it);
 *   - 403 DENIED when a known identity asks for what the policy does not grant it;
 *   - GET /v2/ (and any path that is no resource) needs an identity: it answers 401 to a caller
 *     without credentials, so that clients learn the challenge before they need it (clients
 *     that see 200 there never send their credentials: containers/image, go-containerregistry),
 *     and to the anonymous identity when anonymous may do nothing. _catalog needs an identity
 *     too (registry:catalog:*), and the hook request-access.ts lets it list only what the
 *     caller may pull.
 *   - A mount whose caller may not pull the source goes on without `mount` and `from`: an upload
 *     session (202), saying nothing about whether the blob exists (spec "Mounting a blob from
 *     another repository": a registry unable to mount SHOULD answer 202). A mount without
 *     `from` never searches repositories for a caller.
 * Secrets in the query (password=, access_token=…) are replaced before anything logs the URL.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HttpError } from '../http/errors.ts';
import { targetUrl, type Listener } from '../http/router.ts';
import { sendError } from '../http/respond.ts';
import type { BearerError, Challenger } from './challenge.ts';
import type { PasswordChecker } from './htpasswd.ts';
import { ANONYMOUS, type Grants, type Identity, type Policy } from './policy.ts';
import { setRequestAccess } from './request-access.ts';
import type { Access, RequirementOf } from './scope.ts';
import { parseBasic, serveToken } from './token-endpoint.ts';
import { TokenError, type TokenIssuer, type TokenVerifier } from './tokens.ts';

/** The decisions of the layer, each replaceable (layers around the registry may decorate them). */
export interface AuthParts {
  readonly passwords: PasswordChecker | undefined;
  readonly verifier: TokenVerifier | undefined;
  readonly requirementOf: RequirementOf;
  readonly tokenGrants: (access: readonly Access[]) => Grants;
  readonly allows: (grants: Grants, need: Access) => boolean;
  readonly challenger: Challenger;
  /** The catalog's filter for a caller with these grants. */
  readonly canPull: (grants: Grants) => (name: string) => boolean;
}

export interface Auth {
  readonly policy: Policy;
  readonly token: { readonly issuer: TokenIssuer; readonly service: string; readonly realm: string | undefined } | undefined;
  readonly parts: AuthParts;
}

interface Caller {
  readonly identity: Identity;
  /** No credentials at all (with tokens: no token): the caller has not said who it is. */
  readonly unauthenticated: boolean;
  /** What the request may do: the policy's grants (htpasswd) or the token's access claim. */
  readonly grants: Grants;
  readonly token: boolean;
}

const NO_GRANTS: Grants = { actions: () => new Set() };
const SECRET_PARAMETER = /^(password|passwd|pass|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api_?key)$/i;
const HOST = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/;

export function withAuth(next: Listener, auth: Auth): Listener {
  return (req, res) => {
    authorize(auth, req, res).then(
      (allowed) => {
        if (allowed) next(req, res);
      },
      (error: unknown) => sendError(res, error),
    );
  };
}

/** Query values whose name says they are secret, replaced; undefined when there are none. */
export function redactedUrl(raw: string): string | undefined {
  const question = raw.indexOf('?');
  if (question < 0) return undefined;
  let changed = false;
  const parts = raw
    .slice(question + 1)
    .split('&')
    .map((part) => {
      const key = part.split('=')[0] ?? '';
      let name = key;
      try {
        name = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // an undecodable name is no known secret's
      }
      if (!SECRET_PARAMETER.test(name)) return part;
      changed = true;
      return `${key}=REDACTED`;
    });
  return changed ? `${raw.slice(0, question)}?${parts.join('&')}` : undefined;
}

/** Answers or lets through one request; true when the registry should handle it. */
async function authorize(auth: Auth, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  // A target that is no URL path (`//host:99999/…`) addresses nothing: the registry's router
  // refuses it with 400 before any handler runs (RFC 9112 §3.2), so there is nothing to authorize.
  const url = targetUrl(req.url ?? '/');
  if (url === undefined) return true;
  const redacted = redactedUrl(req.url ?? '/');
  if (redacted !== undefined) req.url = redacted;
  const { parts, policy } = auth;
  if (auth.token && url.pathname === '/token') {
    await serveToken({ issuer: auth.token.issuer, service: auth.token.service, policy, passwords: parts.passwords, challenger: parts.challenger }, req, res, url);
    return false;
  }
  const requirement = parts.requirementOf(req.method ?? 'GET', url);
  const mountSource: Access | undefined =
    requirement.kind === 'access' && requirement.mountFrom !== undefined ? { type: 'repository', name: requirement.mountFrom, actions: ['pull'] } : undefined;
  const scopes = requirement.kind === 'access' ? [...requirement.needs, ...(mountSource ? [mountSource] : [])] : [];
  const challenge = (message: string, error?: BearerError): HttpError => {
    const header = auth.token ? parts.challenger.bearer(realmOf(auth, req), scopes, error) : parts.challenger.basic();
    const detail = scopes.flatMap((scope) => scope.actions.map((action) => ({ Type: scope.type, Name: scope.name, Action: action })));
    return new HttpError('UNAUTHORIZED', message, detail, { 'WWW-Authenticate': header, 'Docker-Distribution-API-Version': 'registry/2.0', ...closeIfBody(req) });
  };

  const caller = await identify(auth, req, challenge);
  const policyGrants = policy.grantsFor(caller.identity);
  if (requirement.kind === 'identity') {
    if (caller.unauthenticated || !policy.hasAnyAccess(caller.identity)) throw challenge('authentication required');
  } else {
    const granted = requirement.needs.every((need) => parts.allows(caller.grants, need));
    if (!granted) {
      if (caller.token && requirement.needs.every((need) => parts.allows(policyGrants, need))) {
        throw challenge('the token does not hold the scope this request needs', 'insufficient_scope');
      }
      if (caller.unauthenticated || caller.identity.kind === 'anonymous') {
        throw challenge('authentication required', caller.token ? 'insufficient_scope' : undefined);
      }
      throw new HttpError('DENIED', 'requested access to the resource is denied', undefined, closeIfBody(req));
    }
    if (mountSource !== undefined && !parts.allows(caller.grants, mountSource)) {
      if (caller.token && parts.allows(policyGrants, mountSource)) {
        throw challenge('the token does not hold pull on the repository to mount from', 'insufficient_scope');
      }
      withoutMount(req);
    } else if (requirement.mountWithoutFrom === true) {
      withoutMount(req);
    }
  }
  setRequestAccess(req, { user: caller.identity.kind === 'user' ? caller.identity.name : undefined, canPull: parts.canPull(policyGrants) });
  return true;
}

async function identify(auth: Auth, req: IncomingMessage, challenge: (message: string, error?: BearerError) => HttpError): Promise<Caller> {
  const header = req.headers.authorization;
  const { parts, policy } = auth;
  if (auth.token) {
    const token = header === undefined ? undefined : /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)?.[1];
    // Basic credentials sent to the registry itself are no token: challenged, as by Distribution.
    if (token === undefined || parts.verifier === undefined) return { identity: ANONYMOUS, unauthenticated: true, grants: NO_GRANTS, token: false };
    try {
      const verified = await parts.verifier.verify(token);
      const identity: Identity = verified.subject === '' ? ANONYMOUS : { kind: 'user', name: verified.subject };
      return { identity, unauthenticated: false, grants: parts.tokenGrants(verified.access), token: true };
    } catch (error) {
      if (error instanceof TokenError) throw challenge(error.message, 'invalid_token');
      throw error;
    }
  }
  if (header === undefined) return { identity: ANONYMOUS, unauthenticated: true, grants: repositoriesOnly(policy.grantsFor(ANONYMOUS)), token: false };
  const credentials = parseBasic(header);
  if (credentials?.user === '' && credentials.password === '') return { identity: ANONYMOUS, unauthenticated: false, grants: policy.grantsFor(ANONYMOUS), token: false };
  if (credentials === undefined || parts.passwords === undefined || !(await parts.passwords.verify(credentials.user, credentials.password))) {
    throw challenge('invalid username or password');
  }
  const identity: Identity = { kind: 'user', name: credentials.user };
  return { identity, unauthenticated: false, grants: policy.grantsFor(identity), token: false };
}

/** A caller without credentials may pull what anonymous may; registry-wide resources need an identity. */
function repositoriesOnly(grants: Grants): Grants {
  return { actions: (resource) => (resource.type === 'repository' ? grants.actions(resource) : NO_GRANTS.actions(resource)) };
}

/** The configured realm, else this server's /token as the client reached it. */
function realmOf(auth: Auth, req: IncomingMessage): string {
  if (auth.token?.realm !== undefined) return auth.token.realm;
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = req.headers.host;
  const local = req.socket.localAddress?.includes(':') ? `[${req.socket.localAddress}]` : req.socket.localAddress;
  return `${scheme}://${host !== undefined && HOST.test(host) ? host : `${local}:${req.socket.localPort}`}/token`;
}

/** A refused request's body is not read: the connection closes after the answer. */
function closeIfBody(req: IncomingMessage): Record<string, string> {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0') ? { Connection: 'close' } : {};
}

function withoutMount(req: IncomingMessage): void {
  const url = new URL(req.url ?? '/', 'http://registry.invalid');
  url.searchParams.delete('mount');
  url.searchParams.delete('from');
  req.url = `${url.pathname}${url.search}`;
}
