/**
 * The auth layer around a stand-in for the registry's handler, which answers with what the layer
 * let through: the URL it saw and the per-request hook the catalog uses (requestAccess: the user
 * and canPull, following the policy for the caller's identity, also when the caller holds a token
 * without repository scopes). Without the layer there is no hook and everything is visible.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { withAuth } from '../../../reference/auth/layer.ts';
import { requestAccess } from '../../../reference/auth/request-access.ts';
import { loadAuth, type AuthOptions } from '../../../reference/auth/setup.ts';
import { FaultSet, type FaultName } from '../../../reference/faults/catalog.ts';
import { withAuthFaults } from '../../../reference/faults/auth.ts';
import { call } from '../../helpers/registry.ts';
import { as, basic, bearer, PASSWORDS, POLICY, SERVICE } from '../../helpers/auth.ts';
import { makeHtpasswd, makePki, type Pki } from '../../helpers/pki.ts';
import { tempDir } from '../../helpers/tools.ts';

const NAMES = ['team/app', 'team/other', 'private/x', 'public/img', 'public/a/b'];

interface Seen {
  readonly url: string;
  readonly user: string | null;
  readonly visible: string[] | null;
}

/** What the stand-in answers: the URL, the user and the names the hook lets the catalog show. */
function standIn(req: IncomingMessage, res: ServerResponse): void {
  const access = requestAccess(req);
  const seen: Seen = { url: req.url ?? '', user: access?.user ?? null, visible: access ? NAMES.filter((name) => access.canPull(name)) : null };
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(seen));
}

