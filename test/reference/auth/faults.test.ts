/**
 * Each auth fault of reference/faults/auth.ts behaves as its catalog line says, through the real
 * registry over HTTPS: the same request answered correctly by a registry without the fault and
 * wrongly by one with it (auth-catalog-unfiltered is in layer.test.ts: the catalog handler reads
 * its hook). These are the deviations the suite's auth checks must catch.
 */
import t, { type Test } from 'tap';
import { as, basic, bearer, challengeParams, SERVICE, startSecureRegistry, type SecureOptions, type SecureRegistry } from '../../helpers/auth.ts';
import { buildImage, putImage, type StoredImage } from '../../helpers/store.ts';
import { loadSigningKey, TokenIssuer } from '../../../reference/auth/tokens.ts';
import { AUTH_FAULTS, type AuthFaultName } from '../../../reference/faults/auth.ts';
import { DEFAULT_TOKEN_ISSUER } from '../../../reference/auth/setup.ts';

interface Seeded {
  readonly registry: SecureRegistry;
  readonly app: StoredImage;
  readonly secret: StoredImage;
}

const cleanHtpasswd = (await startSecureRegistry(t, { mode: 'htpasswd' })) as SecureRegistry;
const files = { pki: cleanHtpasswd.pki, htpasswd: cleanHtpasswd.htpasswd };
const clean = {
  htpasswd: await seed(cleanHtpasswd),
  token: await seed((await startSecureRegistry(t, { mode: 'token', files })) as SecureRegistry),
};

async function seed(registry: SecureRegistry): Promise<Seeded> {
  return {
    registry,
    app: await putImage(registry.store, 'team/app', 'v1', buildImage('faults-app')),
    secret: await putImage(registry.store, 'private/x', 'v1', buildImage('faults-private')),
  };
}

async function faulty(t: Test, mode: SecureOptions['mode'], fault: AuthFaultName): Promise<Seeded> {
  return seed((await startSecureRegistry(t, { mode, faults: [fault], files })) as SecureRegistry);
}

/** The same request to the clean registry and the faulty one: [clean status, faulty status]. */
async function both(pair: readonly [Seeded, Seeded], request: (s: Seeded) => Promise<{ status: number }>): Promise<[number, number]> {
  return [(await request(pair[0])).status, (await request(pair[1])).status];
}

const key = await loadSigningKey(files.pki.tokenKey, files.pki.tokenChain);
const issue = (now: number, subject: string, access: Array<{ type: string; name: string; actions: string[] }>) =>
  new TokenIssuer(key, { issuer: DEFAULT_TOKEN_ISSUER, service: SERVICE, ttlSeconds: 300 }, () => now).issue(subject, access);

t.test('the catalog of auth faults', async (t) => {
  t.same(Object.keys(AUTH_FAULTS).sort(), [
    'auth-catalog-unfiltered',
    'auth-challenge-without-scope',
    'auth-expired-token-accepted',
    'auth-mount-ignores-source',
    'auth-pull-can-push',
    'auth-scope-any-repository',
    'auth-tampered-token-accepted',
    'auth-wrong-password-accepted',
  ]);
});

t.test('auth-scope-any-repository: a token for team/app is accepted for private/x', async (t) => {
  const pair = [clean.token, await faulty(t, 'token', 'auth-scope-any-repository')] as const;
  const read = (s: Seeded, user: 'bob' | 'alice') => async () => s.registry.call('GET', '/v2/private/x/tags/list', { headers: bearer(await s.registry.token(user, ['repository:team/app:pull'])) });
  t.same(await both(pair, (s) => read(s, 'bob')()), [403, 200], 'bob (no access to private/x) reads it');
  t.same(await both(pair, (s) => read(s, 'alice')()), [401, 200], 'alice\'s token for team/app reads private/x');
});

t.test('auth-pull-can-push: the pull-only identity pushes', async (t) => {
  const basicPair = [clean.htpasswd, await faulty(t, 'htpasswd', 'auth-pull-can-push')] as const;
  t.same(await both(basicPair, (s) => s.registry.call('POST', '/v2/team/app/blobs/uploads/', { headers: as('bob') })), [403, 202], 'bob opens an upload');
  const tokenPair = [clean.token, await faulty(t, 'token', 'auth-pull-can-push')] as const;
  const push = async (s: Seeded) =>
    s.registry.call('PUT', '/v2/team/app/manifests/pushed-by-bob', {
      headers: { ...bearer(await s.registry.token('bob', ['repository:team/app:pull,push'])), 'Content-Type': s.app.manifest.mediaType },
      body: s.app.manifest.bytes,
    });
  t.same(await both(tokenPair, push), [403, 201], 'bob pushes a manifest with his pull token');
  t.same(await both(basicPair, (s) => s.registry.call('DELETE', `/v2/team/app/manifests/${s.app.manifest.digest}`, { headers: as('bob') })), [403, 403], 'delete is still refused');
});

