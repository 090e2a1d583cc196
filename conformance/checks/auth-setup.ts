/**
 * What the auth.* checks share, set up once per run (README "Checking an authenticated registry"):
 *
 * - three callers: the run's identity (push on the namespace), the restricted identity (pull on
 *   one repository only, with its own variables OCI_RESTRICTED_USERNAME/_PASSWORD in
 *   reproductions), and an anonymous client;
 * - content: the first identity pushes an image to the restricted repository (under a tag of the
 *   run, deleted again by cleanup) and an image with a referrer to a fresh private repository;
 * - the scheme: the challenge an anonymous request to the private repository gets (Basic, or
 *   Bearer with its realm). A registry that challenges nobody has no authentication to check:
 *   every auth check skips, saying so.
 * - with tokens, an early token (pull on the restricted repository), taken at setup so that
 *   auth.token.expired, which runs last, finds it as old as the run.
 * Also the answers every check allows, as data: refusals are UNAUTHORIZED (401) or DENIED (403)
 * (spec "Error Codes"), a read may also pretend the repository is not there (404).
 */
import { CheckFailure } from '../client/errors.ts';
import { expectCodeIfJson, expectStatus } from '../client/expect.ts';
import { registryChallenge, type Challenge } from '../client/challenge.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { Token } from '../client/auth.ts';
import type { RegistryClient, Reply } from '../client/registry-client.ts';
import { artifactManifest, EMPTY_CONFIG, imageManifest, randomBlob, type Content } from '../content.ts';
import type { AuthChecks } from '../config.ts';
import type { CheckContext } from './context.ts';

/** A refusal of a write: 401 UNAUTHORIZED or 403 DENIED (spec "Error Codes" code-11, code-12). */
export const REFUSED = { statuses: [401, 403], codes: ['UNAUTHORIZED', 'DENIED'] } as const;
/** A refusal of a read: as a write, or 404 as if the repository did not exist (nothing revealed). */
export const REFUSED_READ = { statuses: [401, 403, 404], codes: ['UNAUTHORIZED', 'DENIED', 'NAME_UNKNOWN', 'MANIFEST_UNKNOWN', 'BLOB_UNKNOWN'] } as const;
/** A delete refused, or not offered at all (405 UNSUPPORTED). */
export const REFUSED_DELETE = { statuses: [401, 403, 405], codes: ['UNAUTHORIZED', 'DENIED', 'UNSUPPORTED'] } as const;

export interface Answers {
  readonly statuses: readonly number[];
  readonly codes: readonly string[];
}

export function expectAnswer(reply: Reply, answers: Answers, what: string): void {
  expectStatus(reply, answers.statuses, what);
  expectCodeIfJson(reply, answers.codes, what);
}

export interface Image {
  readonly repo: string;
  readonly tag: string;
  readonly layer: Content;
  readonly manifest: Content;
}

export interface AuthSetup {
  readonly settings: AuthChecks;
  readonly restricted: RegistryClient;
  readonly anonymous: RegistryClient;
  /** The image in the restricted repository. */
  readonly allowed: Image;
  /** An image in a fresh repository only the first identity may read, and a referrer of it. */
  readonly secret: Image & { readonly referrer: Content };
  /** Basic or Bearer, as anonymous requests are challenged. */
  readonly challenge: Challenge;
  /** With tokens: a token of the first identity for pull on the restricted repository, taken at setup. */
  readonly early: Token | undefined;
  /** Whether the early token opened the restricted repository when it was new. */
  readonly earlyWorked: boolean;
}

const setups = new WeakMap<CheckContext, Promise<AuthSetup>>();

/** The run's auth setup, made by the first auth check that asks. */
export function authSetup(ctx: CheckContext): Promise<AuthSetup> {
  let setup = setups.get(ctx);
  if (setup === undefined) {
    setup = makeSetup(ctx);
    setups.set(ctx, setup);
  }
  return setup;
}

async function pushImage(ctx: CheckContext, repo: string, tag: string): Promise<Image> {
  const layer = randomBlob(512);
  const manifest = imageManifest(EMPTY_CONFIG, [layer]);
  await ctx.pushImage(repo, tag, EMPTY_CONFIG, [layer], manifest);
  return { repo, tag, layer, manifest };
}

