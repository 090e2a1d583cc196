/**
 * The auth.* checks (conformance/checks/auth.ts) through `touchstone check --auth-checks` against
 * the reference registry behind TLS with its access policy (test/helpers/auth.ts: alice may do
 * everything, bob pull team/app only): with tokens every auth check passes, the expired token
 * included (tokens of 1 s, the reference's leeway of 10 s); with Basic authentication the checks
 * about tokens skip, saying why, and the rest pass; a registry without authentication skips them
 * all with the reason; without --auth-checks they are not in the run. The flags that need each
 * other are usage errors, and the restricted password stays out of replay lines.
 */
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main, parseCheckArgs, UsageError } from '../../../conformance/cli.ts';
import type { Report, Result } from '../../../conformance/report/types.ts';
import { LEEWAY_SECONDS } from '../../../reference/auth/tokens.ts';
import { ERROR_TABLE, type ErrorEntry } from '../../../reference/http/errors.ts';
import { PASSWORDS, startSecureRegistry } from '../../helpers/auth.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { tempDir } from '../../helpers/tools.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export const TOKEN_CHECKS = ['auth.challenge.scope', 'auth.token.other-repository', 'auth.mount.source-not-pullable', 'auth.token.tampered', 'auth.token.other-service', 'auth.token.expired'];

/** `touchstone check --auth-checks --only auth` as alice with bob restricted to team/app; the JSON report. */
export async function authRun(t: Test, url: string, extra: readonly string[] = []): Promise<{ code: number; stderr: string; report: Report }> {
  const dir = await tempDir(t, 'touchstone-auth-checks-');
  const json = join(dir, 'report.json');
  const stdout = new Capture();
  const stderr = new Capture();
  const argv = ['--url', url, '--namespace', 'team', '--username', 'alice', '--password', PASSWORDS.alice, '--auth-checks', '--restricted-username', 'bob',
    '--restricted-password', PASSWORDS.bob, '--restricted-repository', 'team/app', '--only', 'auth', '--no-properties', '--json', json, ...extra];
  const code = await main(argv, { env: {}, stdout, stderr });
  const report = code === 2 && stderr.text.includes('harness error') ? ({ results: [] } as unknown as Report) : (JSON.parse(await readFile(json, 'utf8')) as Report);
  return { code, stderr: stderr.text, report };
}

function statuses(report: Report): Record<string, string> {
  return Object.fromEntries(report.results.map((r: Result) => [r.id, r.status === 'pass' ? 'pass' : `${r.status}: ${r.message}`]));
}

t.test('tokens: every auth check passes against the reference with its policy', async (t) => {
  const registry = await startSecureRegistry(t, { mode: 'token', token: { ttlSeconds: 1 } });
  if (!registry) return;
  const run = await authRun(t, registry.url, ['--ca-file', registry.pki.caCert, '--token-leeway', String(LEEWAY_SECONDS)]);
  t.equal(run.code, 0, run.stderr);
  const all = statuses(run.report);
  t.equal(Object.keys(all).length, 17, 'seventeen auth checks ran');
  t.same(Object.entries(all).filter(([, status]) => status !== 'pass'), [], 'all pass', { all });
});

