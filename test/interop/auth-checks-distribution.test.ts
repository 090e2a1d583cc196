/**
 * `touchstone check --auth-checks` against CNCF Distribution 2.8.2 (Debian docker-registry, started
 * by scripts/distribution.sh with an `auth:` section), the first identity alice, the restricted
 * identity bob (pull on team/app in the reference's policy, test/helpers/auth.ts):
 *
 *   - htpasswd: Distribution authenticates but does not authorize — every user it knows may do
 *     everything — so the checks about the pull-only identity fail, exactly those (README
 *     "Checking an authenticated registry" says what it answers);
 *   - token: its realm at the reference's token endpoint (TLS, the test CA as its root bundle):
 *     the suite runs through Distribution with tokens issued by the reference, and the auth checks
 *     pass, the expired token included (Distribution allows 60 s of leeway after exp), but for the
 *     catalog (EXPECTED_TOKEN says why).
 *
 * The statuses are pinned, as test/interop/distribution.test.ts pins the rest of the suite.
 */
import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../conformance/cli.ts';
import type { Report } from '../../conformance/report/types.ts';
import { DEFAULT_TOKEN_ISSUER } from '../../reference/auth/setup.ts';
import { PASSWORDS, SERVICE, startSecureRegistry } from '../helpers/auth.ts';
import { makeHtpasswd } from '../helpers/pki.ts';
import { assertSucceeded, requireTool, run, tempDir } from '../helpers/tools.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/distribution.sh', import.meta.url));
const SCRIPT_TIMEOUT_MS = 60_000;

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Distribution on a fresh store with `auth` appended to its configuration; its URL. */
async function startDistribution(t: Test, auth: string): Promise<string | undefined> {
  const work = await tempDir(t, 'touchstone-distribution-auth-checks-');
  const extra = join(work, 'auth.yml');
  await writeFile(extra, auth);
  const store = join(work, 'distribution');
  const script = (action: 'start' | 'stop') => run('bash', [SCRIPT, action, store], { env: { DISTRIBUTION_EXTRA_CONFIG: extra }, timeoutMs: SCRIPT_TIMEOUT_MS });
  t.teardown(async () => {
    await script('stop');
  });
  const started = await script('start');
  return assertSucceeded(t, started, 'distribution.sh start with the auth section') ? started.stdout.trim() : undefined;
}

/** `touchstone check --auth-checks` as alice, bob restricted to team/app; the statuses by check id. */
async function check(t: Test, url: string, extra: readonly string[]): Promise<{ code: number; stderr: string; statuses: Record<string, string>; report: Report }> {
  const dir = await tempDir(t, 'touchstone-auth-checks-');
  const json = join(dir, 'report.json');
  const stdout = new Capture();
  const stderr = new Capture();
  const argv = ['--url', url, '--namespace', 'team', '--username', 'alice', '--password', PASSWORDS.alice, '--auth-checks', '--restricted-username', 'bob',
    '--restricted-password', PASSWORDS.bob, '--restricted-repository', 'team/app', '--no-properties', '--json', json, ...extra];
  const code = await main(argv, { env: {}, stdout, stderr });
  const text = await readFile(json, 'utf8').catch(() => {
    throw new Error(`touchstone check exited ${code} without a report: ${stderr.text}`);
  });
  const report = JSON.parse(text) as Report;
  return { code, stderr: stderr.text, report, statuses: Object.fromEntries(report.results.map((r) => [r.id, r.status])) };
}

const byStatus = (statuses: Record<string, string>, status: string): string[] => Object.keys(statuses).filter((id) => statuses[id] === status).sort();

if (await requireTool(t, 'docker-registry', 'docker-registry')) {
  t.test('Distribution with htpasswd: authentication without authorization', async (t) => {
    const work = await tempDir(t, 'touchstone-distribution-htpasswd-');
    const htpasswd = await makeHtpasswd(t, join(work, 'htpasswd'), PASSWORDS);
    if (!htpasswd) return;
    const url = await startDistribution(t, `auth:\n  htpasswd:\n    realm: touchstone-distribution\n    path: ${htpasswd}\n`);
    if (!url) return;
    const run = await check(t, url, ['--only', 'auth']);
    const messages = Object.fromEntries(run.report.results.filter((r) => r.status !== 'pass').map((r) => [r.id, `${r.status}: ${r.message}`]));
    t.same({ fail: byStatus(run.statuses, 'fail'), warn: byStatus(run.statuses, 'warn'), skip: byStatus(run.statuses, 'skip'), error: byStatus(run.statuses, 'error') }, EXPECTED_HTPASSWD, 'exactly these', { messages });
  });

  t.test('Distribution trusting the reference\'s tokens: the suite runs through it', async (t) => {
    const reference = await startSecureRegistry(t, { mode: 'token', token: { ttlSeconds: 1 } });
    if (!reference) return;
    const url = await startDistribution(t, `auth:\n  token:\n    realm: ${reference.url}/token\n    service: ${SERVICE}\n    issuer: ${DEFAULT_TOKEN_ISSUER}\n    rootcertbundle: ${reference.pki.caCert}\n`);
    if (!url) return;
    const fromLog = reference.logs.length;
    const run = await check(t, url, ['--only', 'auth', '--ca-file', reference.pki.caCert, '--token-leeway', '60', '--token-wait', '120']);
    const messages = Object.fromEntries(run.report.results.filter((r) => r.status !== 'pass').map((r) => [r.id, `${r.status}: ${r.message}`]));
    t.same({ fail: byStatus(run.statuses, 'fail'), warn: byStatus(run.statuses, 'warn'), skip: byStatus(run.statuses, 'skip'), error: byStatus(run.statuses, 'error') }, EXPECTED_TOKEN, 'exactly these', { messages });
    const issued = reference.logs.slice(fromLog).filter((entry) => entry.path.startsWith('/token') && entry.status === 200);
    t.ok(issued.length > 10, `the reference issued the tokens (${issued.length})`);
  });
}

/** Distribution's htpasswd: any user it knows may do anything; token checks skip (Basic). */
const EXPECTED_HTPASSWD = {
  fail: ['auth.discovery.tags', 'auth.pull-only.delete', 'auth.pull-only.mount', 'auth.pull-only.other-repository', 'auth.pull-only.push-blob', 'auth.pull-only.push-manifest'],
  warn: ['auth.discovery.catalog'],
  skip: ['auth.challenge.scope', 'auth.mount.source-not-pullable', 'auth.token.expired', 'auth.token.other-repository', 'auth.token.other-service', 'auth.token.tampered'],
  error: [],
};
/**
 * Distribution with the reference's tokens: everything holds but the catalog, which Distribution
 * lists whole to any token holding registry:catalog:* — and the reference grants that scope to
 * every user, since its own catalog filters by the caller. An issuer in front of Distribution must
 * keep that scope for identities that may see every repository.
 */
const EXPECTED_TOKEN = { fail: [], warn: ['auth.discovery.catalog'], skip: [], error: [] };
