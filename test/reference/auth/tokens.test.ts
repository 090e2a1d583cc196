/**
 * Token signing keys and JWTs: keys and certificates made by openssl load (ECDSA P-256 as ES256,
 * RSA as RS256) or are refused with the reason; issued tokens carry the claims and header of the
 * token specification, with a chain in x5c that verifies against the CA the way Distribution
 * checks it and the libtrust key id computed independently with openssl and base32; verification
 * refuses a wrong issuer, a wrong audience, an expired or not yet valid token, a tampered payload
 * or signature, another key, and a malformed access claim — never echoing the token.
 */
import t, { type Test } from 'tap';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { ConfigError } from '../../../reference/auth/errors.ts';
import { allows, tokenGrants } from '../../../reference/auth/policy.ts';
import { JwtVerifier, LEEWAY_SECONDS, libtrustKeyId, loadSigningKey, TokenError, TokenIssuer, type SigningKey } from '../../../reference/auth/tokens.ts';
import { makePki, type Pki } from '../../helpers/pki.ts';
import { run, tempDir } from '../../helpers/tools.ts';

const SETTINGS = { issuer: 'test-issuer', service: 'test-registry', ttlSeconds: 300 };
const ACCESS = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }];

const dir = await tempDir(t);
const pki = (await makePki(t, dir)) as Pki;
const key = await loadSigningKey(pki.tokenKey, pki.tokenChain);

async function refused(t: Test, verifier: JwtVerifier, token: string, reason: string, what: string, at?: number): Promise<void> {
  const error = await verifier.verify(token, at).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!t.type(error, TokenError, `${what}: refused`)) return;
  t.equal((error as TokenError).reason, reason, `${what}: ${reason}`);
  t.notMatch((error as Error).message, token.slice(0, 20), `${what}: the message does not hold the token`);
}

t.test('an ECDSA P-256 key (SEC1 PEM) signs ES256 with its chain in x5c and the libtrust kid', async (t) => {
  t.equal(key.alg, 'ES256');
  const pems = (await readFile(pki.tokenChain, 'utf8')).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
  t.same(key.x5c, pems.map((pem) => new X509Certificate(pem).raw.toString('base64')), 'x5c: leaf then CA, DER in standard base64');
  // The kid as libtrust computes it, here by openssl, sha256 and coreutils base32.
  const der = join(dir, 'token.pub.der');
  await run('openssl', ['pkey', '-in', pki.tokenKey, '-pubout', '-outform', 'DER', '-out', der]);
  const digest = await run('openssl', ['dgst', '-sha256', '-binary', '-out', join(dir, 'digest'), der]);
  t.equal(digest.code, 0);
  const head = (await readFile(join(dir, 'digest'))).subarray(0, 30);
  await writeFile(join(dir, 'digest30'), head);
  const base32 = await run('base32', ['-w0', join(dir, 'digest30')]);
  const expected = base32.stdout.trim().replace(/=+$/, '').match(/.{4}/g)!.join(':');
  t.equal(key.kid, expected, 'kid = base32(sha256(SPKI DER)[:30]) in groups of four');
  t.match(key.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  t.equal(libtrustKeyId(key.publicKey), key.kid);
});

t.test('issued tokens carry the claims of the token specification and verify', async (t) => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const issuer = new TokenIssuer(key, SETTINGS, () => now);
  const issued = await issuer.issue('alice', ACCESS);
  t.equal(issued.expiresIn, 300);
  t.equal(issued.issuedAt, '2030-01-01T00:00:00.000Z');
  const header = decodeProtectedHeader(issued.token);
  t.same(header, { alg: 'ES256', typ: 'JWT', kid: key.kid, x5c: [...key.x5c] });
  // Verified the way Distribution does: the x5c leaf chains to the trusted root, its key verifies.
  const leaf = new X509Certificate(Buffer.from(header.x5c![0]!, 'base64'));
  const ca = new X509Certificate(await readFile(pki.caCert));
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the x5c leaf is issued and signed by the CA');
  t.notOk(leaf.ca, 'the leaf is no CA');
  const { payload } = await jwtVerify(issued.token, leaf.publicKey, { currentDate: new Date(now) });
  t.equal(payload.iss, 'test-issuer');
  t.equal(payload.sub, 'alice');
  t.equal(payload.aud, 'test-registry', 'aud is one string (Distribution 2.8 reads a string)');
  t.equal(payload.iat, now / 1000);
  t.equal(payload.nbf, now / 1000);
  t.equal(payload.exp, now / 1000 + 300);
  t.match(payload.jti, /^[0-9a-f-]{36}$/);
  t.same(payload.access, ACCESS);
  const verified = await new JwtVerifier(key, SETTINGS).verify(issued.token, now + 1000);
  t.same(verified, { subject: 'alice', access: ACCESS });
  const second = await issuer.issue('alice', ACCESS);
  t.not(second.token, issued.token, 'every token has its own jti');
  const anonymous = await new JwtVerifier(key, SETTINGS).verify((await issuer.issue('', [])).token, now);
  t.same(anonymous, { subject: '', access: [] }, 'anonymous: empty subject, no access');
});

