/**
 * `touchstone serve` with the TLS, authentication and policy flags: flag combinations that cannot
 * work are refused; run as a child process the way an operator runs it, a configuration mistake
 * exits 2 naming what to fix (and never starts), `--list-faults` lists the auth faults, and a
 * complete command line serves HTTPS with token authentication.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { PASSWORDS, POLICY } from '../../helpers/auth.ts';
import { ConfigError } from '../../../reference/auth/errors.ts';
import { securityOptions } from '../../../reference/auth/flags.ts';
import { makeHtpasswd, makePki, type Pki } from '../../helpers/pki.ts';
import { childEnv, tempDir } from '../../helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'reference/cli.ts', ...args], { cwd: ROOT, env: childEnv(), timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const dir = await tempDir(t);
const pki = (await makePki(t, dir)) as Pki;
const htpasswd = (await makeHtpasswd(t, join(dir, 'htpasswd'), PASSWORDS)) as string;
const policy = join(dir, 'policy.yaml');
await writeFile(policy, POLICY);
const sha = join(dir, 'sha.htpasswd');
await writeFile(sha, 'alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
const badPolicy = join(dir, 'bad.yaml');
await writeFile(badPolicy, 'users:\n  alice:\n    "**": [pul]\n');
const store = join(dir, 'store');
const token = ['--auth', 'token', '--token-key', pki.tokenKey, '--token-cert', pki.tokenChain];

t.test('flag combinations that cannot work are refused with what to fix', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ auth: 'htpasswd' }, /--auth htpasswd needs --htpasswd FILE/],
    [{ auth: 'ldap' }, /--auth is htpasswd or token, got ldap/],
    [{ htpasswd: 'f' }, /--htpasswd need --auth htpasswd or --auth token/],
    [{ policy: 'f', 'token-ttl': '5' }, /--policy, --token-ttl need --auth/],
    [{ 'tls-cert': 'c' }, /--tls-cert and --tls-key go together/],
    [{ auth: 'htpasswd', htpasswd: 'f', 'token-ttl': '60' }, /--token-ttl need --auth token/],
    [{ auth: 'token', 'token-key': 'k' }, /--auth token needs --token-key FILE and --token-cert FILE/],
    [{ auth: 'token', 'token-key': 'k', 'token-cert': 'c', 'token-ttl': '1.5' }, /--token-ttl needs a whole number of seconds, got 1\.5/],
  ];
  for (const [values, message] of cases) {
    t.throws(() => securityOptions(values), ConfigError, JSON.stringify(values));
    t.throws(() => securityOptions(values), message, JSON.stringify(values));
  }
  t.same(securityOptions({ 'tls-cert': 'c', 'tls-key': 'k' }), { tls: { cert: 'c', key: 'k' } });
  t.same(securityOptions({ auth: 'token', 'token-key': 'k', 'token-cert': 'c', 'token-ttl': '60', 'token-realm': 'https://r/token' }), {
    tls: undefined,
    auth: {
      mode: 'token',
      htpasswd: undefined,
      policy: undefined,
      token: { key: 'k', cert: 'c', issuer: undefined, service: undefined, ttlSeconds: 60, realm: 'https://r/token' },
    },
  });
});

t.test('a configuration mistake exits 2 naming the file and line, and never starts', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--auth', 'htpasswd', '--htpasswd', sha], /^touchstone: .*sha\.htpasswd line 1: user "alice" has a SHA-1 \(\{SHA\}\) hash .*only bcrypt is accepted/],
    [[...token, '--htpasswd', htpasswd, '--policy', badPolicy, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey], /^touchstone: .*bad\.yaml line 3: user alice, \*\*: "pul" is not an action/],
    [['--auth', 'ldap'], /^touchstone: --auth is htpasswd or token, got ldap/],
    [['--fault', 'auth-pull-can-push'], /^the faults auth-pull-can-push need --auth/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(['serve', '--port', '0', '--root', store, ...args]);
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`);
    t.match(run.stderr, message, `${args.join(' ')}: says what to fix`);
    t.notMatch(run.stderr, /listening/, 'it did not start');
  }
});

t.test('--list-faults lists the auth faults', async (t) => {
  const run = await cli(['serve', '--list-faults']);
  t.equal(run.code, 0);
  for (const name of ['auth-scope-any-repository', 'auth-pull-can-push', 'auth-mount-ignores-source', 'auth-expired-token-accepted', 'auth-challenge-without-scope']) {
    t.match(run.stdout, new RegExp(`^${name} `, 'm'), name);
  }
});

t.test('a complete command line serves HTTPS with tokens', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'reference/cli.ts', 'serve', '--port', '0', '--root', store, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, ...token, '--htpasswd', htpasswd, '--policy', policy, '--token-service', 'cli-registry', '--token-ttl', '60', '--fault', 'auth-challenge-without-scope'],
    { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  const url = await new Promise<string | undefined>((done) => {
    const timer = setTimeout(() => done(undefined), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (https:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
  });
  if (!t.ok(url, 'it says where it listens', { stderr })) return;
  t.match(stderr, /FAULTS \(deliberate deviations from the spec\): auth-challenge-without-scope/);
  const agent = new Agent({ connect: { ca: await readFile(pki.caCert, 'utf8') } });
  t.teardown(() => agent.close());
  const reply = await request(`${url}/v2/team/app/tags/list`, { dispatcher: agent });
  await reply.body.dump();
  t.equal(reply.statusCode, 401);
  t.equal(reply.headers['www-authenticate'], `Bearer realm="${url}/token",service="cli-registry"`, 'the service flag, and the fault: no scope');
  const tokenReply = await request(`${url}/token?service=cli-registry&scope=repository:team/app:pull`, { dispatcher: agent, headers: { Authorization: `Basic ${Buffer.from('bob:bob-secret-pw').toString('base64')}` } });
  t.equal((await tokenReply.body.json() as { expires_in: number }).expires_in, 60, 'the token lifetime flag');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it cleanly');
});
