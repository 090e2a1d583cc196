/**
 * The access policy: which identity may pull, push or delete in which repositories. A YAML (or
 * JSON, which is YAML) file, validated at start-up with errors naming the line:
 *
 *   users:
 *     alice: { "**": "*" }                 # every repository, every action
 *     bob: { "team/*": [pull, push], "library/app": [pull] }
 *     "*": { "shared/**": [pull] }         # every authenticated user
 *   anonymous: { "public/**": [pull] }     # callers without credentials
 *
 * Patterns are repository names with globs: `*` matches within one path segment, `**` (a whole
 * segment) any number of segments, as in gitignore (`a/**` is everything under a, `**\/b` is b at
 * any depth); anything else is exact. Actions are pull, push, delete, or `*` for all three. An
 * identity's grants are the union of every matching entry, its own, those of `"*"` (users only)
 * and those of anonymous: logging in never takes a right away. Without a policy file, every
 * authenticated user may do everything and anonymous nothing (as Distribution's htpasswd mode).
 * Registry-wide resources of the token scope documentation: `registry:catalog:*` for any identity
 * with some access, `registry:gc:*` (the reference's GC endpoint) for identities with every action
 * on `**`.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError } from './errors.ts';
import { ACTIONS, type Access, type Action } from './scope.ts';

/** Who makes a request: the anonymous identity, or a user whose password (or token) checked out. */
export type Identity = { readonly kind: 'anonymous' } | { readonly kind: 'user'; readonly name: string };

export const ANONYMOUS: Identity = { kind: 'anonymous' };

/** What an identity may do on a resource: the actions, as the token's access claim spells them. */
export interface Grants {
  actions(resource: Pick<Access, 'type' | 'name'>): ReadonlySet<string>;
}

interface Rule {
  readonly pattern: RegExp;
  readonly everything: boolean;
  readonly actions: ReadonlySet<Action>;
}

const ALL: ReadonlySet<string> = new Set(['*']);
const NONE: ReadonlySet<string> = new Set();

/** A glob as a regular expression: `*` within a segment, `**` across segments. */
export function patternToRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let source = '';
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.+' : '(?:[^/]+/)*';
      continue;
    }
    source += segment.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*') + (last ? '' : '/');
  }
  return new RegExp(`^${source}$`);
}

function checkPattern(pattern: string): string | undefined {
  if (!/^[a-z0-9._\-/*]+$/.test(pattern)) return 'patterns hold lowercase letters, digits, . _ - / and the globs * and **';
  for (const segment of pattern.split('/')) {
    if (segment === '') return 'a pattern has no empty path segment';
    if (segment.includes('**') && segment !== '**') return '** stands for whole path segments only (a/**/b)';
  }
  return undefined;
}

export class Policy {
  readonly #users: ReadonlyMap<string, readonly Rule[]>;
  readonly #anyUser: readonly Rule[];
  readonly #anonymous: readonly Rule[];
  readonly #open: boolean;

  private constructor(users: ReadonlyMap<string, readonly Rule[]>, anonymous: readonly Rule[], open: boolean) {
    this.#users = users;
    this.#anyUser = users.get('*') ?? [];
    this.#anonymous = anonymous;
    this.#open = open;
  }

  /** No policy file: authenticated users may do everything, anonymous nothing. */
  static usersOnly(): Policy {
    return new Policy(new Map(), [], true);
  }

