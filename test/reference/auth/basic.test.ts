/**
 * The reference registry over HTTPS (a test CA made by openssl) with htpasswd authentication
 * (made by htpasswd -B) and the policy of test/helpers/auth.ts: one row per rule — 401 with a
 * Basic challenge and UNAUTHORIZED without or with wrong credentials, 403 DENIED for a known user
 * lacking the permission, GET /v2/ and the admin endpoint, the mount rule, and a request log that
 * holds no credential.
 */
import t from 'tap';
import { request } from 'undici';
import { as, basic, challengeParams, errorCode, PASSWORDS, startSecureRegistry, type SecureRegistry } from '../../helpers/auth.ts';
import { buildImage, putImage } from '../../helpers/store.ts';
import { content } from '../../helpers/oci.ts';

const registry = (await startSecureRegistry(t, { mode: 'htpasswd' })) as SecureRegistry;
const app = await putImage(registry.store, 'team/app', 'v1', buildImage('basic-app'));
const secret = await putImage(registry.store, 'private/x', 'v1', buildImage('basic-private'));
await putImage(registry.store, 'public/img', 'v1', buildImage('basic-public'));
const none = {};

interface Row {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly status: number;
  readonly code?: 'UNAUTHORIZED' | 'DENIED';
}

t.test('the URL is https and the server speaks HTTP/1.1 with the test CA\'s certificate', async (t) => {
  t.match(registry.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const reply = await request(`${registry.url}/v2/`, { dispatcher: registry.agent, headers: as('alice') });
  t.equal(reply.statusCode, 200);
  await reply.body.dump();
  await t.rejects(request(`${registry.url}/v2/`), /self[- ]signed|unable to verify|certificate/i, 'a client without the CA refuses the certificate');
});

t.test('challenges, UNAUTHORIZED and DENIED', async (t) => {
  const tags = (name: string) => `/v2/${name}/tags/list`;
  const rows: Row[] = [
    { what: 'GET /v2/ without credentials: the challenge, so clients learn how to log in', method: 'GET', path: '/v2/', headers: none, status: 401, code: 'UNAUTHORIZED' },
    { what: 'GET /v2/ as the anonymous identity (empty credentials), which may pull public/**', method: 'GET', path: '/v2/', headers: basic('', ''), status: 200 },
    { what: 'GET /v2/ as alice', method: 'GET', path: '/v2/', headers: as('alice'), status: 200 },
    { what: 'GET /v2/ as dave, who the policy does not name', method: 'GET', path: '/v2/', headers: as('dave'), status: 200 },
    { what: 'GET /v2/ with a wrong password', method: 'GET', path: '/v2/', headers: basic('alice', 'wrong'), status: 401, code: 'UNAUTHORIZED' },
    { what: 'GET /v2/ as an unknown user', method: 'GET', path: '/v2/', headers: basic('mallory', 'alice-secret-pw'), status: 401, code: 'UNAUTHORIZED' },
    { what: 'a Bearer token where Basic is expected', method: 'GET', path: '/v2/', headers: { Authorization: 'Bearer abc' }, status: 401, code: 'UNAUTHORIZED' },
    { what: 'Basic that is no base64 of user:password', method: 'GET', path: '/v2/', headers: { Authorization: 'Basic bm9jb2xvbg==' }, status: 401, code: 'UNAUTHORIZED' },
    { what: 'anonymous pull of public/img', method: 'GET', path: tags('public/img'), headers: none, status: 200 },
    { what: 'anonymous pull of team/app', method: 'GET', path: tags('team/app'), headers: none, status: 401, code: 'UNAUTHORIZED' },
    { what: 'anonymous HEAD of a blob of private/x', method: 'HEAD', path: `/v2/private/x/blobs/${secret.config.digest}`, headers: none, status: 401 },
    { what: 'bob pulls team/app', method: 'GET', path: `/v2/team/app/manifests/v1`, headers: as('bob'), status: 200 },
    { what: 'bob pulls a blob of team/app', method: 'GET', path: `/v2/team/app/blobs/${app.config.digest}`, headers: as('bob'), status: 200 },
    { what: 'bob (pull-only) pushes a manifest to team/app', method: 'PUT', path: '/v2/team/app/manifests/v2', headers: { ...as('bob'), 'Content-Type': app.manifest.mediaType }, status: 403, code: 'DENIED' },
    { what: 'bob (pull-only) opens an upload in team/app', method: 'POST', path: '/v2/team/app/blobs/uploads/', headers: as('bob'), status: 403, code: 'DENIED' },
    { what: 'bob deletes in team/app', method: 'DELETE', path: `/v2/team/app/manifests/${app.manifest.digest}`, headers: as('bob'), status: 403, code: 'DENIED' },
    { what: 'bob pulls private/x', method: 'GET', path: tags('private/x'), headers: as('bob'), status: 403, code: 'DENIED' },
    { what: 'bob pulls team/other (his pattern is exact)', method: 'GET', path: tags('team/other'), headers: as('bob'), status: 403, code: 'DENIED' },
    { what: 'bob lists referrers of private/x', method: 'GET', path: `/v2/private/x/referrers/${secret.manifest.digest}`, headers: as('bob'), status: 403, code: 'DENIED' },
    { what: 'bob pulls public/img like anonymous', method: 'GET', path: tags('public/img'), headers: as('bob'), status: 200 },
    { what: 'carol opens an upload in team/new', method: 'POST', path: '/v2/team/new/blobs/uploads/', headers: as('carol'), status: 202 },
    { what: 'carol deletes in team/app (no delete)', method: 'DELETE', path: `/v2/team/app/manifests/${app.manifest.digest}`, headers: as('carol'), status: 403, code: 'DENIED' },
    { what: 'dave pulls team/app', method: 'GET', path: tags('team/app'), headers: as('dave'), status: 403, code: 'DENIED' },
    { what: 'wrong password on a public repository is still refused', method: 'GET', path: tags('public/img'), headers: basic('bob', 'wrong'), status: 401, code: 'UNAUTHORIZED' },
    { what: 'GC endpoint without credentials', method: 'POST', path: '/_touchstone/gc', headers: none, status: 401, code: 'UNAUTHORIZED' },
    { what: 'GC endpoint as carol', method: 'POST', path: '/_touchstone/gc', headers: as('carol'), status: 403, code: 'DENIED' },
    { what: 'GC endpoint as alice', method: 'POST', path: '/_touchstone/gc', headers: as('alice'), status: 200 },
    { what: '_catalog without credentials', method: 'GET', path: '/v2/_catalog', headers: none, status: 401, code: 'UNAUTHORIZED' },
    { what: 'an unknown path without credentials', method: 'GET', path: '/v2/x/nothing-here', headers: none, status: 401, code: 'UNAUTHORIZED' },
    { what: 'an unknown path as alice reaches the router', method: 'GET', path: '/v2/x/nothing-here', headers: as('alice'), status: 404 },
    { what: 'alice deletes in team/app', method: 'DELETE', path: `/v2/team/app/manifests/${app.manifest.digest}`, headers: as('alice'), status: 202 },
  ];
  for (const row of rows) {
    const reply = await registry.call(row.method, row.path, { headers: row.headers });
    t.equal(reply.status, row.status, `${row.what}: ${row.status}`, { body: reply.body.toString() });
    if (row.status === 401) {
      t.equal(reply.header('www-authenticate'), 'Basic realm="touchstone", charset="UTF-8"', `${row.what}: Basic challenge (RFC 7617)`);
      t.equal(reply.header('docker-distribution-api-version'), 'registry/2.0', `${row.what}: API version header`);
    } else {
      t.equal(reply.header('www-authenticate'), undefined, `${row.what}: no challenge`);
    }
    if (row.code !== undefined && row.method !== 'HEAD') t.equal(errorCode(reply), row.code, `${row.what}: ${row.code}`);
  }
});

t.test('a refused request with a body closes the connection instead of reading the body', async (t) => {
  const reply = await registry.call('POST', `/v2/team/app/blobs/uploads/?digest=${app.config.digest}`, { headers: as('bob'), body: app.config.bytes });
  t.equal(reply.status, 403);
  t.equal(reply.header('connection'), 'close');
  const withoutBody = await registry.call('GET', '/v2/team/app/tags/list');
  t.not(withoutBody.header('connection'), 'close', 'a refused request without a body keeps the connection');
});

t.test('a mount from a repository the caller may not pull falls back to an upload session, revealing nothing', async (t) => {
  const mount = (target: string, digest: string, from: string) => registry.call('POST', `/v2/${target}/blobs/uploads/?mount=${digest}&from=${from}`, { headers: as('carol') });
  const existing = await mount('team/b', secret.layers[0]!.digest, 'private/x');
  const missing = await mount('team/b', content('never pushed').digest, 'private/x');
  for (const [what, reply] of [['a blob private/x holds', existing], ['a blob nowhere', missing]] as const) {
    t.equal(reply.status, 202, `${what}: 202`);
    t.match(reply.header('location'), /^\/v2\/team\/b\/blobs\/uploads\/[0-9a-f-]{36}$/, `${what}: Location of a new session`);
    t.equal(reply.header('range'), '0-0');
    t.equal(reply.header('docker-content-digest'), undefined);
  }
  t.same(Object.keys(existing.headers).sort(), Object.keys(missing.headers).sort(), 'the same answer whether the blob exists or not');
  const head = await registry.call('HEAD', `/v2/team/b/blobs/${secret.layers[0]!.digest}`, { headers: as('alice') });
  t.equal(head.status, 404, 'the blob did not reach team/b');
  const allowed = await mount('team/b', app.layers[0]!.digest, 'team/app');
  t.equal(allowed.status, 201, 'carol may pull team/app: the mount happens');
  const auto = await registry.call('POST', `/v2/team/c/blobs/uploads/?mount=${app.layers[0]!.digest}`, { headers: as('carol') });
  t.equal(auto.status, 202, 'a mount without from never searches repositories for a caller');
  const log = registry.logs.filter((entry) => entry.method === 'POST' && entry.path.startsWith('/v2/team/b/'));
  t.same(log.map((entry) => [entry.path, entry.status]), [
    ['/v2/team/b/blobs/uploads/', 202],
    ['/v2/team/b/blobs/uploads/', 202],
    [`/v2/team/b/blobs/uploads/?mount=${app.layers[0]!.digest}&from=team/app`, 201],
  ], 'the registry saw the refused mounts without mount and from');
});

t.test('the request log holds no credential, token or secret query value, nor do error bodies', async (t) => {
  const from = registry.logs.length;
  const replies = [
    await registry.call('GET', '/v2/team/app/tags/list', { headers: as('alice') }),
    await registry.call('GET', '/v2/team/app/tags/list', { headers: basic('alice', 'wrong-pw-1234') }),
    await registry.call('GET', '/v2/team/app/tags/list?password=query-pw-5678&access_token=query-token-9&n=1', { headers: as('bob') }),
    await registry.call('GET', '/v2/team/app/tags/list?token=query-token-10', { headers: { Authorization: 'Bearer bearer-token-11' } }),
    await registry.call('POST', `/v2/team/z/blobs/uploads/?mount=${app.config.digest}&from=private/x&api_key=query-key-12`, { headers: as('carol') }),
  ];
  const logged = JSON.stringify(registry.logs.slice(from));
  const bodies = replies.map((reply) => reply.body.toString()).join('\n');
  const secrets = [...Object.values(PASSWORDS), 'wrong-pw-1234', 'query-pw-5678', 'query-token-9', 'query-token-10', 'bearer-token-11', 'query-key-12', as('alice').Authorization!.slice(6)];
  for (const value of secrets) {
    t.notMatch(logged, value, `the log does not hold ${value}`);
    t.notMatch(bodies, value, `no error body holds ${value}`);
  }
  t.match(logged, 'password=REDACTED&access_token=REDACTED&n=1', 'secret query values are replaced, the rest kept');
  t.match(logged, '"path":"/v2/team/z/blobs/uploads/?api_key=REDACTED"', 'also when the mount was taken out');
  t.equal(replies[2]!.status, 200, 'the request itself still works');
});