t.test('a token holds only its scope: a token for team/app does not allow another repository', async (t) => {
  const issued = await new TokenIssuer(key, SETTINGS).issue('alice', ACCESS);
  const grants = tokenGrants((await new JwtVerifier(key, SETTINGS).verify(issued.token)).access);
  t.ok(allows(grants, { type: 'repository', name: 'team/app', actions: ['push'] }));
  t.notOk(allows(grants, { type: 'repository', name: 'team/other', actions: ['pull'] }));
  t.notOk(allows(grants, { type: 'repository', name: 'team/app', actions: ['delete'] }));
});

t.test('verification refuses what it must', async (t) => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const verifier = new JwtVerifier(key, SETTINGS);
  const token = (await new TokenIssuer(key, SETTINGS, () => now).issue('alice', ACCESS)).token;
  t.ok(await verifier.verify(token, now), 'valid now');
  await refused(t, new JwtVerifier(key, { ...SETTINGS, issuer: 'another-issuer' }), token, 'issuer', 'another issuer', now);
  await refused(t, new JwtVerifier(key, { ...SETTINGS, service: 'another-registry' }), token, 'audience', 'another audience', now);
  t.ok(await verifier.verify(token, now + (300 + LEEWAY_SECONDS - 1) * 1000), 'within the leeway after exp');
  await refused(t, verifier, token, 'expired', 'expired', now + (300 + LEEWAY_SECONDS + 1) * 1000);
  t.ok(await verifier.verify(token, now - (LEEWAY_SECONDS - 1) * 1000), 'within the leeway before nbf');
  await refused(t, verifier, token, 'not-yet-valid', 'not yet valid', now - (LEEWAY_SECONDS + 1) * 1000);

  const [head, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const widened = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: '*', actions: ['pull', 'push', 'delete'] }] })).toString('base64url');
  await refused(t, verifier, `${head}.${widened}.${signature}`, 'signature', 'a payload with widened access', now);
  const flipped = Buffer.from(signature, 'base64url');
  flipped[0] = (flipped[0] as number) ^ 1;
  await refused(t, verifier, `${head}.${payload}.${flipped.toString('base64url')}`, 'signature', 'a flipped signature bit', now);
  const other = await loadSigningKey(pki.otherKey, pki.otherChain);
  const forged = (await new TokenIssuer(other, SETTINGS, () => now).issue('alice', ACCESS)).token;
  await refused(t, verifier, forged, 'signature', 'signed by another key of the same CA', now);
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
  await refused(t, verifier, unsigned, 'signature', 'alg none', now);
  await refused(t, verifier, 'not-a-jwt', 'malformed', 'not a JWT', now);
  const rsa = await loadSigningKey(pki.rsaKey, pki.rsaCert);
  const rs256 = (await new TokenIssuer(rsa, SETTINGS, () => now).issue('alice', ACCESS)).token;
  await refused(t, verifier, rs256, 'signature', 'RS256 where ES256 is expected', now);
});

