/**
 * WWW-Authenticate challenges as registry clients read them (RFC 9110 §11.6.1: `auth-scheme
 * #auth-param`, several challenges separated by commas, values a token or a quoted-string with
 * backslash escapes), and the scopes of a Bearer challenge: the distribution token authentication
 * specification names them in one `scope` parameter, several separated by spaces (RFC 6750 §3),
 * as a cross-repository mount needs (`repository:T:pull,push repository:S:pull`).
 */

export interface Challenge {
  /** Lower case: `basic`, `bearer`. */
  readonly scheme: string;
  /** Parameter names in lower case; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAM = new RegExp(`^[\\s,]*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))`);
const SCHEME = new RegExp(`^[\\s,]*(${TOKEN})(?=[\\s,]|$)`);

/** Every challenge of a WWW-Authenticate value, in order; what does not parse ends the list. */
export function parseChallenges(header: string | undefined): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let rest = header ?? '';
  for (let guard = 0; rest.trim() !== '' && guard < 1000; guard += 1) {
    const param = PARAM.exec(rest);
    const current = challenges.at(-1);
    if (param && current) {
      current.params[(param[1] as string).toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] as string);
      rest = rest.slice(param[0].length);
      continue;
    }
    const scheme = SCHEME.exec(rest);
    if (!scheme) break;
    challenges.push({ scheme: (scheme[1] as string).toLowerCase(), params: {} });
    rest = rest.slice(scheme[0].length);
  }
  return challenges;
}

/** The first Basic or Bearer challenge, the schemes registries use. */
export function registryChallenge(header: string | undefined): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === 'basic' || c.scheme === 'bearer');
}

/** The scopes of a scope parameter (space-separated), without empties. */
export function scopesOf(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s !== '');
}

/** A scope `<type>:<name>:<actions>` split at its first and last colon (a name may hold a host:port). */
export function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') };
}
