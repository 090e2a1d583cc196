/**
 * The client authenticates as real clients do (conformance/client/auth.ts), against a small fake
 * registry and token realm: one token per scope, the challenge's scopes honoured (several for a
 * mount), POST grant_type=password first with a fallback to GET for realms without it, a token
 * refreshed before it expires and fetched again when the registry answers 401 again; exchange
 * records hold no credential, token or password.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { parseChallenges, registryChallenge, scopesOf, parseScope } from '../../../conformance/client/challenge.ts';
import { bodyText, type Exchange } from '../../../conformance/client/exchange.ts';
import { requestScopes, routeOf } from '../../../conformance/client/auth.ts';

interface TokenRequest {
  readonly method: string;
  readonly service: string | null;
  readonly scopes: string[];
  readonly user: string | undefined;
  readonly form: Record<string, string>;
}

interface Realm {
  readonly url: string;
  readonly tokens: TokenRequest[];
  /** "METHOD path authorization" of every registry request. */
  readonly requests: string[];
  /** Tokens the registry refuses as invalid from now on. */
  readonly revoked: Set<string>;
}

/**
 * A registry whose every /v2/<name>/… request needs `repository:<name>:pull` (GET/HEAD) or
 * `:push` (others and upload sessions; a mount also pull on `from`), and a realm at /token issuing `tok-N` tokens
 * holding the scopes asked. `post`: whether the realm takes the OAuth2 form.
 */
/** expiresIn 0: the answer has neither expires_in nor issued_at. */
/** noScope: challenges name realm and service only. */
async function realm(t: Test, options: { post: boolean; expiresIn?: number; password?: string; noScope?: boolean }): Promise<Realm> {
  const tokens: TokenRequest[] = [];
  const requests: string[] = [];
  const revoked = new Set<string>();
  const granted = new Map<string, string[]>();
  let url = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://x');
      if (parsed.pathname === '/token') {
        if (req.method === 'POST' && !options.post) return void res.writeHead(405).end();
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
        const basic = req.headers.authorization === undefined ? undefined : Buffer.from(req.headers.authorization.slice(6), 'base64').toString();
        const user = req.method === 'POST' ? `${form.username}:${form.password}` : basic;
        const scopes = req.method === 'POST' ? scopesOf(form.scope) : parsed.searchParams.getAll('scope');
        tokens.push({ method: req.method ?? '', service: req.method === 'POST' ? form.service ?? null : parsed.searchParams.get('service'), scopes, user, form });
        if (user !== undefined && user !== `u:${options.password ?? 'p'}`) {
          return void res.writeHead(req.method === 'POST' ? 400 : 401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
        }
        const token = `tok-${tokens.length}`;
        granted.set(token, scopes);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const lifetime = options.expiresIn === 0 ? {} : { expires_in: options.expiresIn ?? 300, issued_at: new Date().toISOString() };
        return void res.end(JSON.stringify({ token, access_token: token, ...lifetime }));
      }
      const authorization = req.headers.authorization;
      requests.push(`${req.method} ${parsed.pathname}${parsed.search} ${authorization ?? '-'}`);
      const name = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(parsed.pathname)?.[1];
      const reads = (req.method === 'GET' || req.method === 'HEAD') && !parsed.pathname.includes('/blobs/uploads/');
      const need = name === undefined ? [] : [`repository:${name}:${reads ? 'pull' : 'push'}`];
      const from = parsed.searchParams.get('from');
      if (from !== null) need.push(`repository:${from}:pull`);
      const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
      const challenge = (error?: string) => {
        const header = `Bearer realm="${url}/token",service="reg"${need.length > 0 && !options.noScope ? `,scope="${need.join(' ')}"` : ''}${error ? `,error="${error}"` : ''}`;
        res.writeHead(401, { 'WWW-Authenticate': header, 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      };
      if (token === undefined) return challenge();
      if (revoked.has(token) || !granted.has(token)) return challenge('invalid_token');
      const holds = (scope: string) => granted.get(token)?.some((g) => {
        const [have, want] = [parseScope(g), parseScope(scope)];
        return have !== undefined && have.name === want?.name && want.actions.every((action) => have.actions.includes(action));
      });
      if (!need.every(holds)) return challenge('insufficient_scope');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => {
    server.closeAllConnections();
    server.close(() => ok());
  }));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, tokens, requests, revoked };
}

function client(t: Test, url: string, extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ baseUrl: url, timeoutMs: 5_000, username: 'u', password: 'p', ...extra });
  t.teardown(() => c.close());
  return c;
}

