/**
 * Bearer tokens of the distribution token authentication specification ("Token Authentication
 * Implementation": a JWT signed by the token issuer) — issued by the built-in token endpoint and
 * verified on every request. Claims: `iss`, `sub` (empty for anonymous), `aud` (the service, a
 * single string: Distribution 2.8 decodes it as one), `exp`, `nbf`, `iat`, `jti`, and
 * `access: [{type, name, actions}]`. The header carries `alg` (ES256 for an ECDSA P-256 key,
 * RS256 for RSA), `kid` (the libtrust key id Distribution computes when a token has no chain) and
 * `x5c`, the signing certificate chain (RFC 7515 §4.1.6), so that another registry trusting the
 * chain's root (Distribution's `auth.token.rootcertbundle`) accepts the tokens. Verification
 * checks signature, issuer, audience, expiry and not-before with a small leeway, and the shape of
 * the access claim. Signing and verifying are jose's; keys and certificates are node:crypto's.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import { v4 as uuid } from 'uuid';
import { ConfigError } from './errors.ts';
import type { Access } from './scope.ts';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  /** The certificate chain, leaf first, each DER in standard base64 (RFC 7515 §4.1.6). */
  readonly x5c: readonly string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * libtrust's key id, as Distribution computes it: SHA-256 of the DER SubjectPublicKeyInfo,
 * truncated to 240 bits, base32 (RFC 4648) in twelve groups of four separated by colons.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const digest = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, 30);
  let bits = '';
  for (const byte of digest) bits += byte.toString(2).padStart(8, '0');
  let text = '';
  for (let i = 0; i < bits.length; i += 5) text += BASE32[parseInt(bits.slice(i, i + 5), 2)];
  return text.match(/.{4}/g)!.join(':');
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

/** Every certificate of a PEM file, in order. */
export function certificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${file} holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(`${file}: certificate ${index + 1} does not parse: ${(error as Error).message}`);
    }
  });
}

/**
 * Loads the token signing key and its certificate chain (leaf first, then any intermediates and
 * the root): the key must be ECDSA P-256 or RSA of at least 2048 bits and match the leaf, each
 * certificate must be issued and signed by the next, and the leaf must not be a CA (Distribution
 * refuses tokens whose x5c leaf is one).
 */
