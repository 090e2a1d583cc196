/**
 * Authentication and authorization (--auth-checks; README "Checking an authenticated registry").
 * No requirement of the OCI spec beyond its error codes — UNAUTHORIZED (401) and DENIED (403),
 * spec "Error Codes" — so each check names the rule it holds the registry to: the distribution
 * token authentication specification (challenges, scoped tokens, the `access` claim), RFC 6750
 * (Bearer: `invalid_token`, `insufficient_scope`), RFC 7617 (Basic), RFC 7519 §4.1.4 (`exp`),
 * RFC 6749 §5.2 (a refused password grant). The callers and content are in auth-setup.ts, with
 * the answers each check allows, as data. A registry that challenges nobody skips them all;
 * checks about tokens skip with Basic authentication. auth.token.expired runs last of all the
 * checks (index.ts), so its token, taken at setup, is as old as the run.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectSpecCodesIfJson, expectStatus } from '../client/expect.ts';
import { parseScope, registryChallenge, scopesOf } from '../client/challenge.ts';
import { basicCredential } from '../client/auth.ts';
import { requestPath } from '../client/exchange.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageManifest, EMPTY_CONFIG, randomBlob } from '../content.ts';
import { authSetup, bearer, expectAnswer, expectStill, jwtClaims, REFUSED, REFUSED_DELETE, REFUSED_READ, restrictedPushToken, tokenFor, tokenSetup, workingToken, type Answers } from './auth-setup.ts';
import type { CheckContext } from './context.ts';
import { defineChecks, type Check } from './types.ts';

const ERRORS = 'spec §Error Codes (UNAUTHORIZED 401, DENIED 403)';
const TOKEN_SPEC = 'distribution token authentication specification';
/** A challenge to an anonymous read: 401 (clients send credentials only after one). */
const CHALLENGED: Answers = { statuses: [401], codes: ['UNAUTHORIZED'] };
/** A token endpoint refusing a password: 401 (GET with Basic), 400 invalid_grant (RFC 6749 §5.2), 403. */
const PASSWORD_REFUSED = [400, 401, 403];
/** A mount the token may not make: refused, or an upload session (202) that mounts nothing. */
const MOUNT_REFUSED: Answers = { statuses: [202, 401, 403], codes: ['UNAUTHORIZED', 'DENIED'] };
/** An expired or altered token: refused (RFC 6750 §3.1 invalid_token, with 401). */
const TOKEN_REFUSED: Answers = { statuses: [401, 403], codes: ['UNAUTHORIZED', 'DENIED'] };
/** A token request naming a service the endpoint does not serve: a client error (RFC 6749 §5.2's invalid_request is 400). */
const OTHER_SERVICE_REFUSED = [400, 401, 403, 404];

const manifestPath = (repo: string, reference: string): string => `/v2/${repo}/manifests/${reference}`;
const blobPath = (repo: string, digest: string): string => `/v2/${repo}/blobs/${digest}`;
const shown = (reply: Reply): string => `${reply.exchange.method} ${requestPath(reply.exchange.url)} → ${reply.status}`;

/** Closes an upload session a refused caller should not have got. */
async function cancel(ctx: CheckContext, reply: Reply, auth?: { authorization: string }): Promise<void> {
  const location = reply.header('location');
  if (reply.status === 202 && location) await ctx.request('DELETE', ctx.client.resolve(location), auth === undefined ? {} : { auth }).catch(() => undefined);
}

const auth = (check: Omit<Check, 'needsAuth'>): Check => ({ ...check, needsAuth: true });