async function serve(t: Test, listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const dir = await tempDir(t);
const pki = (await makePki(t, dir)) as Pki;
const htpasswd = (await makeHtpasswd(t, join(dir, 'htpasswd'), PASSWORDS)) as string;
const policy = join(dir, 'policy.yaml');
await writeFile(policy, POLICY);

async function layered(t: Test, options: Partial<AuthOptions> & { faults?: FaultName[] } = {}): Promise<string> {
  const { faults, ...rest } = options;
  const mode = rest.mode ?? 'htpasswd';
  const loaded = await loadAuth({ mode, htpasswd, policy, ...(mode === 'token' ? { token: { key: pki.tokenKey, cert: pki.tokenChain } } : {}), ...rest });
  const auth = faults ? { ...loaded, parts: withAuthFaults(loaded.parts, new FaultSet(faults)) } : loaded;
  return serve(t, withAuth(standIn, auth));
}

const seen = async (base: string, path: string, headers: Record<string, string> = {}): Promise<Seen> => {
  const reply = await call(base, 'GET', path, { headers });
  if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${reply.body.toString()}`);
  return reply.json<Seen>();
};

t.test('the hook: who is asking and which repositories the catalog may show them', async (t) => {
  const base = await layered(t);
  t.same(await seen(base, '/v2/_catalog', as('alice')), { url: '/v2/_catalog', user: 'alice', visible: NAMES }, 'alice sees everything');
  t.same((await seen(base, '/v2/_catalog', as('bob'))).visible, ['team/app', 'public/img', 'public/a/b'], 'bob: team/app and what anonymous sees');
  t.same((await seen(base, '/v2/_catalog', as('carol'))).visible, ['team/app', 'team/other', 'public/img', 'public/a/b']);
  t.same(await seen(base, '/v2/_catalog', basic('', '')), { url: '/v2/_catalog', user: null, visible: ['public/img', 'public/a/b'] }, 'the anonymous identity');
  t.equal((await call(base, 'GET', '/v2/_catalog')).status, 401, 'no credentials: the catalog needs an identity');
  t.same((await seen(base, '/v2/team/app/tags/list', as('bob'))).user, 'bob', 'set on every request let through');
});

t.test('with tokens the hook follows the policy for the token\'s subject', async (t) => {
  const base = await layered(t, { mode: 'token' });
  const token = async (user: string) => {
    const reply = await call(base, 'GET', `/token?service=${SERVICE}&scope=registry:catalog:*`, { headers: as(user as 'bob') });
    return reply.json<{ token: string }>().token;
  };
  t.same(await seen(base, '/v2/_catalog', bearer(await token('bob'))), { url: '/v2/_catalog', user: 'bob', visible: ['team/app', 'public/img', 'public/a/b'] });
  t.same((await seen(base, '/v2/_catalog', bearer(await token('alice')))).visible, NAMES);
  const plain = await call(base, 'GET', '/v2/_catalog');
  t.match(plain.header('www-authenticate'), /scope="registry:catalog:\*"/, 'the catalog scope, as Distribution names it');
  t.match(plain.header('www-authenticate'), /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/, 'over plain HTTP the realm is http');
});

t.test('the registry sees a refused mount without mount and from, and secrets replaced', async (t) => {
  const base = await layered(t);
  const d = 'sha256:' + 'b'.repeat(64);
  t.equal((await call(base, 'POST', `/v2/team/x/blobs/uploads/?mount=${d}&from=private/x&digest-algorithm=sha512`, { headers: as('carol') })).json<Seen>().url, '/v2/team/x/blobs/uploads/?digest-algorithm=sha512');
  t.equal((await call(base, 'POST', `/v2/team/x/blobs/uploads/?mount=${d}&from=team/app`, { headers: as('carol') })).json<Seen>().url, `/v2/team/x/blobs/uploads/?mount=${d}&from=team/app`, 'an allowed mount is left alone');
  t.equal((await seen(base, '/v2/public/img/tags/list?n=1&Password=p&pass%77ord=q')).url, '/v2/public/img/tags/list?n=1&Password=REDACTED&pass%77ord=REDACTED', 'names matched decoded and in any case');
});

t.test('GET /v2/: an identity is needed, and anonymous needs some access', async (t) => {
  const open = await layered(t);
  const closed = await layered(t, { policy: undefined });
  t.equal((await call(open, 'GET', '/v2/', { headers: basic('', '') })).status, 200, 'anonymous with access to public/**');
  t.equal((await call(closed, 'GET', '/v2/', { headers: basic('', '') })).status, 401, 'anonymous without any access (no policy)');
  t.equal((await call(closed, 'GET', '/v2/', { headers: as('dave') })).status, 200, 'a user');
  t.equal((await call(closed, 'GET', '/v2/team/app/tags/list', { headers: as('dave') })).status, 200, 'without a policy users may do everything');
  const tokens = await layered(t, { mode: 'token', policy: undefined });
  const anonymous = (await call(tokens, 'GET', `/token?service=${SERVICE}`)).json<{ token: string }>().token;
  t.equal((await call(tokens, 'GET', '/v2/', { headers: bearer(anonymous) })).status, 401, 'an anonymous token when anonymous has no access');
});

t.test('without the layer there is no hook: everything is visible', async (t) => {
  const base = await serve(t, standIn);
  t.same(await seen(base, '/v2/_catalog'), { url: '/v2/_catalog', user: null, visible: null });
});

t.test('auth-catalog-unfiltered: the hook lets the catalog show every repository', async (t) => {
  const base = await layered(t, { faults: ['auth-catalog-unfiltered'] });
  t.same((await seen(base, '/v2/_catalog', as('bob'))).visible, NAMES, 'bob sees private/x');
  t.same((await seen(base, '/v2/_catalog', basic('', ''))).visible, NAMES);
});

t.test('a layer failure is a 500, never a crash', async (t) => {
  const auth = await loadAuth({ mode: 'htpasswd', htpasswd, policy });
  const broken = { ...auth, parts: { ...auth.parts, requirementOf: () => { throw new Error('boom'); } } };
  const base = await serve(t, withAuth(standIn, broken));
  const reply = await call(base, 'GET', '/v2/');
  t.equal(reply.status, 500);
  t.equal((await call(base, 'GET', '/v2/')).status, 500, 'and the server goes on');
});

t.test('a target that is no URL path goes to the registry, whose router refuses it (400), never a 500 from the layer', async (t) => {
  for (const mode of ['htpasswd', 'token'] as const) {
    const base = await layered(t, { mode });
    const target = '//registry.invalid:99999/v2/team/app/tags/list';
    const reply = await call(base, 'GET', target);
    t.equal(reply.status, 200, `${mode}: the stand-in answered (${reply.body.toString().slice(0, 200)})`);
    t.equal(reply.json<Seen>().url, target, `${mode}: the target reached the registry as sent`);
  }
});
