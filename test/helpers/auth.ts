/**
 * A reference registry with TLS and authentication for the auth tests: the test CA, server
 * certificate and token key from test/helpers/pki.ts, an htpasswd file made by `htpasswd -B`, the
 * policy below; an HTTPS client that trusts the test CA; credentials and tokens by user name.
 *
 *   alice   everything everywhere (the admin)
 *   bob     pull on team/app only: the pull-only identity
 *   carol   pull and push on team/*, no delete
 *   dave    in the htpasswd file, not in the policy: only what anonymous may do
 *   anonymous   pull on public/**
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Agent } from 'undici';
import type { AuthFaultName } from '../../reference/faults/auth.ts';
import type { TokenOptions } from '../../reference/auth/setup.ts';
import { call, startTestRegistry, type CallOptions, type Reply, type TestRegistry } from './registry.ts';
import { makeHtpasswd, makePki, type Pki } from './pki.ts';
import { tempDir } from './tools.ts';

export const PASSWORDS = { alice: 'alice-secret-pw', bob: 'bob-secret-pw', carol: 'carol-secret-pw', dave: 'dave-secret-pw' } as const;
export type User = keyof typeof PASSWORDS;

export const POLICY = `users:
  alice: { "**": "*" }
  bob: { team/app: [pull] }
  carol: { "team/*": [pull, push] }
anonymous:
  "public/**": [pull]
`;

export const SERVICE = 'touchstone-registry';

export interface SecureRegistry extends TestRegistry {
  readonly pki: Pki;
  readonly dir: string;
  readonly htpasswd: string;
  readonly agent: Agent;
  /** One HTTPS call trusting the test CA. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** A token from the registry's token endpoint, as `user` (anonymous when undefined). */
  token(user: User | undefined, scopes: readonly string[]): Promise<string>;
  /** Authorization for `user`: Basic credentials, or (token mode) a token holding `scopes`. */
  authorization(user: User, scopes: readonly string[]): Promise<Record<string, string>>;
}

export interface SecureOptions {
  readonly mode: 'htpasswd' | 'token';
  /** Policy text; null for no policy file. Default POLICY. */
  readonly policy?: string | null;
  readonly faults?: readonly AuthFaultName[];
  readonly token?: Partial<TokenOptions>;
  /** Certificates and htpasswd file of another registry of the test, instead of new ones. */
  readonly files?: Pick<SecureRegistry, 'pki' | 'htpasswd'>;
}

export function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export const as = (user: User): Record<string, string> => basic(user, PASSWORDS[user]);
export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** Starts the registry; undefined (the test failed) when openssl or htpasswd is missing. */
export async function startSecureRegistry(t: Test, options: SecureOptions): Promise<SecureRegistry | undefined> {
  const dir = await tempDir(t, 'touchstone-auth-');
  const pki = options.files?.pki ?? (await makePki(t, dir));
  const htpasswd = options.files?.htpasswd ?? (await makeHtpasswd(t, join(dir, 'htpasswd'), PASSWORDS));
  if (!pki || !htpasswd) return undefined;
  let policy: string | undefined;
  if (options.policy !== null) {
    policy = join(dir, 'policy.yaml');
    await writeFile(policy, options.policy ?? POLICY);
  }
  const registry = await startTestRegistry(t, {
    tls: { cert: pki.serverCert, key: pki.serverKey },
    ...(options.faults ? { faults: options.faults } : {}),
    auth: {
      mode: options.mode,
      htpasswd,
      policy,
      ...(options.mode === 'token' ? { token: { key: pki.tokenKey, cert: pki.tokenChain, ...options.token } } : {}),
    },
  });
  const agent = new Agent({ connect: { ca: await readFile(pki.caCert, 'utf8') }, keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  t.teardown(() => agent.close());
  const secureCall = (method: string, path: string, callOptions: CallOptions = {}) => call(registry.url, method, path, { ...callOptions, dispatcher: agent });
  const token = async (user: User | undefined, scopes: readonly string[]) => {
    const query = new URLSearchParams({ service: SERVICE });
    for (const scope of scopes) query.append('scope', scope);
    const reply = await secureCall('GET', `/token?${query}`, { headers: user === undefined ? {} : as(user) });
    if (reply.status !== 200) throw new Error(`token for ${user ?? 'anonymous'}: ${reply.status} ${reply.body.toString()}`);
    return reply.json<{ token: string }>().token;
  };
  return {
    ...registry,
    pki,
    dir,
    htpasswd,
    agent,
    call: secureCall,
    token,
    authorization: async (user, scopes) => (options.mode === 'token' ? bearer(await token(user, scopes)) : as(user)),
  };
}

/** The code of the first error of an error envelope. */
export function errorCode(reply: Reply): string | undefined {
  return reply.json<{ errors?: { code: string }[] }>().errors?.[0]?.code;
}

/** The parameters of a challenge (RFC 9110 §11.6.1 auth-params, quoted). */
export function challengeParams(header: string | undefined): Record<string, string> {
  return Object.fromEntries([...(header ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] as string, (m[2] as string).replace(/\\(.)/g, '$1')]));
}