t.test('one token per scope, fetched by POST grant_type=password, sent at once to the route it was for', async (t) => {
  const r = await realm(t, { post: true });
  const c = client(t, r.url);
  t.equal((await c.request('GET', '/v2/a/manifests/x')).status, 200);
  t.equal((await c.request('GET', '/v2/b/manifests/x')).status, 200);
  t.equal((await c.request('HEAD', '/v2/a/blobs/sha256:1')).status, 200);
  t.equal((await c.request('PUT', '/v2/a/manifests/y', { body: '{}' })).status, 200);
  t.same(r.tokens.map((x) => [x.method, x.service, x.scopes]), [
    ['POST', 'reg', ['repository:a:pull']],
    ['POST', 'reg', ['repository:b:pull']],
    ['POST', 'reg', ['repository:a:push']],
  ], 'a token for each scope the registry named, none twice');
  t.same(r.tokens[0]?.form, { grant_type: 'password', username: 'u', password: 'p', client_id: 'touchstone', service: 'reg', scope: 'repository:a:pull' }, 'the OAuth2 password grant (RFC 6749 §4.3)');
  t.same(r.requests, [
    'GET /v2/a/manifests/x -', 'GET /v2/a/manifests/x Bearer tok-1',
    'GET /v2/b/manifests/x -', 'GET /v2/b/manifests/x Bearer tok-2',
    'HEAD /v2/a/blobs/sha256:1 Bearer tok-1',
    'PUT /v2/a/manifests/y -', 'PUT /v2/a/manifests/y Bearer tok-3',
  ], 'a route that has its token sends it without a challenge');
});

t.test('a realm without the OAuth2 form: GET with Basic credentials, and GET from then on', async (t) => {
  const r = await realm(t, { post: false });
  const c = client(t, r.url);
  t.equal((await c.request('GET', '/v2/a/tags/list')).status, 200);
  t.equal((await c.request('GET', '/v2/b/tags/list')).status, 200);
  t.same(r.tokens.map((x) => [x.method, x.scopes, x.user]), [['GET', ['repository:a:pull'], 'u:p'], ['GET', ['repository:b:pull'], 'u:p']], 'the POST was refused (405): not asked again');
  const anonymous = new RegistryClient({ baseUrl: r.url, timeoutMs: 5_000 });
  t.teardown(() => anonymous.close());
  t.equal((await anonymous.request('GET', '/v2/c/tags/list')).status, 200);
  t.same(r.tokens.at(-1), { method: 'GET', service: 'reg', scopes: ['repository:c:pull'], user: undefined, form: {} }, 'anonymous: GET without credentials');
});

t.test('a mount asks one token for every scope of the challenge', async (t) => {
  const r = await realm(t, { post: true });
  const c = client(t, r.url);
  t.equal((await c.request('POST', '/v2/target/blobs/uploads/?mount=sha256:1&from=source')).status, 200);
  t.same(r.tokens.map((x) => x.scopes), [['repository:target:push', 'repository:source:pull']]);
  const get = await realm(t, { post: false });
  const g = client(t, get.url);
  t.equal((await g.request('POST', '/v2/target/blobs/uploads/?mount=sha256:1&from=source')).status, 200);
  t.same(get.tokens.at(-1)?.scopes, ['repository:target:push', 'repository:source:pull'], 'GET: one scope parameter each');
});

t.test('a challenge without scope: the scope the request needs, as Docker asks it', async (t) => {
  const r = await realm(t, { post: true, noScope: true });
  const c = client(t, r.url);
  t.equal((await c.request('GET', '/v2/a/b/manifests/x')).status, 200);
  t.equal((await c.request('PUT', '/v2/a/b/manifests/y', { body: '{}' })).status, 200);
  t.equal((await c.request('POST', '/v2/t/blobs/uploads/?mount=sha256:1&from=s')).status, 200);
  t.equal((await c.request('GET', '/v2/u/blobs/uploads/some-session')).status, 200);
  t.same(r.tokens.map((x) => x.scopes), [['repository:a/b:pull'], ['repository:a/b:pull,push'], ['repository:t:pull,push', 'repository:s:pull'], ['repository:u:pull,push']], 'an upload session\'s status too needs push');
  t.equal((await c.request('GET', '/v2/_catalog')).status, 200, 'outside a repository: the registry wants no scope here');
  t.same(requestScopes('POST', 'http://r/_touchstone/gc?advance=60'), ['registry:gc:*'], 'the reference\'s GC trigger (--gc-touchstone)');
  t.same(requestScopes('DELETE', 'http://r/v2/a/manifests/sha256:1'), ['repository:a:delete']);
  // A percent-encoding that does not decode (validation.target.percent-encoding sends it on purpose) is kept as sent.
  t.same(requestScopes('GET', 'http://r/v2/a%zz/tags/list'), ['repository:a%zz:pull']);
});

t.test('a token is fetched again before it expires, and when the registry answers 401 again', async (t) => {
  const r = await realm(t, { post: true, expiresIn: 20 });
  let now = Date.now();
  const c = client(t, r.url, { now: () => now });
  await c.request('GET', '/v2/a/manifests/x');
  now += 14_000;
  await c.request('GET', '/v2/a/manifests/x');
  t.equal(r.tokens.length, 1, 'still valid: reused');
  now += 2_000;
  t.equal((await c.request('GET', '/v2/a/manifests/x')).status, 200);
  t.equal(r.tokens.length, 2, 'within the last quarter of its life (at most 5 s): fetched again first');
  t.equal(r.requests.at(-1), 'GET /v2/a/manifests/x Bearer tok-2', 'and sent without a challenge');
  r.revoked.add('tok-2');
  t.equal((await c.request('GET', '/v2/a/manifests/x')).status, 200, 'invalid_token: a new token, the request retried');
  t.same(r.requests.slice(-2), ['GET /v2/a/manifests/x Bearer tok-2', 'GET /v2/a/manifests/x Bearer tok-3']);
  const defaults = await realm(t, { post: true, expiresIn: 0 });
  const d = client(t, defaults.url, { now: () => now });
  await d.request('GET', '/v2/a/manifests/x');
  now += 50_000;
  await d.request('GET', '/v2/a/manifests/x');
  t.equal(defaults.tokens.length, 1, 'no expires_in: 60 s (the token specification\'s default)');
  now += 6_000;
  await d.request('GET', '/v2/a/manifests/x');
  t.equal(defaults.tokens.length, 2);
});

