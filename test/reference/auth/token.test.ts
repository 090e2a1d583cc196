/**
 * The reference registry over HTTPS with token authentication: the token endpoint (GET with Basic
 * or anonymous, POST with the OAuth2 password grant) grants what was asked intersected with the
 * policy; the registry challenges with `Bearer realm,service,scope` naming exactly what the
 * request needs (both scopes for a mount), refuses invalid tokens (expired, tampered, another key,
 * issuer or audience) with error="invalid_token", asks for a new token when the policy would
 * grant what the token lacks (error="insufficient_scope"), and answers 403 DENIED otherwise.
 */
import t from 'tap';
import { decodeJwt } from 'jose';
import { as, basic, bearer, challengeParams, errorCode, SERVICE, startSecureRegistry, type SecureRegistry } from '../../helpers/auth.ts';
import { buildImage, putImage } from '../../helpers/store.ts';
import { loadSigningKey, TokenIssuer } from '../../../reference/auth/tokens.ts';
import { DEFAULT_TOKEN_ISSUER } from '../../../reference/auth/setup.ts';

const registry = (await startSecureRegistry(t, { mode: 'token' })) as SecureRegistry;
const realm = `${registry.url}/token`;
const app = await putImage(registry.store, 'team/app', 'v1', buildImage('token-app'));
const secret = await putImage(registry.store, 'private/x', 'v1', buildImage('token-private'));
await putImage(registry.store, 'public/img', 'v1', buildImage('token-public'));
const key = await loadSigningKey(registry.pki.tokenKey, registry.pki.tokenChain);

const tokenUrl = (...scopes: string[]) => {
  const query = new URLSearchParams({ service: SERVICE });
  for (const scope of scopes) query.append('scope', scope);
  return `/token?${query}`;
};
const accessOf = (token: string) => decodeJwt(token).access;