  /** Reads and validates a policy file; `isUser` (the htpasswd's users) catches misspelt names. */
  static async load(file: string, isUser?: (name: string) => boolean): Promise<Policy> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the policy file ${file}: ${(error as Error).message}`);
    }
    return Policy.parse(text, file, isUser);
  }

  static parse(text: string, file: string, isUser?: (name: string) => boolean): Policy {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    const at = (node: Node | null | undefined): string => `${file} line ${node?.range ? lines.linePos(node.range[0]).line : 1}`;
    const firstError = doc.errors[0];
    if (firstError) throw new ConfigError(`${file} line ${firstError.linePos?.[0].line ?? 1}: ${firstError.message.split('\n')[0]}`);
    const root = doc.contents;
    if (!isMap(root)) throw new ConfigError(`${at(root)}: a policy is a map with the keys users and anonymous`);
    const users = new Map<string, Rule[]>();
    let anonymous: Rule[] = [];
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = pair.value as Node | null;
      if (key === 'anonymous') {
        anonymous = rules(value, at, 'anonymous');
      } else if (key === 'users') {
        if (!isMap(value)) throw new ConfigError(`${at(value ?? (pair.key as Node))}: users maps each user name to its repositories`);
        for (const entry of value.items) {
          const name = isScalar(entry.key) ? String(entry.key.value) : '';
          if (name === '') throw new ConfigError(`${at(entry.key as Node)}: a user name is a non-empty string`);
          if (name !== '*' && isUser && !isUser(name)) {
            throw new ConfigError(`${at(entry.key as Node)}: user "${name}" is not in the htpasswd file`);
          }
          users.set(name, rules(entry.value as Node | null, at, `user ${name}`));
        }
      } else {
        throw new ConfigError(`${at(pair.key as Node)}: unknown key ${JSON.stringify(key)} (a policy has users and anonymous)`);
      }
    }
    return new Policy(users, anonymous, false);
  }

  /** What `identity` may do. */
  grantsFor(identity: Identity): Grants {
    const own = identity.kind === 'user' ? [...(this.#users.get(identity.name) ?? []), ...this.#anyUser, ...this.#anonymous] : this.#anonymous;
    const open = this.#open && identity.kind === 'user';
    return {
      actions: (resource) => {
        if (resource.type === 'registry') {
          if (resource.name === 'catalog') return open || identity.kind === 'user' || own.length > 0 ? ALL : NONE;
          if (resource.name === 'gc') return open || own.some((rule) => rule.everything && rule.actions.size === ACTIONS.length) ? ALL : NONE;
          return NONE;
        }
        if (resource.type !== 'repository') return NONE;
        if (open) return new Set(ACTIONS);
        const granted = new Set<string>();
        for (const rule of own) if (rule.pattern.test(resource.name)) for (const action of rule.actions) granted.add(action);
        return granted;
      },
    };
  }

  /** Whether `identity` may do anything at all (GET /v2/ answers 401 to an anonymous caller that may not). */
  hasAnyAccess(identity: Identity): boolean {
    if (identity.kind === 'user') return true;
    return this.#anonymous.length > 0;
  }
}

function rules(node: Node | null, at: (node: Node | null | undefined) => string, who: string): Rule[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) throw new ConfigError(`${at(node)}: ${who} maps repository patterns to actions`);
  const out: Rule[] = [];
  for (const pair of node.items) {
    const pattern = isScalar(pair.key) ? String(pair.key.value) : '';
    const problem = checkPattern(pattern);
    if (problem) throw new ConfigError(`${at(pair.key as Node)}: ${who}: pattern ${JSON.stringify(pattern)}: ${problem}`);
    out.push({ pattern: patternToRegExp(pattern), everything: pattern === '**', actions: actions(pair.value as Node | null, at, `${who}, ${pattern}`) });
  }
  return out;
}

function actions(node: Node | null, at: (node: Node | null | undefined) => string, where: string): Set<Action> {
  const items = isSeq(node) ? node.items : [node];
  const out = new Set<Action>();
  for (const item of items) {
    const value = isScalar(item) ? item.value : undefined;
    if (value === '*') {
      for (const action of ACTIONS) out.add(action);
    } else if (typeof value === 'string' && (ACTIONS as readonly string[]).includes(value)) {
      out.add(value as Action);
    } else {
      throw new ConfigError(`${at((item as Node | null) ?? node)}: ${where}: ${JSON.stringify(value ?? null)} is not an action (pull, push, delete or *)`);
    }
  }
  if (out.size === 0) throw new ConfigError(`${at(node)}: ${where}: no actions`);
  return out;
}

/** The grants of a token: exactly its access claim. */
export function tokenGrants(access: readonly Access[]): Grants {
  return {
    actions: (resource) => new Set(access.filter((entry) => entry.type === resource.type && entry.name === resource.name).flatMap((entry) => entry.actions)),
  };
}

/** Whether `grants` hold every action `need` names. */
export function allows(grants: Grants, need: Access): boolean {
  const have = grants.actions(need);
  return need.actions.every((action) => have.has(action));
}