t.test('auth.token.other-service fails when the token endpoint refuses another service with a code outside the spec, or a server error', async (t) => {
  const registry = await startSecureRegistry(t, { mode: 'token' });
  if (!registry) return;
  // The mutants of reference/http/errors.ts's TOKEN_REQUEST_INVALID entry, applied by hand.
  const entry = ERROR_TABLE.TOKEN_REQUEST_INVALID as { -readonly [K in keyof ErrorEntry]: ErrorEntry[K] };
  const kept = { ...entry };
  t.teardown(() => Object.assign(entry, kept));
  for (const [broken, expected] of [[{ code: '' }, /error code "" is not one of the spec's codes/], [{ status: 500 }, /GET the token endpoint for a token of the service .* expected 400, 401, 403 or 404|got 500/]] as const) {
    Object.assign(entry, kept, broken);
    const run = await authRun(t, registry.url, ['--ca-file', registry.pki.caCert, '--only', 'auth.token.other-service']);
    const result = run.report.results.find((r) => r.id === 'auth.token.other-service');
    t.equal(result?.status, 'fail', `${JSON.stringify(broken)}: ${result?.message}`);
    t.match(result?.message, expected);
  }
  Object.assign(entry, kept);
  const run = await authRun(t, registry.url, ['--ca-file', registry.pki.caCert, '--only', 'auth.token.other-service']);
  t.equal(run.report.results.find((r) => r.id === 'auth.token.other-service')?.status, 'pass', 'passes with the table as it is');
});

t.test('Basic: the checks about tokens skip with the reason, the rest pass', async (t) => {
  const registry = await startSecureRegistry(t, { mode: 'htpasswd' });
  if (!registry) return;
  const run = await authRun(t, registry.url, ['--ca-file', registry.pki.caCert]);
  t.equal(run.code, 0, run.stderr);
  const results = new Map(run.report.results.map((r) => [r.id, r]));
  for (const id of TOKEN_CHECKS) {
    t.equal(results.get(id)?.status, 'skip', id);
    t.match(results.get(id)?.message, /uses Basic authentication, no tokens/);
  }
  const others = run.report.results.filter((r) => !TOKEN_CHECKS.includes(r.id));
  t.same(others.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.message}`), [], 'the rest pass');
});

t.test('a registry without authentication: every auth check skips, saying so', async (t) => {
  const registry = await startTestRegistry(t);
  const run = await authRun(t, registry.url);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.report.results.length, 17);
  for (const result of run.report.results) {
    t.equal(result.status, 'skip', result.id);
    t.match(result.message, /the registry challenges no anonymous request \(GET \/v2\/ → 200, GET \/v2\/team\/.*\/manifests\/v1 → 200\): it has no authentication to check/);
  }
});

t.test('flags: --auth-checks needs both identities; its flags need it; the restricted password stays out of replays', async (t) => {
  const base = ['--url', 'https://r.example', '--username', 'a', '--password', 'pa'];
  t.throws(() => parseCheckArgs([...base, '--auth-checks'], {}), /restricted identity/);
  t.throws(() => parseCheckArgs(['--url', 'https://r.example', '--auth-checks', '--restricted-username', 'b', '--restricted-password', 'pb'], {}), /--auth-checks needs --username and --password/);
  t.throws(() => parseCheckArgs([...base, '--restricted-username', 'b'], {}), /--restricted-username goes with --auth-checks/);
  t.throws(() => parseCheckArgs([...base, '--auth-checks', '--restricted-username', 'b', '--restricted-password', 'pb', '--restricted-repository', 'Bad Name'], {}), UsageError);
  t.throws(() => parseCheckArgs([...base, '--auth-checks', '--read-only', '--image', 'x/y:1'], { OCI_RESTRICTED_USERNAME: 'b', OCI_RESTRICTED_PASSWORD: 'pb' }), /not with --read-only/);
  const parsed = parseCheckArgs([...base, '--auth-checks', '--restricted-password=secret-b', '--token-wait', '5'], { OCI_RESTRICTED_USERNAME: 'b' });
  if (parsed === 'help') throw new Error('help');
  t.same(parsed.config.auth, { username: 'b', password: 'secret-b', repository: 'touchstone/restricted', tokenWaitMs: 5000, tokenLeewayMs: 60000 }, 'the default repository is <namespace>/restricted');
  t.notMatch(parsed.config.property?.commandLine, /secret-b|pa\b/);
  t.match(parsed.config.property?.commandLine, /--restricted-password "\$OCI_RESTRICTED_PASSWORD"/);
  const without = parseCheckArgs(base, {});
  if (without === 'help') throw new Error('help');
  t.equal(without.config.auth, undefined);
});
