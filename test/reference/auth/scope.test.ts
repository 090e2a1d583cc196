/**
 * Scopes of the token scope documentation, and what each request of the registry needs: one row
 * per route and method, names with slashes captured as the router captures them, mounts.
 */
import t from 'tap';
import { formatScope, parseScopes, requirementOf, ScopeError } from '../../../reference/auth/scope.ts';

t.test('parses scopes, several per parameter, names with a registry host and port', async (t) => {
  t.same(parseScopes(['repository:team/app:pull,push', 'repository:a:pull repository:b:delete', 'registry:catalog:*']), [
    { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'repository', name: 'b', actions: ['delete'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  t.same(parseScopes(['repository:localhost:5000/app:pull']), [{ type: 'repository', name: 'localhost:5000/app', actions: ['pull'] }]);
  t.same(parseScopes(['repository(plugin):a:pull']), [{ type: 'repository(plugin)', name: 'a', actions: ['pull'] }]);
  t.same(parseScopes(['', ' ']), [], 'empty parameters hold no scope');
  for (const bad of ['repository', 'repository:a', 'repository::pull', ':a:pull', 'repository:a:', 'Repo:a:pull']) {
    t.throws(() => parseScopes([bad]), ScopeError, JSON.stringify(bad));
  }
  t.equal(formatScope({ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }), 'repository:a/b:pull,push');
});

t.test('what each request needs', async (t) => {
  const pull = (name: string) => ({ kind: 'access', needs: [{ type: 'repository', name, actions: ['pull'] }] });
  const push = (name: string) => ({ kind: 'access', needs: [{ type: 'repository', name, actions: ['push'] }] });
  const del = (name: string) => ({ kind: 'access', needs: [{ type: 'repository', name, actions: ['delete'] }] });
  const identity = { kind: 'identity' };
  const d = 'sha256:' + 'a'.repeat(64);
  const rows: Array<[string, string, unknown]> = [
    ['GET', '/v2/', identity],
    ['GET', '/v2', identity],
    ['GET', '/favicon.ico', identity],
    ['GET', '/v2/a/nothing-here', identity],
    ['GET', '/v2/%zz/tags/list', identity],
    ['GET', '/v2/_catalog?n=10', { kind: 'access', needs: [{ type: 'registry', name: 'catalog', actions: ['*'] }] }],
    ['POST', '/_touchstone/gc', { kind: 'access', needs: [{ type: 'registry', name: 'gc', actions: ['*'] }] }],
    ['GET', '/v2/team/app/tags/list', pull('team/app')],
    ['HEAD', `/v2/team/app/manifests/${d}`, pull('team/app')],
    ['GET', '/v2/team/app/manifests/latest', pull('team/app')],
    ['GET', `/v2/a/referrers/${d}`, pull('a')],
    ['GET', `/v2/a/blobs/${d}`, pull('a')],
    ['HEAD', `/v2/a/b/c/blobs/${d}`, pull('a/b/c')],
    ['PUT', '/v2/a/manifests/latest', push('a')],
    ['DELETE', '/v2/a/manifests/latest', del('a')],
    ['DELETE', `/v2/a/blobs/${d}`, del('a')],
    ['POST', '/v2/a/blobs/uploads/', push('a')],
    ['POST', `/v2/a/blobs/uploads/?digest=${d}`, push('a')],
    ['PATCH', '/v2/a/blobs/uploads/0c9c7b5e-0000-4000-8000-000000000000', push('a')],
    ['PUT', `/v2/a/blobs/uploads/0c9c7b5e-0000-4000-8000-000000000000?digest=${d}`, push('a')],
    ['GET', '/v2/a/blobs/uploads/0c9c7b5e-0000-4000-8000-000000000000', push('a')],
    ['DELETE', '/v2/a/blobs/uploads/0c9c7b5e-0000-4000-8000-000000000000', push('a')],
    ['POST', `/v2/a/blobs/uploads/?mount=${d}&from=b/c`, { ...push('a'), mountFrom: 'b/c' }],
    ['POST', `/v2/a/blobs/uploads/?mount=${d}`, { ...push('a'), mountWithoutFrom: true }],
    ['POST', `/v2/a/blobs/uploads/?mount=${d}&from=`, { ...push('a'), mountWithoutFrom: true }],
    ['PATCH', '/v2/a/tags/list', push('a')],
    ['OPTIONS', '/v2/a/tags/list', identity],
    // The router's first matching route decides the name.
    ['GET', '/v2/a/manifests/x/tags/list', pull('a/manifests/x')],
    ['GET', '/v2/a/blobs/uploads/tags/list', pull('a/blobs/uploads')],
    ['GET', '/v2/a%2Fb/tags/list', pull('a/b')],
  ];
  for (const [method, path, expected] of rows) {
    t.same(requirementOf(method, new URL(path, 'http://x')), expected, `${method} ${path}`);
  }
});