async function makeSetup(ctx: CheckContext): Promise<AuthSetup> {
  const settings = ctx.config.auth;
  if (settings === undefined) throw new Error('auth checks without --auth-checks');
  const restricted = ctx.clientFor({ username: settings.username, password: settings.password, credentialNames: { username: 'OCI_RESTRICTED_USERNAME', password: 'OCI_RESTRICTED_PASSWORD' } });
  const anonymous = ctx.clientFor({});
  ctx.touched.add(settings.repository);
  const allowed = await pushImage(ctx, settings.repository, `${ctx.config.runId}-restricted`);
  const repo = ctx.repo('auth-private');
  const image = await pushImage(ctx, repo, 'v1');
  const referrer = artifactManifest(image.manifest, 'application/vnd.touchstone.auth.v1');
  const stored = await ctx.request('PUT', `/v2/${repo}/manifests/${referrer.digest}`, { body: referrer.bytes, headers: { 'Content-Type': referrer.mediaType } });
  expectStatus(stored, [201], 'setup: push a referrer to the private repository');

  const probes = [await anonymous.request('GET', '/v2/'), await anonymous.request('GET', `/v2/${repo}/manifests/v1`)];
  const challenged = probes.find((reply) => reply.status === 401 && registryChallenge(reply.header('www-authenticate')) !== undefined);
  if (challenged === undefined) {
    const answers = probes.map((reply) => `${reply.exchange.method} ${new URL(reply.exchange.url).pathname} → ${reply.status}`).join(', ');
    ctx.skip(`the registry challenges no anonymous request (${answers}): it has no authentication to check`);
  }
  const challenge = registryChallenge(challenged.header('www-authenticate')) as Challenge;
  let early: Token | undefined;
  let earlyWorked = false;
  if (challenge.scheme === 'bearer') {
    early = await tokenFor(ctx, challenge, [`repository:${settings.repository}:pull`]);
    if (early !== undefined) earlyWorked = (await ctx.request('GET', `/v2/${settings.repository}/manifests/${allowed.tag}`, { auth: bearer(early), headers: ACCEPT_MANIFESTS })).status === 200;
  }
  return { settings, restricted, anonymous, allowed, secret: { ...image, referrer }, challenge, early, earlyWorked };
}

/** A token of the first identity holding `scopes`, from the realm of `challenge` (not cached). */
export async function tokenFor(ctx: CheckContext, challenge: Challenge, scopes: readonly string[]): Promise<Token | undefined> {
  const source = ctx.client.auth.sourceOf(challenge, scopes);
  return source === undefined ? undefined : ctx.client.auth.fetch(source);
}

/**
 * With tokens: a token of the restricted identity for `repository:<repo>:pull,push`, the scope
 * Docker asks for a push whatever the challenge names (a registry must not let its pull part open
 * the push); undefined with Basic authentication or when the realm gives none.
 */
export async function restrictedPushToken(setup: AuthSetup, repo: string): Promise<Token | undefined> {
  if (setup.challenge.scheme !== 'bearer') return undefined;
  const source = setup.restricted.auth.sourceOf(setup.challenge, [`repository:${repo}:pull,push`]);
  return source === undefined ? undefined : setup.restricted.auth.fetch(source);
}

export function bearer(token: Token | string): { authorization: string } {
  return { authorization: `Bearer ${typeof token === 'string' ? token : token.value}` };
}

/** The setup when the registry uses tokens; skips the check with Basic authentication. */
export async function tokenSetup(ctx: CheckContext, why: string): Promise<AuthSetup> {
  const setup = await authSetup(ctx);
  if (setup.challenge.scheme !== 'bearer') ctx.skip(`the registry uses ${setup.challenge.scheme === 'basic' ? 'Basic' : setup.challenge.scheme} authentication, no tokens: ${why}`);
  return setup;
}

/** A token of the first identity for `scopes` that works on `check` (GET), or the check skips. */
export async function workingToken(ctx: CheckContext, setup: AuthSetup, scopes: readonly string[], check: string): Promise<Token> {
  const token = await tokenFor(ctx, setup.challenge, scopes);
  if (token === undefined) return ctx.skip(`the realm gave the first identity no token for ${scopes.join(' ')}`);
  const reply = await ctx.request('GET', check, { auth: bearer(token), headers: ACCEPT_MANIFESTS });
  if (reply.status !== 200) throw new CheckFailure(`setup: a token for ${scopes.join(' ')} does not open GET ${check} (${reply.status}): the first identity needs pull and push on the namespace`, reply.exchange);
  return token;
}

/** The first identity still sees `path` as `status` (what a refused request must not have changed). */
export async function expectStill(ctx: CheckContext, path: string, status: number, what: string): Promise<void> {
  const reply = await ctx.request(path.includes('/manifests/') ? 'GET' : 'HEAD', path, { headers: ACCEPT_MANIFESTS });
  expectStatus(reply, [status], what);
}

/** The claims of a JWT, read without checking anything; undefined when the token is not one. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const [, payload] = token.split('.');
  if (token.split('.').length !== 3 || payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
