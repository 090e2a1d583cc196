/**
 * The files of a reference registry with TLS, users and an access policy, made in a directory for
 * runs that check the suite's auth checks against it (`npm run faults`, the fault tests): a CA, a
 * server certificate for 127.0.0.1 and localhost and a token signing key with its chain, made by
 * `openssl` as README's recipe does (no X.509 issuing in node:crypto); an htpasswd file of bcrypt
 * entries (bcryptjs, as `htpasswd -B` writes them); the policy below; fresh random passwords.
 *
 *   admin    everything (pushes the run's content, collects garbage)
 *   reader   pull on <namespace>/restricted: the restricted identity of --auth-checks
 *
 * Sits outside both halves, like embedded.ts: it starts the reference and hands the suite flags.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import type { AuthOptions, TlsOptions } from '../reference/auth/setup.ts';
import { LEEWAY_SECONDS } from '../reference/auth/tokens.ts';

const run = promisify(execFile);

export interface SecureFiles {
  readonly caCert: string;
  readonly tls: TlsOptions;
  readonly htpasswd: string;
  readonly policy: string;
  readonly tokenKey: string;
  readonly tokenChain: string;
  readonly users: { readonly admin: string; readonly reader: string };
}

/** The repository the reader may pull: README's convention for --restricted-repository. */
export const RESTRICTED = 'touchstone/restricted';

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 60_000 });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'missing openssl: install it with: apt-get install -y openssl' : `openssl ${args.join(' ')}: ${(error as Error).message}`);
  }
}

export async function makeSecureFiles(dir: string): Promise<SecureFiles> {
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const issue = async (name: string, extensions: string): Promise<void> => {
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  };
  await openssl(['req', '-x509', ...p256, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=touchstone faults CA'], dir);
  await openssl(['req', ...p256, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'token.key'], dir);
  await openssl(['req', '-new', '-key', 'token.key', '-out', 'token.csr', '-subj', '/CN=touchstone token signer'], dir);
  await issue('token', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  await writeFile(join(dir, 'token-chain.crt'), `${await readFile(join(dir, 'token.crt'), 'utf8')}${await readFile(join(dir, 'ca.crt'), 'utf8')}`);
  const users = { admin: randomBytes(12).toString('hex'), reader: randomBytes(12).toString('hex') };
  const lines = await Promise.all(Object.entries(users).map(async ([user, password]) => `${user}:${await bcrypt.hash(password, 10)}`));
  await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'policy.yaml'), `users:\n  admin: { "**": "*" }\n  reader: { "${RESTRICTED}": [pull] }\n`);
  const at = (name: string): string => join(dir, name);
  return {
    caCert: at('ca.crt'),
    tls: { cert: at('server.crt'), key: at('server.key') },
    htpasswd: at('htpasswd'),
    policy: at('policy.yaml'),
    tokenKey: at('token.key'),
    tokenChain: at('token-chain.crt'),
    users,
  };
}

/**
 * The registry's auth options: `token` (tokens of `ttlSeconds`, so that an expired token is seen
 * within a run) or `htpasswd`.
 */
export function authOptions(files: SecureFiles, mode: 'token' | 'htpasswd', ttlSeconds = 5): AuthOptions {
  return {
    mode,
    htpasswd: files.htpasswd,
    policy: files.policy,
    ...(mode === 'token' ? { token: { key: files.tokenKey, cert: files.tokenChain, ttlSeconds } } : {}),
  };
}

/** The `touchstone check` flags for such a registry: its CA, admin, and the reader restricted to RESTRICTED. */
export function secureCheckArgs(files: SecureFiles): string[] {
  return [
    '--ca-file', files.caCert, '--username', 'admin', '--password', files.users.admin,
    '--auth-checks', '--restricted-username', 'reader', '--restricted-password', files.users.reader, '--restricted-repository', RESTRICTED,
    '--token-leeway', String(LEEWAY_SECONDS),
  ];
}