t.test('claims: exp is required, access must be a list of {type, name, actions}', async (t) => {
  const verifier = new JwtVerifier(key, SETTINGS);
  const sign = (claims: Record<string, unknown>, withExp = true) => {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(SETTINGS.issuer).setAudience(SETTINGS.service).setIssuedAt().setNotBefore('0s');
    if (withExp) jwt = jwt.setExpirationTime('5m');
    return jwt.sign(key.privateKey);
  };
  await refused(t, verifier, await sign({ access: [] }, false), 'claims', 'no exp');
  await refused(t, verifier, await sign({ access: {} }), 'claims', 'access not a list');
  await refused(t, verifier, await sign({ access: [{ type: 'repository', name: 'a', actions: 'pull' }] }), 'claims', 'actions not a list');
  t.same(await verifier.verify(await sign({ sub: 'x' })), { subject: 'x', access: [] }, 'no access claim: no access');
});

t.test('an RSA key signs RS256', async (t) => {
  const rsa = await loadSigningKey(pki.rsaKey, pki.rsaCert);
  t.equal(rsa.alg, 'RS256');
  t.equal(rsa.x5c.length, 1, 'a self-signed certificate is a chain of one');
  const issued = await new TokenIssuer(rsa, SETTINGS).issue('bob', ACCESS);
  t.same(await new JwtVerifier(rsa, SETTINGS).verify(issued.token), { subject: 'bob', access: ACCESS });
});

t.test('keys and certificates that cannot sign tokens are refused at start-up', async (t) => {
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const p384 = join(dir, 'p384.key');
  await run('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', p384]);
  const rsa1024 = join(dir, 'rsa1024.key');
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa1024]);
  const tokenCert = (await readFile(pki.tokenChain, 'utf8')).split(/(?<=-----END CERTIFICATE-----\n)/)[0] as string;
  const otherCert = (await readFile(pki.otherChain, 'utf8')).split(/(?<=-----END CERTIFICATE-----\n)/)[0] as string;
  const cases: Array<[string, () => Promise<SigningKey>, RegExp]> = [
    ['a P-384 key', () => loadSigningKey(p384, pki.tokenChain), /must be ECDSA P-256 \(ES256\) or RSA of at least 2048 bits/],
    ['RSA 1024', () => loadSigningKey(rsa1024, pki.tokenChain), /must be ECDSA P-256/],
    ['the certificate of another key', () => loadSigningKey(pki.tokenKey, pki.otherChain), /its first certificate is not that of the key/],
    ['a CA as signer', () => loadSigningKey(join(dir, 'ca.key'), pki.caCert), /the signing certificate is a CA .*basicConstraints=critical,CA:FALSE/],
    ['a chain out of order', async () => loadSigningKey(pki.tokenKey, await write('bad-chain.crt', tokenCert + otherCert)), /certificate 1 \(.*\) is not issued by certificate 2/],
    ['no certificate', async () => loadSigningKey(pki.tokenKey, await write('empty.crt', 'nothing\n')), /holds no PEM certificate/],
    ['not a key', async () => loadSigningKey(await write('not.key', 'nothing\n'), pki.tokenChain), /is not a PEM private key/],
    ['a missing key file', () => loadSigningKey(join(dir, 'missing.key'), pki.tokenChain), /cannot read the token signing key .*missing\.key/],
    ['an expired certificate', () => loadSigningKey(pki.tokenKey, pki.tokenChain, Date.now() + 10 * 86_400_000), /the signing certificate expired on/],
  ];
  for (const [what, load, message] of cases) {
    const error = await load().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(error, ConfigError, what);
    t.match((error as Error | undefined)?.message, message, what);
  }
  t.ok(createPrivateKey(await readFile(pki.tokenKey)), 'the SEC1 key itself is fine');
});