t.test('auth-mount-ignores-source: carol mounts a blob of private/x', async (t) => {
  const pair = [clean.htpasswd, await faulty(t, 'htpasswd', 'auth-mount-ignores-source')] as const;
  const layer = (s: Seeded) => s.secret.layers[0]!.digest;
  t.same(await both(pair, (s) => s.registry.call('POST', `/v2/team/leak/blobs/uploads/?mount=${layer(s)}&from=private/x`, { headers: as('carol') })), [202, 201]);
  t.same(await both(pair, (s) => s.registry.call('GET', `/v2/team/leak/blobs/${layer(s)}`, { headers: as('carol') })), [404, 200], 'and reads it in team/leak');
  const tokenPair = [clean.token, await faulty(t, 'token', 'auth-mount-ignores-source')] as const;
  const challenge = async (s: Seeded) => challengeParams((await s.registry.call('POST', `/v2/team/leak/blobs/uploads/?mount=${layer(s)}&from=private/x`)).header('www-authenticate')).scope;
  t.same([await challenge(tokenPair[0]), await challenge(tokenPair[1])], ['repository:team/leak:push repository:private/x:pull', 'repository:team/leak:push'], 'its challenge no longer names the source');
});

t.test('auth-expired-token-accepted: a token expired an hour ago works; tampered ones still do not', async (t) => {
  const pair = [clean.token, await faulty(t, 'token', 'auth-expired-token-accepted')] as const;
  const expired = (await issue(Date.now() - 3_600_000, 'bob', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token;
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/team/app/tags/list', { headers: bearer(expired) })), [401, 200]);
  const [head, payload] = expired.split('.') as [string, string];
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/team/app/tags/list', { headers: bearer(`${head}.${payload}.AAAA`) })), [401, 401]);
});

t.test('auth-tampered-token-accepted: bob widens his token to private/x', async (t) => {
  const pair = [clean.token, await faulty(t, 'token', 'auth-tampered-token-accepted')] as const;
  const mine = (await issue(Date.now(), 'bob', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token;
  const [head, payload, signature] = mine.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const widened = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'private/x', actions: ['pull'] }] })).toString('base64url');
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/private/x/tags/list', { headers: bearer(`${head}.${widened}.${signature}`) })), [401, 200]);
  const expired = (await issue(Date.now() - 3_600_000, 'bob', [{ type: 'repository', name: 'team/app', actions: ['pull'] }])).token;
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/team/app/tags/list', { headers: bearer(expired) })), [401, 401], 'expiry is still checked');
});

t.test('auth-challenge-without-scope: the Bearer challenge names realm and service only', async (t) => {
  const pair = [clean.token, await faulty(t, 'token', 'auth-challenge-without-scope')] as const;
  const params = async (s: Seeded) => challengeParams((await s.registry.call('GET', '/v2/team/app/tags/list')).header('www-authenticate'));
  t.equal((await params(pair[0])).scope, 'repository:team/app:pull');
  t.same(Object.keys(await params(pair[1])).sort(), ['realm', 'service']);
});

t.test('auth-wrong-password-accepted: any password of a known user works, at the registry and the token endpoint', async (t) => {
  const pair = [clean.htpasswd, await faulty(t, 'htpasswd', 'auth-wrong-password-accepted')] as const;
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/team/app/tags/list', { headers: basic('bob', 'guess') })), [401, 200]);
  t.same(await both(pair, (s) => s.registry.call('GET', '/v2/team/app/tags/list', { headers: basic('mallory', 'guess') })), [401, 401], 'unknown users are still refused');
  const tokenPair = [clean.token, await faulty(t, 'token', 'auth-wrong-password-accepted')] as const;
  t.same(await both(tokenPair, (s) => s.registry.call('GET', `/token?service=${SERVICE}&scope=repository:team/app:pull`, { headers: basic('bob', 'guess') })), [401, 200]);
});