/** Every auth check but the expiry, which index.ts runs last. */
export const AUTH_CHECKS: readonly Check[] = defineChecks([
  auth({
    id: 'auth.challenge.anonymous',
    title: 'An anonymous request to a private repository gets 401 with a challenge naming its realm',
    spec: `${ERRORS}; RFC 9110 §11.6.1, RFC 7617 §2 (Basic: realm REQUIRED); ${TOKEN_SPEC} "How to authenticate" (Bearer realm)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const reply = await setup.anonymous.request('GET', manifestPath(setup.secret.repo, setup.secret.tag), { headers: ACCEPT_MANIFESTS });
      if (reply.status === 200) ctx.skip(`anonymous callers may pull ${setup.secret.repo}, which the run created: the namespace is public, there is no private repository to check with`);
      expectAnswer(reply, CHALLENGED, 'anonymous GET of a manifest in a private repository');
      const challenge = registryChallenge(reply.header('www-authenticate'));
      ensure(challenge !== undefined, `401 without a Basic or Bearer challenge (WWW-Authenticate: ${JSON.stringify(reply.header('www-authenticate') ?? null)})`, reply);
      const realm = challenge.params.realm;
      ensure(realm !== undefined, `the ${challenge.scheme} challenge names no realm`, reply);
      if (challenge.scheme === 'bearer') ensure(/^https?:\/\/[^/\s]+/i.test(realm), `the Bearer realm ${JSON.stringify(realm)} is not an http(s) URL a client can ask for a token`, reply);
    },
  }),
  auth({
    id: 'auth.challenge.scope',
    title: 'A Bearer challenge names the service and the scope the request needs (pull to read, push to upload)',
    spec: `${TOKEN_SPEC} "How to authenticate" (Bearer realm=…,service=…,scope="repository:<name>:<actions>"); RFC 6750 §3 (scope)`,
    level: 'SHOULD',
    async run(ctx) {
      const setup = await tokenSetup(ctx, 'Basic challenges have no scope');
      const { repo, tag } = setup.secret;
      for (const [method, path, action] of [['GET', manifestPath(repo, tag), 'pull'], ['POST', `/v2/${repo}/blobs/uploads/`, 'push']] as const) {
        const reply = await setup.anonymous.request(method, path, { headers: method === 'GET' ? ACCEPT_MANIFESTS : { 'Content-Length': '0' } });
        await cancel(ctx, reply);
        expectStatus(reply, [401], `anonymous ${method} ${path}`);
        const challenge = registryChallenge(reply.header('www-authenticate'));
        ensure(challenge?.scheme === 'bearer', `${shown(reply)} without a Bearer challenge`, reply);
        ensure(challenge.params.service !== undefined, `${shown(reply)}: the challenge names no service (WWW-Authenticate: ${reply.header('www-authenticate')})`, reply);
        const scopes = scopesOf(challenge.params.scope).map(parseScope);
        ensure(scopes.some((s) => s?.type === 'repository' && s.name === repo && (s.actions.includes(action) || s.actions.includes('*'))),
          `${shown(reply)}: the challenge names no scope repository:${repo}:${action} (WWW-Authenticate: ${reply.header('www-authenticate')}), so a client cannot know which token to ask for`, reply);
      }
    },
  }),
  auth({
    id: 'auth.credentials.wrong-password',
    title: 'A wrong password is refused, at the token endpoint or by the registry',
    spec: `RFC 7617 §2, RFC 9110 §15.5.2 (401: "authorization has been refused for those credentials"); ${TOKEN_SPEC} "Requesting a Token"; RFC 6749 §5.2 (invalid_grant)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const username = ctx.config.username ?? '';
      const wrong = `${ctx.config.password ?? ''}-wrong`;
      const path = manifestPath(setup.secret.repo, setup.secret.tag);
      if (setup.challenge.scheme === 'basic') {
        const reply = await ctx.request('GET', path, { auth: { authorization: basicCredential(username, wrong) }, headers: ACCEPT_MANIFESTS });
        expectAnswer(reply, CHALLENGED, `GET ${path} as ${username} with a wrong password`);
        return;
      }
      const realm = new URL(setup.challenge.params.realm ?? '');
      if (setup.challenge.params.service !== undefined) realm.searchParams.set('service', setup.challenge.params.service);
      realm.searchParams.set('scope', `repository:${setup.secret.repo}:pull`);
      const got = await ctx.request('GET', realm.toString(), { auth: { authorization: basicCredential(username, wrong) } });
      const form = new URLSearchParams({ grant_type: 'password', username, password: wrong, client_id: 'touchstone', scope: `repository:${setup.secret.repo}:pull` });
      if (setup.challenge.params.service !== undefined) form.set('service', setup.challenge.params.service);
      const posted = await ctx.request('POST', setup.challenge.params.realm ?? '', { auth: 'none', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      for (const [reply, how] of [[got, 'GET with Basic credentials'], [posted, 'POST grant_type=password']] as const) {
        if (how.startsWith('POST') && [404, 405].includes(reply.status)) continue; // the realm has no OAuth2 form
        if (PASSWORD_REFUSED.includes(reply.status)) continue;
        expectStatus(reply, [200, ...PASSWORD_REFUSED], `the token endpoint, ${how}, with a wrong password`);
        // Some endpoints answer a failed login with an anonymous token: it must open nothing private.
        const body = reply.json<{ token?: string; access_token?: string }>();
        const token = body?.token ?? body?.access_token;
        ensure(token !== undefined, `the token endpoint answered 200 to a wrong password (${how}) without a token`, reply);
        const used = await ctx.request('GET', path, { auth: bearer(token), headers: ACCEPT_MANIFESTS });
        ensure(used.status !== 200, `the token endpoint gave a token for a wrong password of ${username} (${how}), and it opened ${path} (${shown(used)})`, used);
      }
    },
  }),
  auth({
    id: 'auth.token.other-repository',
    title: 'A token for repository A neither reads nor writes repository B',
    spec: `${TOKEN_SPEC} ("Token Authentication Implementation": the access claim lists the repositories and actions granted); RFC 6750 §3.1 (insufficient_scope); ${ERRORS}`,
    level: 'MUST',
    async run(ctx) {
      const setup = await tokenSetup(ctx, 'Basic credentials are not scoped to a repository');
      const a = setup.settings.repository;
      const token = await workingToken(ctx, setup, [`repository:${a}:pull,push`], manifestPath(a, setup.allowed.tag));
      const { repo, tag, layer } = setup.secret;
      const reads: [string, string][] = [['GET', manifestPath(repo, tag)], ['HEAD', blobPath(repo, layer.digest)], ['GET', `/v2/${repo}/tags/list`]];
      for (const [method, path] of reads) {
        expectAnswer(await ctx.request(method, path, { auth: bearer(token), headers: ACCEPT_MANIFESTS }), REFUSED_READ, `${method} ${path} with a token for ${a} only`);
      }
      const upload = await ctx.request('POST', `/v2/${repo}/blobs/uploads/`, { auth: bearer(token), headers: { 'Content-Length': '0' } });
      await cancel(ctx, upload, bearer(token));
      expectAnswer(upload, REFUSED, `POST an upload to ${repo} with a token for ${a} only`);
      const manifest = imageManifest(EMPTY_CONFIG, [layer]);
      const put = await ctx.request('PUT', manifestPath(repo, 'by-other-token'), { auth: bearer(token), body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
      expectAnswer(put, REFUSED, `PUT a manifest to ${repo} with a token for ${a} only`);
      await expectStill(ctx, manifestPath(repo, 'by-other-token'), 404, 'the tag the refused PUT named');
    },
  }),
  auth({
    id: 'auth.pull-only.pull',
    title: 'The pull-only identity pulls its repository: manifest, blob and tags',
    spec: `${TOKEN_SPEC} (a token holds the actions granted); the pull endpoints end-2, end-3, end-8a`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const { repo, tag, layer, manifest } = setup.allowed;
      const hint = ' (is the restricted identity allowed to pull --restricted-repository?)';
      const got = await setup.restricted.request('GET', manifestPath(repo, tag), { headers: ACCEPT_MANIFESTS });
      expectStatus(got, [200], `the restricted identity GETs ${repo}:${tag}${hint}`);
      ensure(got.body.equals(manifest.bytes), `GET ${repo}:${tag} as the restricted identity: not the manifest pushed`, got);
      expectStatus(await setup.restricted.request('GET', blobPath(repo, layer.digest)), [200], `the restricted identity GETs a blob of ${repo}${hint}`);
      const tags = await setup.restricted.request('GET', `/v2/${repo}/tags/list`);
      expectStatus(tags, [200], `the restricted identity lists the tags of ${repo}${hint}`);
    },
  }),
  auth({
    id: 'auth.pull-only.push-blob',
    title: 'The pull-only identity cannot push a blob to the repository it may pull',
    spec: `${ERRORS}; ${TOKEN_SPEC} (push needs the push action)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const repo = setup.allowed.repo;
      const blob = randomBlob(256);
      const session = await setup.restricted.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
      await cancel(ctx, session);
      expectAnswer(session, REFUSED, `the restricted identity opens an upload in ${repo}`);
      const single = await setup.restricted.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: { 'Content-Type': 'application/octet-stream' } });
      await cancel(ctx, single);
      expectAnswer(single, REFUSED, `the restricted identity pushes a blob in one POST to ${repo}`);
      const token = await restrictedPushToken(setup, repo);
      if (token !== undefined) {
        const asked = await setup.restricted.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { auth: bearer(token), body: blob.bytes, headers: { 'Content-Type': 'application/octet-stream' } });
        await cancel(ctx, asked, bearer(token));
        expectAnswer(asked, REFUSED, `the restricted identity pushes a blob to ${repo} with the token it got for repository:${repo}:pull,push`);
      }
      await expectStill(ctx, blobPath(repo, blob.digest), 404, 'the blob the refused push carried');
    },
  }),
  auth({
    id: 'auth.pull-only.push-manifest',
    title: 'The pull-only identity cannot push a manifest, even of blobs already there',
    spec: `${ERRORS}; ${TOKEN_SPEC} (push needs the push action)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const { repo, manifest } = setup.allowed;
      const tag = `${ctx.config.runId}-by-pull-only`;
      const put = await setup.restricted.request('PUT', manifestPath(repo, tag), { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
      expectAnswer(put, REFUSED, `the restricted identity PUTs the manifest under a new tag in ${repo}`);
      const token = await restrictedPushToken(setup, repo);
      if (token !== undefined) {
        const asked = await setup.restricted.request('PUT', manifestPath(repo, tag), { auth: bearer(token), body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
        expectAnswer(asked, REFUSED, `the restricted identity PUTs the manifest in ${repo} with the token it got for repository:${repo}:pull,push`);
      }
      await expectStill(ctx, manifestPath(repo, tag), 404, 'the tag the refused PUT named');
    },
  }),
  auth({
    id: 'auth.pull-only.delete',
    title: 'The pull-only identity cannot delete a manifest or a blob',
    spec: `${ERRORS}; spec §Deleting Manifests, §Deleting Blobs (405 where deletes are off); ${TOKEN_SPEC} (delete is an action of its own)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const { repo, tag, layer, manifest } = setup.allowed;
      expectAnswer(await setup.restricted.request('DELETE', manifestPath(repo, manifest.digest)), REFUSED_DELETE, `the restricted identity DELETEs a manifest of ${repo}`);
      expectAnswer(await setup.restricted.request('DELETE', blobPath(repo, layer.digest)), REFUSED_DELETE, `the restricted identity DELETEs a blob of ${repo}`);
      await expectStill(ctx, manifestPath(repo, tag), 200, 'the manifest the refused DELETE named');
      await expectStill(ctx, blobPath(repo, layer.digest), 200, 'the blob the refused DELETE named');
    },
  }),
  auth({
    id: 'auth.pull-only.mount',
    title: 'The pull-only identity cannot mount a blob of its repository into another one',
    spec: `${ERRORS}; spec §Mounting a blob from another repository (end-11: a mount is a push to the target)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const target = ctx.repo('auth-mount');
      const { repo, layer } = setup.allowed;
      const reply = await setup.restricted.request('POST', `/v2/${target}/blobs/uploads/?mount=${layer.digest}&from=${repo}`, { headers: { 'Content-Length': '0' } });
      await cancel(ctx, reply);
      expectAnswer(reply, REFUSED, `the restricted identity mounts ${layer.digest} from ${repo} into ${target}`);
      await expectStill(ctx, blobPath(target, layer.digest), 404, 'the blob in the target of the refused mount');
    },
  }),
  auth({
    id: 'auth.mount.source-not-pullable',
    title: 'A mount from a repository the token cannot pull never makes the blob available',
    spec: `spec §Mounting a blob from another repository (end-11: 202 when the registry will not mount); ${TOKEN_SPEC} (the mount's source needs pull); pulp_container#1286`,
    level: 'MUST',
    async run(ctx) {
      const setup = await tokenSetup(ctx, 'a Basic identity carries all its rights on every request');
      const target = ctx.repo('auth-mount-target');
      const { repo, layer } = setup.secret;
      const token = await tokenFor(ctx, setup.challenge, [`repository:${target}:pull,push`]);
      if (token === undefined) return ctx.skip(`the realm gave the first identity no token for ${target}`);
      const reply = await ctx.request('POST', `/v2/${target}/blobs/uploads/?mount=${layer.digest}&from=${repo}`, { auth: bearer(token), headers: { 'Content-Length': '0' } });
      await cancel(ctx, reply, bearer(token));
      if (reply.status === 201) throw new CheckFailure(`a token for ${target} alone mounted ${layer.digest} from ${repo}, which it holds no pull on (${shown(reply)})`, reply.exchange);
      expectAnswer(reply, MOUNT_REFUSED, `mount from ${repo} with a token for ${target} only`);
      await expectStill(ctx, blobPath(target, layer.digest), 404, 'the blob in the target of the refused mount');
    },
  }),
  auth({
    id: 'auth.token.tampered',
    title: 'A token whose claims or signature were altered is refused',
    spec: `${TOKEN_SPEC} ("Token Authentication Implementation": the registry verifies the signature); RFC 7515 §5.2; RFC 6750 §3.1 (invalid_token)`,
    level: 'MUST',
    async run(ctx) {
      const setup = await tokenSetup(ctx, 'no token to alter');
      const allowed = setup.settings.repository;
      const opens = manifestPath(allowed, setup.allowed.tag);
      const token = (await workingToken(ctx, setup, [`repository:${allowed}:pull`], opens)).value;
      const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
      expectAnswer(await ctx.request('GET', opens, { auth: bearer(flipped), headers: ACCEPT_MANIFESTS }), TOKEN_REFUSED, `GET ${opens} with the token's signature altered`);
      const claims = jwtClaims(token);
      if (claims === undefined) return 'the tokens are not JWTs: only the altered signature was tried';
      const [header, , signature] = token.split('.');
      const forged = { ...claims, access: [{ type: 'repository', name: setup.secret.repo, actions: ['pull'] }] };
      const altered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
      const path = manifestPath(setup.secret.repo, setup.secret.tag);
      expectAnswer(await ctx.request('GET', path, { auth: bearer(altered), headers: ACCEPT_MANIFESTS }), TOKEN_REFUSED, `GET ${path} with a token whose access claim was rewritten to grant it (signature kept)`);
    },
  }),
  auth({
    id: 'auth.token.other-service',
    title: 'The token endpoint gives no token for another service, or one the registry refuses; never a server error',
    spec: `${TOKEN_SPEC} "Requesting a Token" (service: "The name of the service which hosts the resource"); RFC 7519 §4.1.3 (a JWT whose aud does not name the recipient "MUST be rejected"); ${ERRORS}`,
    level: 'MUST',
    async run(ctx) {
      const setup = await tokenSetup(ctx, 'no token endpoint to ask');
      const { realm, service } = setup.challenge.params;
      if (realm === undefined || !/^https?:\/\//i.test(realm)) return ctx.skip('the Bearer challenge names no http(s) realm: auth.challenge.anonymous says so');
      const other = `${service ?? 'registry'}.touchstone-other.invalid`;
      const url = new URL(realm);
      url.searchParams.set('service', other);
      url.searchParams.set('scope', `repository:${setup.settings.repository}:pull`);
      const { username, password } = ctx.config;
      const reply = await ctx.request('GET', url.toString(), username === undefined ? { auth: 'none' } : { auth: { authorization: basicCredential(username, password ?? '') } });
      const what = `GET the token endpoint for a token of the service ${other} (the challenge names ${JSON.stringify(service ?? null)})`;
      if (reply.status !== 200) {
        expectStatus(reply, OTHER_SERVICE_REFUSED, what);
        expectSpecCodesIfJson(reply, what);
        return `refused: ${reply.status}`;
      }
      const body = reply.json<{ token?: unknown; access_token?: unknown }>();
      const token = [body?.token, body?.access_token].find((value): value is string => typeof value === 'string' && value !== '');
      if (token === undefined) return 'answered 200 without a token';
      const opens = manifestPath(setup.settings.repository, setup.allowed.tag);
      expectAnswer(await ctx.request('GET', opens, { auth: bearer(token), headers: ACCEPT_MANIFESTS }), TOKEN_REFUSED, `GET ${opens} with the token the endpoint gave for the service ${other}`);
      return 'a token was given for another service; the registry refuses it';
    },
  }),
  auth({
    id: 'auth.pull-only.other-repository',
    title: 'The pull-only identity reads nothing of a repository it may not pull',
    spec: `${ERRORS} (404 reveals nothing either); ${TOKEN_SPEC}`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const { repo, tag, layer } = setup.secret;
      for (const [method, path] of [['GET', manifestPath(repo, tag)], ['GET', blobPath(repo, layer.digest)]] as const) {
        const reply = await setup.restricted.request(method, path, { headers: ACCEPT_MANIFESTS });
        expectAnswer(reply, REFUSED_READ, `the restricted identity ${method}s ${path}`);
      }
    },
  }),
  auth({
    id: 'auth.discovery.tags',
    title: 'tags/list reveals nothing of a repository the caller may not pull',
    spec: `spec §Listing Tags (end-8a) with ${ERRORS}`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const reply = await setup.restricted.request('GET', `/v2/${setup.secret.repo}/tags/list`);
      expectAnswer(reply, REFUSED_READ, `the restricted identity lists the tags of ${setup.secret.repo}`);
      ensure(!reply.body.includes(setup.secret.tag), `${shown(reply)} shows the tag ${setup.secret.tag}`, reply);
    },
  }),
  auth({
    id: 'auth.discovery.referrers',
    title: 'The referrers API reveals nothing of a repository the caller may not pull',
    spec: `spec §Listing Referrers (end-12a) with ${ERRORS}`,
    level: 'MUST',
    async run(ctx) {
      const setup = await authSetup(ctx);
      const { repo, manifest, referrer } = setup.secret;
      const reply = await setup.restricted.request('GET', `/v2/${repo}/referrers/${manifest.digest}`);
      expectAnswer(reply, REFUSED_READ, `the restricted identity lists the referrers of ${repo}@${manifest.digest}`);
      ensure(!reply.body.includes(referrer.digest.split(':')[1] as string), `${shown(reply)} shows the referrer ${referrer.digest}`, reply);
    },
  }),
  auth({
    id: 'auth.discovery.catalog',
    title: '_catalog lists no repository the caller may not pull',
    spec: 'Docker Registry HTTP API V2 "Listing Repositories" (optional; Distribution\'s registry:catalog:* scope): a list of what the caller may read',
    level: 'SHOULD',
    nonNormative: true,
    async run(ctx) {
      const setup = await authSetup(ctx);
      const last = `${ctx.config.namespace}/${ctx.config.runId}`;
      const reply = await setup.restricted.request('GET', `/v2/_catalog?n=1000&last=${encodeURIComponent(last)}`);
      if ([401, 403, 404, 405].includes(reply.status)) return `the restricted identity gets no catalog (${reply.status}): nothing revealed`;
      expectStatus(reply, [200], 'the restricted identity GETs /v2/_catalog');
      const names = reply.json<{ repositories?: unknown }>()?.repositories;
      const listed = Array.isArray(names) ? names : [];
      ensure(!listed.includes(setup.secret.repo), `the catalog shows the restricted identity ${setup.secret.repo}, which it may not pull (${shown(reply)})`, reply);
    },
  }),
]);

export const EXPIRY_CHECK: Check = auth({
  id: 'auth.token.expired',
  title: 'An expired token is refused',
  spec: `RFC 7519 §4.1.4 (exp: "MUST NOT be accepted for processing" after it, a small leeway allowed); ${TOKEN_SPEC}; RFC 6750 §3.1 (invalid_token)`,
  level: 'MUST',
  async run(ctx) {
    const setup = await tokenSetup(ctx, 'Basic credentials do not expire');
    const token = setup.early;
    if (token === undefined || !setup.earlyWorked) return ctx.skip('the token taken at setup did not open the restricted repository even when new: nothing to compare with');
    const exp = jwtClaims(token.value)?.exp;
    const expiresAt = typeof exp === 'number' ? exp * 1000 : token.expiresAt;
    const { tokenLeewayMs, tokenWaitMs } = setup.settings;
    const wait = expiresAt + tokenLeewayMs + 1_000 - Date.now();
    if (wait > tokenWaitMs) {
      const lifetime = Math.round((expiresAt - Date.now()) / 1000);
      ctx.skip(`the token taken at setup expires in ${lifetime} s, plus a leeway of ${tokenLeewayMs / 1000} s (--token-leeway): ${Math.ceil(wait / 1000)} s more to wait, longer than --token-wait ${tokenWaitMs / 1000}`);
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const path = manifestPath(setup.allowed.repo, setup.allowed.tag);
    expectAnswer(await ctx.request('GET', path, { auth: bearer(token), headers: ACCEPT_MANIFESTS }), TOKEN_REFUSED, `GET ${path} with a token expired ${Math.round((Date.now() - expiresAt) / 1000)} s ago`);
  },
});
