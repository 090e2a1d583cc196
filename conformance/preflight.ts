/**
 * Before any check: is the target a registry, and is --url its root? A wrong target must read as
 * a wrong target (a harness error, exit 2, in one line saying what answered), never as a registry
 * that fails every check.
 *
 * The spec ("Determining support", end-1): "perform a GET request to the following endpoint:
 * /v2/. If the response is 200 OK, then the registry implements this specification", and a
 * registry that needs credentials answers 401 with a WWW-Authenticate challenge (§Error Codes,
 * UNAUTHORIZED; the client has already answered a challenge it could when this runs). Real
 * registries (CNCF Distribution, zot, Harbor, ghcr.io, Docker Hub) also send
 * `Docker-Distribution-API-Version: registry/2.0` and a JSON body (`{}`) or none. A web server
 * answers an HTML page or text: that is what this module refuses.
 *
 * The URL: every endpoint is a path under /v2/ at the host's root (end-1 … end-14), and clients
 * (docker, podman, skopeo) only ever reach a registry there, so --url is scheme://host[:port].
 * A URL ending in /v2 or /v2/ is what a user copies from a browser or a curl line: it is
 * normalised (and said so). Any other path is refused: a registry under a path prefix cannot be
 * reached by those clients, and a path after /v2/ is a repository namespace (--namespace).
 */
import { BrokenResponse, HarnessError } from './client/errors.ts';
import type { RegistryClient, Reply } from './client/registry-client.ts';
import { bareType } from './client/headers.ts';
import { bodyText } from './client/exchange.ts';

export interface TargetUrl {
  /** scheme://host[:port], no trailing slash. */
  readonly url: string;
  /** What was changed, to say on stderr; undefined when the URL was taken as given. */
  readonly note: string | undefined;
}

/**
 * The registry root of a --url (or of OCI_ROOT_URL: `label`), or an Error whose message says why
 * it cannot be one (the caller makes it a usage error). `/v2` and `/v2/` at the end are dropped.
 */
export function targetUrl(given: string, label = '--url'): TargetUrl | Error {
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    return new Error(`${label} needs an http(s) URL such as http://registry.example:5000, got ${JSON.stringify(given)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return new Error(`${label} needs an http(s) URL, got ${given}`);
  if (parsed.username !== '' || parsed.password !== '') return new Error(`${label} must not carry credentials: give --username and --password (or OCI_USERNAME, OCI_PASSWORD)`);
  if (parsed.search !== '' || parsed.hash !== '') return new Error(`${label} is the registry's root, scheme://host[:port], without a query or fragment: got ${given}`);
  const path = parsed.pathname.replace(/\/+$/, '');
  const root = parsed.origin;
  if (path === '') return { url: root, note: undefined };
  if (path === '/v2') return { url: root, note: `${label}: ${given} is the API root of ${root}; the suite adds /v2/ to every request itself, so it checks ${root}` };
  const namespace = /^\/v2\/(.+)$/.exec(path)?.[1];
  if (namespace !== undefined) {
    return new Error(`${label} is the registry's root (${root}), not a path under /v2/: for repositories under ${namespace}/, use --url ${root} --namespace ${namespace}`);
  }
  return new Error(`${label} is the registry's root, scheme://host[:port]: the spec's endpoints are at /v2/ of the host (end-1), where clients look for them, so a path (${path}) cannot be part of it; got ${given}`);
}

/** A short description of a body: "an HTML page (title …)", "text …", "JSON …", "an empty body". */
function describeBody(reply: Reply): string {
  const type = bareType(reply.header('content-type'));
  const text = bodyText(reply.exchange.responseBody, 2000);
  if (reply.exchange.responseBody.size === 0) return 'an empty body';
  if (type === 'text/html' || /^\s*<(!doctype html|html)/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return `an HTML page${title ? ` ("${oneLine(title, 80)}")` : ''}`;
  }
  return `"${oneLine(text, 80)}"`;
}

function oneLine(text: string, limit: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit)}…` : line;
}

/** Whether a 200 body is what a registry answers: nothing, or JSON (Distribution and zot send `{}`). */
function registryBody(reply: Reply): boolean {
  if (reply.body.length === 0) return true;
  const type = bareType(reply.header('content-type'));
  if (type === 'text/html') return false;
  try {
    JSON.parse(reply.body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The challenge of a registry that needs credentials: Bearer (token auth) or Basic (RFC 9110 §11.6.1). */
function challenge(reply: Reply): string | undefined {
  const value = reply.header('www-authenticate');
  return value !== undefined && /^\s*(bearer|basic)\b/i.test(value) ? value : undefined;
}

/**
 * Why the answer to GET /v2/ is not a registry's, in one line, or undefined when it is one.
 * `credentials`: whether the run has a username (a 401 then means they were refused).
 */
export function notARegistry(reply: Reply, credentials: boolean): string | undefined {
  const apiVersion = reply.header('docker-distribution-api-version');
  const what = `GET /v2/ answered ${reply.status}${reply.header('content-type') ? ` ${bareType(reply.header('content-type'))}` : ''}, ${describeBody(reply)}`;
  if (reply.status === 200) {
    if (apiVersion !== undefined || registryBody(reply)) return undefined;
    return `${what}: not an OCI registry's API root, which answers 200 with JSON or nothing (end-1). Is --url the registry's address?`;
  }
  if (reply.status === 401 && (challenge(reply) !== undefined || apiVersion !== undefined)) {
    const asks = challenge(reply) ?? 'no challenge';
    return credentials
      ? `GET /v2/ answered 401 (WWW-Authenticate: ${oneLine(asks, 120)}) after the suite authenticated with the credentials given: were --username and --password right?`
      : `the registry asks for credentials (GET /v2/ answered 401, WWW-Authenticate: ${oneLine(asks, 120)}): give --username and --password (or OCI_USERNAME, OCI_PASSWORD)`;
  }
  if (reply.status >= 500) return `${what}: the registry is not serving (a 5xx before any check). Try again once it is up.`;
  if (apiVersion !== undefined) return `${what} with Docker-Distribution-API-Version ${apiVersion}: a registry, but it does not let the suite in (end-1 answers 200, or 401 with a challenge)`;
  return `${what}: not an OCI registry's API root, which answers 200, or 401 with a WWW-Authenticate challenge (end-1). Is --url the registry's address?`;
}

/** GET /v2/ once; throws a HarnessError (one line) when the target does not answer like a registry. */
export async function preflight(client: RegistryClient, credentials: boolean): Promise<void> {
  const reply = await client.request('GET', '/v2/').catch((error: unknown) => {
    if (error instanceof BrokenResponse) throw new HarnessError(`${client.baseUrl}: does not answer like a registry: ${error.message}`);
    throw error;
  });
  const problem = notARegistry(reply, credentials);
  if (problem !== undefined) throw new HarnessError(`${client.baseUrl}: ${problem}`);
}
