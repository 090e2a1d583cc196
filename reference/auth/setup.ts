/**
 * Turns the registry's security options (RegistryOptions.tls and .auth, the `touchstone serve`
 * flags) into what the server and the auth layer use, reading and checking every file once at
 * start-up: a mistake is a ConfigError naming the file, never a registry that starts and then
 * refuses (or allows) what it should not.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { challenger } from './challenge.ts';
import { ConfigError } from './errors.ts';
import { Htpasswd } from './htpasswd.ts';
import type { Auth, AuthParts } from './layer.ts';
import { allows, Policy, tokenGrants } from './policy.ts';
import { requirementOf } from './scope.ts';
import { certificates, JwtVerifier, loadSigningKey, TokenIssuer } from './tokens.ts';

export interface TlsOptions {
  /** PEM certificate chain file, the server's certificate first. */
  readonly cert: string;
  /** PEM private key file of that certificate. */
  readonly key: string;
}

export interface TokenOptions {
  /** PEM private key file: ECDSA P-256 (ES256) or RSA (RS256). */
  readonly key: string;
  /** PEM certificate chain file of that key, leaf first; sent in each token's x5c header. */
  readonly cert: string;
  readonly issuer?: string;
  /** The audience of the tokens, named in challenges. */
  readonly service?: string;
  readonly ttlSeconds?: number;
  /** Where clients get tokens; by default this server's /token as the client reached it. */
  readonly realm?: string;
}

export interface AuthOptions {
  readonly mode: 'htpasswd' | 'token';
  /** htpasswd file (bcrypt): required for htpasswd; with tokens, the users the token endpoint knows. */
  readonly htpasswd?: string;
  /** Policy file (YAML or JSON); without one users may do everything and anonymous nothing. */
  readonly policy?: string;
  readonly token?: TokenOptions;
  /** The realm named in Basic challenges. */
  readonly basicRealm?: string;
}

export const DEFAULT_TOKEN_ISSUER = 'touchstone-token-issuer';
export const DEFAULT_TOKEN_SERVICE = 'touchstone-registry';
export const DEFAULT_TOKEN_TTL_SECONDS = 300;

/** Reads the TLS certificate and key, checking that they belong together. */
export async function loadTls(options: TlsOptions): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const [cert, key] = [await read(options.cert, 'certificate'), await read(options.key, 'key')];
  const leaf = certificates(cert.toString('utf8'), options.cert)[0] as X509Certificate;
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new ConfigError(`${options.key} is not a PEM private key: ${(error as Error).message}`);
  }
  if (!matches) throw new ConfigError(`${options.cert}: its first certificate is not that of the key ${options.key}`);
  return { cert, key };
}

export async function loadAuth(options: AuthOptions): Promise<Auth> {
  if (options.mode !== 'htpasswd' && options.mode !== 'token') throw new ConfigError(`unknown authentication ${String(options.mode)} (htpasswd or token)`);
  if (options.mode === 'htpasswd' && options.htpasswd === undefined) throw new ConfigError('htpasswd authentication needs an htpasswd file');
  if (options.mode === 'htpasswd' && options.token !== undefined) throw new ConfigError('token settings need token authentication');
  const passwords = options.htpasswd === undefined ? undefined : await Htpasswd.load(options.htpasswd);
  const policy = options.policy === undefined ? Policy.usersOnly() : await Policy.load(options.policy, passwords && ((user) => passwords.has(user)));
  let token: Auth['token'];
  let verifier: JwtVerifier | undefined;
  const service = options.token?.service ?? DEFAULT_TOKEN_SERVICE;
  if (options.mode === 'token') {
    const settings = options.token;
    if (settings === undefined) throw new ConfigError('token authentication needs a signing key and its certificate');
    const ttlSeconds = settings.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new ConfigError(`the token lifetime must be a whole number of seconds above 0, got ${ttlSeconds}`);
    if (settings.realm !== undefined && !/^https?:\/\/[^/\s"]+/.test(settings.realm)) throw new ConfigError(`the token realm must be an http(s) URL, got ${settings.realm}`);
    const key = await loadSigningKey(settings.key, settings.cert);
    const names = { issuer: settings.issuer ?? DEFAULT_TOKEN_ISSUER, service };
    verifier = new JwtVerifier(key, names);
    token = { issuer: new TokenIssuer(key, { ...names, ttlSeconds }), service, realm: settings.realm };
  }
  const parts: AuthParts = {
    passwords,
    verifier,
    requirementOf,
    tokenGrants,
    allows,
    challenger: challenger(options.basicRealm ?? 'touchstone', service),
    canPull: (grants) => (name) => grants.actions({ type: 'repository', name }).has('pull'),
  };
  return { policy, token, parts };
}