t.test('GET /token grants what was asked intersected with the policy, never an error for asking more', async (t) => {
  const reply = await registry.call('GET', tokenUrl('repository:team/app:pull,push,delete', 'repository:private/x:pull repository:public/img:*'), { headers: as('bob') });
  t.equal(reply.status, 200);
  t.equal(reply.header('cache-control'), 'no-store', 'RFC 6749 §5.1');
  const body = reply.json<{ token: string; access_token: string; expires_in: number; issued_at: string }>();
  t.equal(body.access_token, body.token, 'token and access_token are the same');
  t.equal(body.expires_in, 300);
  t.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 60_000, 'issued_at is now (RFC 3339)');
  const claims = decodeJwt(body.token);
  t.equal(claims.sub, 'bob');
  t.equal(claims.iss, DEFAULT_TOKEN_ISSUER);
  t.equal(claims.aud, SERVICE);
  t.same(claims.access, [
    { type: 'repository', name: 'team/app', actions: ['pull'] },
    { type: 'repository', name: 'public/img', actions: ['pull'] },
  ], 'only the granted actions; private/x left out');
  t.same(accessOf(await registry.token(undefined, ['repository:team/app:pull', 'repository:public/img:pull'])), [{ type: 'repository', name: 'public/img', actions: ['pull'] }], 'anonymous');
  t.same(accessOf(await registry.token('alice', ['repository:a:*', 'registry:catalog:*'])), [
    { type: 'repository', name: 'a', actions: ['pull', 'push', 'delete'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ], '* asks for every action');
  t.same(accessOf(await registry.token('bob', [])), [], 'no scope: a token for /v2/ only');
  const noService = await registry.call('GET', '/token?scope=repository:team/app:pull', { headers: as('bob') });
  t.equal(noService.status, 200, 'service may be left out');
});

t.test('GET /token refuses wrong credentials, another service and malformed scopes', async (t) => {
  const wrong = await registry.call('GET', tokenUrl('repository:team/app:pull'), { headers: basic('bob', 'wrong') });
  t.equal(wrong.status, 401);
  t.equal(errorCode(wrong), 'UNAUTHORIZED');
  t.equal(wrong.header('www-authenticate'), 'Basic realm="touchstone", charset="UTF-8"');
  const unknown = await registry.call('GET', tokenUrl(), { headers: basic('mallory', 'x') });
  t.equal(unknown.status, 401);
  const notBasic = await registry.call('GET', tokenUrl(), { headers: { Authorization: 'Bearer x' } });
  t.equal(notBasic.status, 401, 'credentials that are not Basic are not anonymous');
  const service = await registry.call('GET', '/token?service=another&scope=repository:team/app:pull', { headers: as('bob') });
  t.equal(service.status, 400);
  t.match(service.body.toString(), 'issues tokens for the service touchstone-registry');
  const scope = await registry.call('GET', tokenUrl('repository:team/app'), { headers: as('bob') });
  t.equal(scope.status, 400);
  t.equal(errorCode(scope), 'UNSUPPORTED');
  const put = await registry.call('PUT', '/token');
  t.equal(put.status, 405);
  t.equal(put.header('allow'), 'GET, POST');
});

t.test('POST /token: the OAuth2 password grant containerd sends', async (t) => {
  const form = (fields: Record<string, string>) => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const ok = await registry.call('POST', '/token', form({ grant_type: 'password', username: 'carol', password: 'carol-secret-pw', service: SERVICE, scope: 'repository:team/a:pull,push repository:private/x:pull', client_id: 'containerd' }));
  t.equal(ok.status, 200);
  const body = ok.json<{ access_token: string; expires_in: number }>();
  t.same(accessOf(body.access_token), [{ type: 'repository', name: 'team/a', actions: ['pull', 'push'] }]);
  t.equal(body.expires_in, 300);
  const cases: Array<[string, ReturnType<typeof form> | { headers: Record<string, string>; body: string }, string]> = [
    ['a wrong password', form({ grant_type: 'password', username: 'carol', password: 'nope', service: SERVICE }), 'invalid_grant'],
    ['a refresh token', form({ grant_type: 'refresh_token', refresh_token: 'x', service: SERVICE }), 'unsupported_grant_type'],
    ['no username', form({ grant_type: 'password', password: 'x' }), 'invalid_request'],
    ['a malformed scope', form({ grant_type: 'password', username: 'carol', password: 'carol-secret-pw', scope: 'repository' }), 'invalid_scope'],
    ['not a form', { headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'invalid_request'],
  ];
  for (const [what, request, error] of cases) {
    const reply = await registry.call('POST', '/token', request);
    t.equal(reply.status, 400, `${what}: 400`);
    t.equal(reply.json<{ error: string }>().error, error, `${what}: ${error} (RFC 6749 §5.2)`);
  }
});

t.test('challenges name exactly the scope the request needs', async (t) => {
  const d = app.config.digest;
  const rows: Array<[string, string, string | undefined]> = [
    ['GET', '/v2/', undefined],
    ['GET', '/v2/team/app/tags/list', 'repository:team/app:pull'],
    ['HEAD', `/v2/team/app/blobs/${d}`, 'repository:team/app:pull'],
    ['GET', `/v2/team/app/referrers/${app.manifest.digest}`, 'repository:team/app:pull'],
    ['PUT', '/v2/team/app/manifests/v2', 'repository:team/app:push'],
    ['POST', '/v2/team/app/blobs/uploads/', 'repository:team/app:push'],
    ['DELETE', `/v2/team/app/manifests/${app.manifest.digest}`, 'repository:team/app:delete'],
    ['POST', `/v2/team/b/blobs/uploads/?mount=${d}&from=team/app`, 'repository:team/b:push repository:team/app:pull'],
    ['GET', '/v2/_catalog', 'registry:catalog:*'],
  ];
  for (const [method, path, scope] of rows) {
    const reply = await registry.call(method, path);
    t.equal(reply.status, 401, `${method} ${path}: 401`);
    const header = reply.header('www-authenticate') ?? '';
    t.match(header, /^Bearer realm="[^"]+",service="[^"]+"/, `${method} ${path}: a Bearer challenge`);
    t.same(challengeParams(header), { realm, service: SERVICE, ...(scope === undefined ? {} : { scope }) }, `${method} ${path}: scope ${scope ?? '(none)'}`);
    if (method !== 'HEAD') t.equal(errorCode(reply), 'UNAUTHORIZED');
  }
  const viaLocalhost = await registry.call('GET', registry.url.replace('127.0.0.1', 'localhost') + '/v2/');
  t.equal(challengeParams(viaLocalhost.header('www-authenticate')).realm, realm.replace('127.0.0.1', 'localhost'), 'the realm is this server as the client reached it');
  const basicToRegistry = await registry.call('GET', '/v2/team/app/tags/list', { headers: as('bob') });
  t.equal(basicToRegistry.status, 401, 'Basic credentials sent to the registry itself get the Bearer challenge');
  t.match(basicToRegistry.header('www-authenticate'), /^Bearer /);
});

t.test('tokens: what they hold is allowed, nothing else', async (t) => {
  const bob = await registry.token('bob', ['repository:team/app:pull,push']);
  const alice = await registry.token('alice', ['repository:team/app:pull']);
  const anonymous = await registry.token(undefined, ['repository:public/img:pull']);
  const empty = await registry.token(undefined, []);
  const carolPull = await registry.token('carol', ['repository:team/app:pull']);
  const check = async (what: string, method: string, path: string, token: string, status: number, extra: { code?: string; error?: string; scope?: string } = {}) => {
    const reply = await registry.call(method, path, { headers: { ...bearer(token), 'Content-Type': app.manifest.mediaType }, body: method === 'PUT' ? app.manifest.bytes : undefined });
    t.equal(reply.status, status, `${what}: ${status}`, { body: reply.body.toString() });
    if (extra.code) t.equal(errorCode(reply), extra.code, `${what}: ${extra.code}`);
    const params = challengeParams(reply.header('www-authenticate'));
    t.equal(params.error, extra.error, `${what}: error=${extra.error ?? '(none)'}`);
    if (extra.scope) t.equal(params.scope, extra.scope, `${what}: scope ${extra.scope}`);
  };
  await check('bob pulls team/app', 'GET', '/v2/team/app/manifests/v1', bob, 200);
  await check('GET /v2/ with a token', 'GET', '/v2/', bob, 200);
  await check('GET /v2/ with an anonymous token, anonymous having some access', 'GET', '/v2/', empty, 200);
  await check('anonymous pulls public/img', 'GET', '/v2/public/img/tags/list', anonymous, 200);
  await check('anonymous token for team/app', 'GET', '/v2/team/app/tags/list', anonymous, 401, { code: 'UNAUTHORIZED', error: 'insufficient_scope', scope: 'repository:team/app:pull' });
  await check('bob\'s token pushes (the policy gives him pull only)', 'PUT', '/v2/team/app/manifests/v2', bob, 403, { code: 'DENIED' });
  await check('bob\'s token for team/app used on private/x', 'GET', '/v2/private/x/tags/list', bob, 403, { code: 'DENIED' });
  await check('alice\'s token for team/app used on private/x: a new token would do', 'GET', '/v2/private/x/tags/list', alice, 401, { code: 'UNAUTHORIZED', error: 'insufficient_scope', scope: 'repository:private/x:pull' });
  await check('carol\'s pull token pushes: a new token would do', 'POST', '/v2/team/app/blobs/uploads/', carolPull, 401, { error: 'insufficient_scope', scope: 'repository:team/app:push' });
  const carolPush = await registry.token('carol', ['repository:team/app:pull,push']);
  await check('carol\'s push token pushes', 'POST', '/v2/team/app/blobs/uploads/', carolPush, 202);
  await check('alice deletes without delete in her token', 'DELETE', `/v2/private/x/manifests/${secret.manifest.digest}`, alice, 401, { error: 'insufficient_scope', scope: 'repository:private/x:delete' });
  const aliceDelete = await registry.token('alice', ['repository:private/x:delete']);
  await check('alice deletes with delete in her token', 'DELETE', `/v2/private/x/manifests/${secret.manifest.digest}`, aliceDelete, 202);
});

t.test('invalid tokens are refused with error="invalid_token"', async (t) => {
  const good = await registry.token('alice', ['repository:team/app:pull']);
  const now = Date.now();
  const settings = { issuer: DEFAULT_TOKEN_ISSUER, service: SERVICE, ttlSeconds: 300 };
  const [head, payload, signature] = good.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const other = await loadSigningKey(registry.pki.otherKey, registry.pki.otherChain);
  const tokens: Array<[string, string]> = [
    ['expired', (await new TokenIssuer(key, settings, () => now - 3_600_000).issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token],
    ['not yet valid', (await new TokenIssuer(key, settings, () => now + 3_600_000).issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token],
    ['tampered', `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url')}.${signature}`],
    ['signed by another key', (await new TokenIssuer(other, settings).issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token],
    ['another issuer', (await new TokenIssuer(key, { ...settings, issuer: 'elsewhere' }).issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token],
    ['another audience', (await new TokenIssuer(key, { ...settings, service: 'another-registry' }).issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token],
    ['garbage', 'not.a.token'],
  ];
  for (const [what, token] of tokens) {
    const reply = await registry.call('GET', '/v2/team/app/tags/list', { headers: bearer(token) });
    t.equal(reply.status, 401, `${what}: 401`);
    t.equal(errorCode(reply), 'UNAUTHORIZED');
    t.same(challengeParams(reply.header('www-authenticate')), { realm, service: SERVICE, scope: 'repository:team/app:pull', error: 'invalid_token' }, `${what}: invalid_token`);
    t.notMatch(reply.body.toString(), token.slice(-20), `${what}: the body does not echo the token`);
  }
  const fine = await registry.call('GET', '/v2/team/app/tags/list', { headers: bearer(good) });
  t.equal(fine.status, 200, 'the untampered token works');
});

t.test('mounts with tokens: pull on the source is needed, else an upload session', async (t) => {
  const d = app.layers[0]!.digest;
  const secretLayer = secret.layers[0]!.digest;
  const post = async (target: string, query: string, token: string) => registry.call('POST', `/v2/${target}/blobs/uploads/?${query}`, { headers: bearer(token) });
  const forbidden = await registry.token('carol', ['repository:team/m:pull,push', 'repository:private/x:pull']);
  t.same(accessOf(forbidden), [{ type: 'repository', name: 'team/m', actions: ['pull', 'push'] }], 'carol gets no pull on private/x');
  const refused = await post('team/m', `mount=${secretLayer}&from=private/x`, forbidden);
  t.equal(refused.status, 202, 'a mount from private/x falls back to an upload session');
  t.equal((await registry.call('HEAD', `/v2/team/m/blobs/${secretLayer}`, { headers: bearer(await registry.token('alice', ['repository:team/m:pull'])) })).status, 404);
  const targetOnly = await registry.token('carol', ['repository:team/m:pull,push']);
  const askAgain = await post('team/m', `mount=${d}&from=team/app`, targetOnly);
  t.equal(askAgain.status, 401, 'a token without pull on a source the policy grants: ask for a new token');
  t.same(challengeParams(askAgain.header('www-authenticate')), { realm, service: SERVICE, scope: 'repository:team/m:push repository:team/app:pull', error: 'insufficient_scope' });
  const both = await registry.token('carol', ['repository:team/m:pull,push', 'repository:team/app:pull']);
  const mounted = await post('team/m', `mount=${d}&from=team/app`, both);
  t.equal(mounted.status, 201, 'with both scopes the mount happens');
  t.equal(mounted.header('location'), `/v2/team/m/blobs/${d}`);
});
