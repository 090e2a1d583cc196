/**
 * Users and passwords from an htpasswd file (Apache's format, one `user:hash` per line), bcrypt
 * entries only, as `htpasswd -B` writes them ($2y$; $2a$ and $2b$ are the same algorithm). Any
 * other hash type (SHA-1 `{SHA}`, Apache MD5 `$apr1$`, crypt(3), plain text) is refused at
 * start-up with an error naming the line and the user, never silently accepted: CNCF
 * Distribution's htpasswd backend also accepts bcrypt only. Lines starting with `#` and blank
 * lines are skipped, as Distribution does.
 *
 * bcrypt is deliberately slow, and a client pulling an image sends its credentials with every
 * request (RFC 7617 has no session), so a successful check is remembered for a short while, keyed
 * by a SHA-256 of user, password and stored hash (never the password itself), in a bounded map;
 * concurrent checks of the same credentials share one computation. An unknown user costs one
 * bcrypt comparison too, so response times do not tell which user names exist.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { ConfigError } from './errors.ts';

/** What checks a user's password. */
export interface PasswordChecker {
  verify(user: string, password: string): Promise<boolean>;
  has(user: string): boolean;
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** The hash types htpasswd can write besides bcrypt, by how they look (Apache's htpasswd manual). */
const OTHER_HASHES: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^\$2/, 'malformed bcrypt', 'htpasswd -B'],
  [/^\{SHA\}/, 'SHA-1 ({SHA})', 'htpasswd -s'],
  [/^\$apr1\$/, 'Apache MD5 ($apr1$)', 'htpasswd -m'],
  [/^\$1\$/, 'MD5-crypt ($1$)', 'crypt'],
  [/^\$5\$/, 'SHA-256-crypt ($5$)', 'crypt'],
  [/^\$6\$/, 'SHA-512-crypt ($6$)', 'crypt'],
  [/^[./0-9A-Za-z]{13}$/, 'DES crypt', 'htpasswd -d'],
];

function hashKind(hash: string): string {
  for (const [pattern, kind, tool] of OTHER_HASHES) if (pattern.test(hash)) return `a ${kind} hash (as ${tool} makes)`;
  return 'a plain-text or unknown password entry (as htpasswd -p makes)';
}

/** Parses htpasswd text into user → bcrypt hash; `file` names it in errors. */
export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    const where = `${file} line ${index + 1}`;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ConfigError(`${where}: not a "user:hash" entry`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (users.has(user)) throw new ConfigError(`${where}: user "${user}" appears twice`);
    const bcryptMatch = BCRYPT.exec(hash);
    const cost = Number(bcryptMatch?.[1]);
    if (!bcryptMatch || cost < 4 || cost > 31) {
      // The entry itself is never echoed: a plain-text entry is a password.
      throw new ConfigError(
        `${where}: user "${user}" has ${hashKind(hash)}; only bcrypt is accepted. Set the password again with: htpasswd -B ${file} ${user}`,
      );
    }
    users.set(user, hash);
  }
  if (users.size === 0) throw new ConfigError(`${file}: no users (make one with: htpasswd -B -c ${file} USER)`);
  return users;
}

export interface HtpasswdOptions {
  /** How long a successful check is remembered. Default 60 s. */
  readonly cacheTtlMs?: number;
  /** At most this many remembered checks. Default 1000. */
  readonly cacheMax?: number;
  readonly now?: () => number;
  /** The bcrypt comparison (tests count its calls). */
  readonly compare?: (password: string, hash: string) => Promise<boolean>;
}

export class Htpasswd implements PasswordChecker {
  readonly #users: ReadonlyMap<string, string>;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #compareHash: (password: string, hash: string) => Promise<boolean>;
  /** SHA-256 of the credentials → when the successful check expires. */
  readonly #verified = new Map<string, number>();
  readonly #pending = new Map<string, Promise<boolean>>();
  /** Compared against for unknown users, at the cost of the file's first entry. */
  readonly #decoy: string;

  constructor(users: ReadonlyMap<string, string>, options: HtpasswdOptions = {}) {
    this.#users = users;
    this.#ttlMs = options.cacheTtlMs ?? 60_000;
    this.#max = options.cacheMax ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#compareHash = options.compare ?? ((password, hash) => bcrypt.compare(password, hash));
    const first = users.values().next().value as string | undefined;
    this.#decoy = bcrypt.hashSync('touchstone decoy', bcrypt.genSaltSync(first === undefined ? 5 : bcrypt.getRounds(first)));
  }

  static async load(file: string, options?: HtpasswdOptions): Promise<Htpasswd> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the htpasswd file ${file}: ${(error as Error).message}`);
    }
    return new Htpasswd(parseHtpasswd(text, file), options);
  }

  has(user: string): boolean {
    return this.#users.has(user);
  }

  users(): string[] {
    return [...this.#users.keys()];
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.#users.get(user);
    const key = createHash('sha256').update(`${user}\0${password}\0${hash ?? ''}`).digest('hex');
    const expires = this.#verified.get(key);
    if (expires !== undefined) {
      if (expires > this.#now()) return true;
      this.#verified.delete(key);
    }
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const check = this.#compare(key, password, hash).finally(() => this.#pending.delete(key));
    this.#pending.set(key, check);
    return check;
  }

  async #compare(key: string, password: string, hash: string | undefined): Promise<boolean> {
    const matches = await this.#compareHash(password, hash ?? this.#decoy);
    if (!matches || hash === undefined) return false;
    this.#verified.set(key, this.#now() + this.#ttlMs);
    while (this.#verified.size > this.#max) {
      const oldest = this.#verified.keys().next();
      if (oldest.done === true) break;
      this.#verified.delete(oldest.value);
    }
    return true;
  }
}
