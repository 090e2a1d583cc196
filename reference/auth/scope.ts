/**
 * Resource scopes of the distribution token authentication specification ("Token Scope
 * Documentation": `repository:<name>:<action>[,<action>…]`, several separated by spaces) and what
 * each request of the registry needs, decided from its method and path alone:
 *
 *   GET/HEAD of blobs, manifests, tags/list, referrers        repository:<name>:pull
 *   POST/PATCH/PUT (uploads, manifests), any request of an
 *   upload session (its status and cancel are part of a push)  repository:<name>:push
 *   DELETE of a manifest, tag or blob                         repository:<name>:delete
 *   POST ?mount=<digest>&from=<repo>                          push on <name>, and pull on <repo>
 *                                                             for the mount itself (optional)
 *   GET /v2/_catalog                                          registry:catalog:* (as Distribution)
 *   POST /_touchstone/gc                                      registry:gc:*
 *   GET /v2/ and every other path                             an identity, no resource
 */

export const ACTIONS = ['pull', 'push', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/** A resource and actions on it: one entry of a token's `access` claim, or one scope. */
export interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export const CATALOG: Access = { type: 'registry', name: 'catalog', actions: ['*'] };
export const GC: Access = { type: 'registry', name: 'gc', actions: ['*'] };

export class ScopeError extends Error {
  override readonly name = 'ScopeError';
}

export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/**
 * Parses scope parameters; each may hold several scopes separated by spaces (the form a POST
 * token request and a challenge use). The name is what lies between the first and the last
 * colon, as it may hold a registry host with a port.
 */
export function parseScopes(values: readonly string[]): Access[] {
  const scopes: Access[] = [];
  for (const value of values) {
    for (const scope of value.split(' ')) {
      if (scope === '') continue;
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const actions = scope.slice(last + 1).split(',').filter((action) => action !== '');
      if (first <= 0 || last === first || name === '' || actions.length === 0 || !/^[a-z0-9]+(\([a-z0-9]+\))?$/.test(type)) {
        throw new ScopeError(`scope ${JSON.stringify(scope)} is not <type>:<name>:<action>[,<action>...]`);
      }
      scopes.push({ type, name, actions });
    }
  }
  return scopes;
}

/** What a request needs before the registry may see it. */
export type Requirement =
  /** Any identity, anonymous included; no resource. */
  | { readonly kind: 'identity' }
  | {
      readonly kind: 'access';
      readonly needs: readonly Access[];
      /** A mount's source: pull on it lets the mount happen; without it the mount is ignored. */
      readonly mountFrom?: string;
      /** A mount without `from` (automatic content discovery): never done for a caller. */
      readonly mountWithoutFrom?: boolean;
    };

/** Decides what a request needs. */
export type RequirementOf = (method: string, url: URL) => Requirement;

/**
 * The router's repository routes, in its order (reference/http/router.ts): the name is captured
 * greedily by the first pattern that matches, so the layer and the router agree on it.
 */
const REPOSITORY_ROUTES: ReadonlyArray<readonly [RegExp, 'read' | 'upload' | 'session']> = [
  [/^\/v2\/(.+)\/tags\/list$/, 'read'],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, 'read'],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, 'read'],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, 'upload'],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/:]+)$/, 'session'],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, 'read'],
];

export const requirementOf: RequirementOf = (method, url) => {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'identity' };
  }
  if (path === '/v2/_catalog') return { kind: 'access', needs: [CATALOG] };
  if (path === '/_touchstone/gc') return { kind: 'access', needs: [GC] };
  for (const [pattern, route] of REPOSITORY_ROUTES) {
    const name = pattern.exec(path)?.[1];
    if (name !== undefined) return repositoryRequirement(method, url, name, route);
  }
  return { kind: 'identity' };
};

function repositoryRequirement(method: string, url: URL, name: string, route: 'read' | 'upload' | 'session'): Requirement {
  const needs = (action: Action): Access[] => [{ type: 'repository', name, actions: [action] }];
  if (route === 'session' || (route === 'upload' && method !== 'POST')) return { kind: 'access', needs: needs('push') };
  if (route === 'upload') {
    const from = url.searchParams.get('from');
    if (url.searchParams.get('mount') === null) return { kind: 'access', needs: needs('push') };
    if (from === null || from === '') return { kind: 'access', needs: needs('push'), mountWithoutFrom: true };
    return { kind: 'access', needs: needs('push'), mountFrom: from };
  }
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { kind: 'access', needs: needs('pull') };
    case 'POST':
    case 'PATCH':
    case 'PUT':
      return { kind: 'access', needs: needs('push') };
    case 'DELETE':
      return { kind: 'access', needs: needs('delete') };
    default:
      return { kind: 'identity' };
  }
}
