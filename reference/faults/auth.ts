/**
 * Access-control faults: deviations real registries shipped in authentication and authorization,
 * each a decorator of one decision of the auth layer (reference/auth/layer.ts AuthParts), so that
 * reference/auth shows only the registry. They need a registry started with authentication; the
 * suite's auth checks must catch every one. Switched like every fault: at the moment a decision
 * is taken, the active fault's variant of it is used.
 */
import { allows, type Grants } from '../auth/policy.ts';
import type { AuthParts } from '../auth/layer.ts';
import { claims, TokenError, unverifiedClaims } from '../auth/tokens.ts';
import type { FaultSet } from './catalog.ts';

export const AUTH_FAULTS = {
  'auth-scope-any-repository': 'a token is accepted for any repository: its actions are checked, not the repository they are for (a token for A works for B)',
  'auth-pull-can-push': 'pull access is enough to push: write requests are let through for any identity that may pull',
  'auth-mount-ignores-source': 'a cross-repository mount succeeds without pull access to the source repository (pulp_container#1286)',
  'auth-expired-token-accepted': 'expired tokens are accepted: exp is not checked',
  'auth-tampered-token-accepted': 'the token signature is not checked: a token with altered claims or a forged signature is accepted',
  'auth-challenge-without-scope': 'Bearer challenges omit the scope parameter, so a client cannot know which token to ask for',
  'auth-catalog-unfiltered': '_catalog lists every repository, also those the caller may not pull',
  'auth-wrong-password-accepted': 'Basic credentials of a known user are accepted whatever the password',
} as const;

export type AuthFaultName = keyof typeof AUTH_FAULTS;

export function isAuthFaultName(name: string): name is AuthFaultName {
  return Object.hasOwn(AUTH_FAULTS, name);
}

type Decorator = (parts: AuthParts) => AuthParts;

const DECORATORS: Readonly<Record<AuthFaultName, Decorator>> = {
  'auth-scope-any-repository': (parts) => ({
    ...parts,
    tokenGrants: (access): Grants => ({
      actions: (resource) => new Set(access.filter((entry) => entry.type === resource.type).flatMap((entry) => entry.actions)),
    }),
  }),
  'auth-pull-can-push': (parts) => ({
    ...parts,
    allows: (grants, need) => parts.allows(grants, need) || (need.actions.includes('push') && allows(grants, { ...need, actions: ['pull'] })),
  }),
  'auth-mount-ignores-source': (parts) => ({
    ...parts,
    requirementOf: (method, url) => {
      const requirement = parts.requirementOf(method, url);
      return requirement.kind === 'access' && requirement.mountFrom !== undefined ? { kind: 'access', needs: requirement.needs } : requirement;
    },
  }),
  'auth-expired-token-accepted': (parts) => {
    const verifier = parts.verifier;
    if (!verifier) return parts;
    return {
      ...parts,
      verifier: {
        verify: async (token, at) => {
          try {
            return await verifier.verify(token, at);
          } catch (error) {
            const exp = error instanceof TokenError && error.reason === 'expired' ? unverifiedClaims(token).exp : undefined;
            if (typeof exp !== 'number') throw error;
            // Checked as of just before it expired: everything else still holds.
            return verifier.verify(token, exp * 1000 - 1000);
          }
        },
      },
    };
  },
  'auth-tampered-token-accepted': (parts) => {
    const verifier = parts.verifier;
    if (!verifier) return parts;
    return {
      ...parts,
      verifier: {
        verify: async (token, at) => {
          try {
            return await verifier.verify(token, at);
          } catch (error) {
            if (!(error instanceof TokenError) || error.reason !== 'signature') throw error;
            return claims(unverifiedClaims(token));
          }
        },
      },
    };
  },
  'auth-challenge-without-scope': (parts) => ({
    ...parts,
    challenger: { ...parts.challenger, bearer: (realm, _scopes, error) => parts.challenger.bearer(realm, [], error) },
  }),
  'auth-catalog-unfiltered': (parts) => ({ ...parts, canPull: () => () => true }),
  'auth-wrong-password-accepted': (parts) => {
    const passwords = parts.passwords;
    if (!passwords) return parts;
    return { ...parts, passwords: { has: (user) => passwords.has(user), verify: async (user) => passwords.has(user) } };
  },
};

/**
 * `parts` whose every decision is taken by the variant of the first active auth fault, or by the
 * registry's own when none is on (each fault is meant to be on alone).
 */
export function withAuthFaults(parts: AuthParts, faults: FaultSet): AuthParts {
  const variants = (Object.keys(DECORATORS) as AuthFaultName[]).map((name) => [name, DECORATORS[name](parts)] as const);
  const current = (): AuthParts => variants.find(([name]) => faults.has(name))?.[1] ?? parts;
  return {
    get passwords() {
      return current().passwords;
    },
    get verifier() {
      return current().verifier;
    },
    get requirementOf() {
      return current().requirementOf;
    },
    get tokenGrants() {
      return current().tokenGrants;
    },
    get allows() {
      return current().allows;
    },
    get challenger() {
      return current().challenger;
    },
    get canPull() {
      return current().canPull;
    },
  };
}