export async function loadSigningKey(keyFile: string, certFile: string, now = Date.now()): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readText(keyFile, 'token signing key'));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${keyFile} is not a PEM private key: ${(error as Error).message}`);
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  let alg: SigningKey['alg'];
  if (privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') alg = 'ES256';
  else if (privateKey.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) alg = 'RS256';
  else throw new ConfigError(`${keyFile}: the token signing key must be ECDSA P-256 (ES256) or RSA of at least 2048 bits (RS256)`);
  const chain = certificates(await readText(certFile, 'token signing certificate'), certFile);
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(privateKey)) throw new ConfigError(`${certFile}: its first certificate is not that of the key ${keyFile}`);
  if (leaf.ca) {
    throw new ConfigError(`${certFile}: the signing certificate is a CA (basicConstraints CA:TRUE); Distribution refuses such a token signer. Make it with -addext basicConstraints=critical,CA:FALSE`);
  }
  if (Date.parse(leaf.validTo) < now) throw new ConfigError(`${certFile}: the signing certificate expired on ${leaf.validTo}`);
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i] as X509Certificate, chain[i + 1] as X509Certificate];
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new ConfigError(`${certFile}: certificate ${i + 1} (${cert.subject.replaceAll('\n', ', ')}) is not issued by certificate ${i + 2}`);
    }
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, alg, kid: libtrustKeyId(publicKey), x5c: chain.map((cert) => cert.raw.toString('base64')) };
}

export interface TokenSettings {
  readonly issuer: string;
  /** The audience: the registry's service name. */
  readonly service: string;
  readonly ttlSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: string;
}

export class TokenIssuer {
  readonly #key: SigningKey;
  readonly #settings: TokenSettings;
  readonly #now: () => number;

  constructor(key: SigningKey, settings: TokenSettings, now: () => number = Date.now) {
    this.#key = key;
    this.#settings = settings;
    this.#now = now;
  }

  /** A token for `subject` ('' for anonymous) holding exactly `access`. */
  async issue(subject: string, access: readonly Access[]): Promise<IssuedToken> {
    const now = Math.floor(this.#now() / 1000);
    const { issuer, service, ttlSeconds } = this.#settings;
    const token = await new SignJWT({ access: access.map(({ type, name, actions }) => ({ type, name, actions: [...actions] })) })
      .setProtectedHeader({ alg: this.#key.alg, typ: 'JWT', kid: this.#key.kid, x5c: [...this.#key.x5c] })
      .setIssuer(issuer)
      .setSubject(subject)
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(uuid())
      .sign(this.#key.privateKey);
    return { token, expiresIn: ttlSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }
}

export type TokenFailure = 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'not-yet-valid' | 'claims';

/** Why a token was refused; the message never holds the token. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly reason: TokenFailure;

  constructor(reason: TokenFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface VerifiedToken {
  readonly subject: string;
  readonly access: readonly Access[];
}

/** What checks a token. `at` (ms) replaces the clock. */
export interface TokenVerifier {
  verify(token: string, at?: number): Promise<VerifiedToken>;
}

/** Clock skew tolerated on exp and nbf. */
export const LEEWAY_SECONDS = 10;

export class JwtVerifier implements TokenVerifier {
  readonly #key: KeyObject;
  readonly #alg: string;
  readonly #issuer: string;
  readonly #service: string;

  constructor(key: Pick<SigningKey, 'publicKey' | 'alg'>, settings: Pick<TokenSettings, 'issuer' | 'service'>) {
    this.#key = key.publicKey;
    this.#alg = key.alg;
    this.#issuer = settings.issuer;
    this.#service = settings.service;
  }

  async verify(token: string, at?: number): Promise<VerifiedToken> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [this.#alg],
        issuer: this.#issuer,
        audience: this.#service,
        clockTolerance: LEEWAY_SECONDS,
        requiredClaims: ['exp', 'nbf', 'iat'],
        ...(at !== undefined ? { currentDate: new Date(at) } : {}),
      }));
    } catch (error) {
      throw failure(error);
    }
    return claims(payload);
  }
}

/** The claims of a token whose signature and times were checked. */
export function claims(payload: Record<string, unknown>): VerifiedToken {
  const access = payload.access ?? [];
  const valid =
    Array.isArray(access) &&
    access.every((entry: unknown) => {
      const item = entry as Partial<Record<keyof Access, unknown>> | null;
      return typeof item?.type === 'string' && typeof item.name === 'string' && Array.isArray(item.actions) && item.actions.every((a) => typeof a === 'string');
    });
  if (!valid) throw new TokenError('claims', 'the access claim is not a list of {type, name, actions}');
  return { subject: typeof payload.sub === 'string' ? payload.sub : '', access: access as Access[] };
}

/** The claims of a token read without checking its signature or times (to say why it is refused, or to accept it anyway). */
export function unverifiedClaims(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    throw new TokenError('malformed', 'the token is not a JWT');
  }
}

function failure(error: unknown): TokenError {
  if (error instanceof errors.JWTExpired) return new TokenError('expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new TokenError('issuer', 'the token was issued by another issuer');
    if (error.claim === 'aud') return new TokenError('audience', 'the token is meant for another service');
    if (error.claim === 'nbf') return new TokenError('not-yet-valid', 'the token is not valid yet');
    return new TokenError('claims', `the token's ${error.claim} claim is missing or invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenError('signature', 'the token signature does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenError('signature', 'the token is signed with another algorithm');
  return new TokenError('malformed', 'the token is not a well-formed JWT');
}
