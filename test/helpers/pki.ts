/**
 * Certificates, keys and password files for the auth tests, made by the real tools an operator
 * uses (the README's recipe): `openssl` for a test CA, a server certificate for 127.0.0.1 and
 * localhost (subjectAltName), and token signing keys (ECDSA P-256 and RSA) with certificates
 * issued by the CA; `htpasswd -B` (apache2-utils) for bcrypt password files. A missing tool fails
 * the test with its install command.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { requireTool, run, type RunResult } from './tools.ts';

export interface Pki {
  readonly dir: string;
  /** The test CA (PEM); also `<certDir>/ca.crt`, the layout skopeo's and podman's --cert-dir read. */
  readonly caCert: string;
  readonly certDir: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** ECDSA P-256 signing key (SEC1 PEM, as `openssl ecparam -genkey` writes it). */
  readonly tokenKey: string;
  /** Its certificate followed by the CA's: the x5c chain. */
  readonly tokenChain: string;
  /** An RSA 2048 signing key (PKCS#8) and its self-signed certificate. */
  readonly rsaKey: string;
  readonly rsaCert: string;
  /** Another P-256 key with a certificate from the same CA: a key the registry does not trust. */
  readonly otherKey: string;
  readonly otherChain: string;
}

async function openssl(args: readonly string[], cwd: string): Promise<RunResult> {
  const result = await run('openssl', args, { cwd, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${result.command} failed: ${result.stderr}`);
  return result;
}

/** Signs `name`.csr with the CA, with the given X.509 v3 extensions. */
async function issue(dir: string, name: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
}

const SIGNER_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n';

/** Makes the whole set in `dir`; undefined (and the test failed) when openssl is missing. */
export async function makePki(t: Test, dir: string): Promise<Pki | undefined> {
  if (!(await requireTool(t, 'openssl', 'openssl'))) return undefined;
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...p256, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=touchstone test CA'], dir);
  await openssl(['req', ...p256, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await issue(dir, 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n');
  for (const name of ['token', 'other']) {
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
    await openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=touchstone ${name} signer`], dir);
    await issue(dir, name, SIGNER_EXTENSIONS);
    await writeFile(join(dir, `${name}-chain.crt`), `${await readFile(join(dir, `${name}.crt`), 'utf8')}${await readFile(join(dir, 'ca.crt'), 'utf8')}`);
  }
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key'], dir);
  await openssl(['req', '-x509', '-key', 'rsa.key', '-out', 'rsa.crt', '-days', '2', '-subj', '/CN=touchstone rsa signer', '-addext', 'basicConstraints=critical,CA:FALSE'], dir);
  const certDir = join(dir, 'certs.d');
  await mkdir(certDir);
  await writeFile(join(certDir, 'ca.crt'), await readFile(join(dir, 'ca.crt')));
  const at = (name: string) => join(dir, name);
  return {
    dir,
    caCert: at('ca.crt'),
    certDir,
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    tokenKey: at('token.key'),
    tokenChain: at('token-chain.crt'),
    rsaKey: at('rsa.key'),
    rsaCert: at('rsa.crt'),
    otherKey: at('other.key'),
    otherChain: at('other-chain.crt'),
  };
}

/**
 * An htpasswd file made by `htpasswd -B -b` with these users; undefined (and the test failed)
 * when apache2-utils is missing.
 */
export async function makeHtpasswd(t: Test, file: string, users: Readonly<Record<string, string>>): Promise<string | undefined> {
  if (!(await requireTool(t, 'htpasswd', 'apache2-utils'))) return undefined;
  let create = true;
  for (const [user, password] of Object.entries(users)) {
    const result = await run('htpasswd', ['-B', '-b', ...(create ? ['-c'] : []), file, user, password], { timeoutMs: 30_000 });
    if (result.code !== 0) throw new Error(`${result.command} failed: ${result.stderr}`);
    create = false;
  }
  return file;
}
