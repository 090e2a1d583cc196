/**
 * WWW-Authenticate challenges (RFC 9110 §11.6.1) as registry clients parse them: `Basic
 * realm="…", charset="UTF-8"` (RFC 7617) for htpasswd authentication, and for tokens the form of
 * the distribution token authentication specification, `Bearer realm="…",service="…",scope="…"`,
 * with every scope the request needs in the one scope parameter, separated by spaces (as
 * Distribution's token access controller writes it; RFC 6750 §3 defines scope as a space-delimited
 * list), and `error="invalid_token"` or `error="insufficient_scope"` when a token was sent (RFC
 * 6750 §3.1).
 */
import { formatScope, type Access } from './scope.ts';

export type BearerError = 'invalid_token' | 'insufficient_scope';

/** Builds the challenges. */
export interface Challenger {
  basic(): string;
  bearer(realm: string, scopes: readonly Access[], error?: BearerError): string;
}

/** An RFC 9110 quoted-string. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function challenger(basicRealm: string, service: string): Challenger {
  return {
    basic: () => `Basic realm=${quoted(basicRealm)}, charset="UTF-8"`,
    bearer: (realm, scopes, error) => {
      let header = `Bearer realm=${quoted(realm)},service=${quoted(service)}`;
      if (scopes.length > 0) header += `,scope=${quoted(scopes.map(formatScope).join(' '))}`;
      if (error !== undefined) header += `,error=${quoted(error)}`;
      return header;
    },
  };
}