t.test('wrong credentials: the refusal stands, no loop', async (t) => {
  const r = await realm(t, { post: true, password: 'right' });
  const c = client(t, r.url);
  const reply = await c.request('GET', '/v2/a/manifests/x');
  t.equal(reply.status, 401);
  t.same(r.tokens.map((x) => x.method), ['POST', 'GET'], 'invalid_grant (400) from the POST, then the GET refused too');
});

t.test('no Authorization, or a given one: sent as asked, no challenge answered', async (t) => {
  const r = await realm(t, { post: true });
  const c = client(t, r.url);
  t.equal((await c.request('GET', '/v2/a/manifests/x', { auth: 'none' })).status, 401);
  t.equal((await c.request('GET', '/v2/a/manifests/x', { auth: { authorization: 'Bearer forged' } })).status, 401);
  t.equal((await c.request('GET', '/v2/a/manifests/x', { headers: { Authorization: 'Bearer forged2' } })).status, 401);
  t.same(r.tokens, [], 'no token fetched');
  t.same(r.requests, ['GET /v2/a/manifests/x -', 'GET /v2/a/manifests/x Bearer forged', 'GET /v2/a/manifests/x Bearer forged2']);
  const [none, given] = c.log.since(0);
  t.equal(none?.auth, undefined);
  t.same(given?.auth, { kind: 'given' });
  t.equal(given?.requestHeaders.Authorization, 'Bearer [redacted]');
});

t.test('exchange records hold no password, token or Authorization value', async (t) => {
  const r = await realm(t, { post: true });
  const c = client(t, r.url, { password: 'p', credentialNames: { username: 'MY_USER', password: 'MY_PASSWORD' } });
  await c.request('GET', '/v2/a/manifests/x');
  const exchanges: Exchange[] = c.log.since(0);
  const text = JSON.stringify(exchanges);
  t.notMatch(text, /tok-\d/, 'no token anywhere');
  t.notMatch(text, /password=p\b|"p"/, 'no password');
  const [challenged, token, retried] = exchanges;
  t.equal(challenged?.auth, undefined);
  t.same(token?.auth, { kind: 'token-request', token: { realm: `${r.url}/token`, service: 'reg', scopes: ['repository:a:pull'], method: 'POST', credentials: { username: 'MY_USER', password: 'MY_PASSWORD' } } });
  t.match(bodyText(token?.requestBody), /password=%5Bredacted%5D/, 'the form\'s password redacted');
  t.match(bodyText(token?.responseBody), /"token":"\[redacted\]"/, 'the answer\'s token redacted');
  t.match(bodyText(token?.responseBody), /"expires_in":300/, 'the rest kept');
  t.equal(retried?.requestHeaders.Authorization, 'Bearer [redacted]');
  t.same(retried?.auth, { kind: 'bearer', token: token?.auth?.kind === 'token-request' ? token.auth.token : undefined });
});

t.test('challenges parse as RFC 9110 §11.6.1 writes them', async (t) => {
  t.same(parseChallenges('Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push repository:y:pull",error="insufficient_scope"'), [
    { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg', scope: 'repository:x:pull,push repository:y:pull', error: 'insufficient_scope' } },
  ]);
  t.same(parseChallenges('Basic realm="a \\"b\\", c", charset=UTF-8, Bearer realm="r"'), [
    { scheme: 'basic', params: { realm: 'a "b", c', charset: 'UTF-8' } },
    { scheme: 'bearer', params: { realm: 'r' } },
  ]);
  t.same(parseChallenges(undefined), []);
  t.same(parseChallenges('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  t.equal(registryChallenge('Negotiate, Basic realm="x"')?.scheme, 'basic');
  t.same(parseScope('repository:localhost:5000/a/b:pull,push'), { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull', 'push'] });
  t.equal(parseScope('nonsense'), undefined);
  t.equal(routeOf('DELETE', 'http://r/v2/a/b/manifests/x'), 'http://r a/b delete');
  t.equal(routeOf('POST', 'http://r/v2/a/blobs/uploads/?mount=d&from=s'), 'http://r a push from s');
  t.equal(routeOf('GET', 'http://r/v2/_catalog?n=1'), 'http://r /v2/_catalog pull');
  t.equal(routeOf('GET', 'http://r/v2/a/manifests/%E0%A4%A'), 'http://r a pull', 'a percent-encoding that does not decode');
});
