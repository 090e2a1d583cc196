/**
 * `touchstone check` as a user drives it: flags and the official suite's OCI_* variables become
 * the run's configuration (flags win); usage errors exit 2 with the usage text; a correct
 * registry exits 0, a registry breaking a MUST exits 1, an unreachable one exits 2 as a harness
 * error, never as a list of registry failures; the reports land where they were asked for.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main, parseCheckArgs, UsageError, type ParsedCheck } from '../../conformance/cli.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/tools.ts';
import type { Report } from '../../conformance/report/types.ts';

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function parsed(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedCheck {
  const result = parseCheckArgs(argv, env);
  if (result === 'help') throw new Error('unexpected help');
  return result;
}

async function check(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

t.test('flags and OCI_* variables make the configuration; flags win', async (t) => {
  const env = { OCI_ROOT_URL: 'http://registry.example:5000/', OCI_NAMESPACE: 'ns/a', OCI_CROSSMOUNT_NAMESPACE: 'other', OCI_USERNAME: 'u', OCI_PASSWORD: 'p' };
  let p = parsed([], env);
  t.equal(p.config.url, 'http://registry.example:5000', 'OCI_ROOT_URL, trailing slash dropped');
  t.equal(p.config.namespace, 'ns/a');
  t.equal(p.config.crossmountNamespace, 'other');
  t.equal(p.config.username, 'u');
  t.equal(p.config.password, 'p');
  t.equal(p.config.specVersion, 'v1.1.1', 'v1.1.1 by default');
  p = parsed(['--url', 'https://r.example', '--namespace', 'mine', '--spec-version', 'main'], env);
  t.equal(p.config.url, 'https://r.example');
  t.equal(p.config.namespace, 'mine');
  t.equal(p.config.specVersion, 'main');
  t.equal(parsed([]).config.crossmountNamespace, 'touchstone', 'cross-mount sources default to the namespace');
});

t.test('the official suite\'s categories: when any OCI_TEST_* is set, only those set run', async (t) => {
  let caps = parsed([]).config.capabilities;
  t.ok(caps.pull && caps.push && caps.contentDiscovery && caps.contentManagement, 'none set: all');
  caps = parsed([], { OCI_TEST_PULL: '1', OCI_TEST_CONTENT_DISCOVERY: 'true' }).config.capabilities;
  t.same([caps.pull, caps.push, caps.contentDiscovery, caps.contentManagement], [true, false, true, false]);
  t.notOk(caps.manifestDeletes || caps.tagDeletes || caps.blobDeletes, 'no content management: no deletes');
  caps = parsed(['--no-tag-deletes', '--no-referrers', '--no-sha512'], { OCI_AUTOMATIC_CROSSMOUNT: '0' }).config.capabilities;
  t.same([caps.tagDeletes, caps.manifestDeletes, caps.referrers, caps.sha512, caps.autoMount], [false, true, false, false, false]);
  caps = parsed(['--no-delete']).config.capabilities;
  t.notOk(caps.manifestDeletes || caps.tagDeletes || caps.blobDeletes, '--no-delete: none');
});

t.test('GC, property and output options', async (t) => {
  let p = parsed(['--gc-command', 'true', '--gc-grace', '1.5', '--expect-gc-reclaims', '--runs', '7', '--time-budget', '3', '--seed', '42', '--path', '1:2~AB:C', '--max-commands', '9', '--only', 'tags', '--only', 'property.gc', '--skip', 'tags.list.n']);
  t.same(p.gc, { command: 'true', touchstone: false });
  t.same(p.config.gc, { graceMs: 1500, expectReclaims: true, reclaimsUntagged: false, races: false });
  t.equal(parsed(['--race-checks']).config.gc.races, true, '--race-checks turns the race checks on');
  t.match(p.config.property, { runs: 7, timeBudgetMs: 3000, seed: 42, path: '1:2~AB:C', maxCommands: 9 });
  t.equal(p.config.property?.commandLine, 'npx touchstone check --gc-command true --gc-grace 1.5 --expect-gc-reclaims --time-budget 3 --max-commands 9', 'the replay line keeps the flags a replay does not set itself');
  t.same(p.config.only, ['tags', 'property.gc']);
  t.same(p.config.skip, ['tags.list.n']);
  t.match(parsed([]).config.property, { runs: 30, timeBudgetMs: 12_000 }, 'the default profile: 30 executions per property within 12 s for all six (npm start under 30 s)');
  p = parsed(['--gc-touchstone']);
  t.equal(p.config.gc.graceMs, 3_600_000, 'the reference registry\'s grace period by default');
  t.equal(parsed(['--no-properties']).config.property, undefined);
  p = parsed(['--tap', '--quiet', '--no-color'], { OCI_REPORT_DIR: '/tmp/r', OCI_DEBUG: '1' });
  t.match(p.outputs, { json: '/tmp/r/report.json', junit: '/tmp/r/junit.xml', html: '/tmp/r/report.html', tap: true, quiet: true, color: false, debug: true });
  t.equal(parsed([], { NO_COLOR: '' }).outputs.color, false, 'NO_COLOR');
  t.not(parsed([]).config.runId, parsed([]).config.runId, 'a fresh run id every run');
});

t.test('usage errors', async (t) => {
  for (const argv of [['--spec-version', 'v2'], ['--path', '1:2'], ['--runs', '0'], ['--url', 'ftp://x'], ['--gc-command', 'x', '--gc-touchstone'], ['stray'], ['--gc-grace', 'soon']]) {
    t.throws(() => parseCheckArgs(argv, {}), UsageError, argv.join(' '));
  }
  const unknown = await check(['--frobnicate']);
  t.equal(unknown.code, 2, 'an unknown flag exits 2');
  t.match(unknown.stderr, /usage: touchstone check/);
  const noTarget = await check([]);
  t.equal(noTarget.code, 2, 'no URL and nothing embedded');
  t.match(noTarget.stderr, /no registry to check: give --url/);
  const help = await check(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--gc-command CMD/);
  t.match(help.stdout, /--restart-command CMD/);
});

t.test('--restart-command: the restart trigger of persistence.restart; not with --read-only', async (t) => {
  t.equal(parsed([]).restartCommand, undefined, 'none by default: the check skips');
  t.equal(parsed(['--restart-command', 'systemctl restart registry']).restartCommand, 'systemctl restart registry');
  t.throws(() => parsed(['--restart-command', ' ']), UsageError);
  t.throws(() => parsed(['--restart-command', 'x', '--read-only', '--image', 'a/b:c']), /--restart-command goes with a run that pushes/);
});

t.test('a correct registry exits 0 and the reports are written', async (t) => {
  const registry = await startTestRegistry(t);
  const dir = await tempDir(t);
  const run = await check(['--url', registry.url, '--no-properties', '--only', 'tags', '--only', 'base'], { OCI_REPORT_DIR: dir });
  t.equal(run.code, 0, run.stdout);
  t.match(run.stdout, /\[ *1\/\d+\] ✓ PASS {2}base\.v2/, 'a progress line per check');
  t.match(run.stdout, /PASS$/m, 'the verdict');
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report;
  t.equal(report.target, registry.url);
  t.ok(report.results.length > 5 && report.results.every((r) => r.id.startsWith('base.') || r.id.startsWith('tags.')), 'only the selected checks');
  t.equal(report.summary.fail, 0);
  t.match(await readFile(join(dir, 'junit.xml'), 'utf8'), /<testsuites/);
  t.match(await readFile(join(dir, 'report.html'), 'utf8'), /<html/);
});

t.test('a registry breaking a MUST exits 1, with the failing check in the reports', async (t) => {
  const registry = await startTestRegistry(t, { faults: ['tags-unsorted'] });
  const dir = await tempDir(t);
  const json = join(dir, 'out.json');
  const run = await check(['--url', registry.url, '--no-properties', '--only', 'tags.list.order', '--json', json, '--quiet']);
  t.equal(run.code, 1);
  t.notMatch(run.stdout, /\[ *1\/1\]/, '--quiet: no progress lines');
  t.match(run.stdout, /FAIL: 1 MUST-level failure/);
  const report = JSON.parse(await readFile(json, 'utf8')) as Report;
  t.match(report.results, [{ id: 'tags.list.order', status: 'fail', level: 'MUST' }]);
});

t.test('--tap prints TAP instead of the summary', async (t) => {
  const registry = await startTestRegistry(t);
  const run = await check(['--url', registry.url, '--no-properties', '--only', 'base.v2', '--tap']);
  t.equal(run.code, 0);
  t.match(run.stdout, /^TAP version 14\n1\.\.1\n(#.*\n)*ok 1 - base\.v2/);
});

t.test('an unreachable registry is a harness error: exit 2, no registry failures', async (t) => {
  const run = await check(['--url', 'http://127.0.0.1:1', '--no-properties']);
  t.equal(run.code, 2);
  t.match(run.stderr, /harness error: GET http:\/\/127\.0\.0\.1:1\/v2\/: .*ECONNREFUSED/);
});

t.test('a failing --gc-command is a harness error of the GC checks, not a registry failure', async (t) => {
  const registry = await startTestRegistry(t);
  const dir = await tempDir(t);
  const json = join(dir, 'gc.json');
  const run = await check(['--url', registry.url, '--no-properties', '--only', 'gc.safety.tagged-image', '--gc-command', 'echo nope >&2; exit 3', '--json', json]);
  t.equal(run.code, 2);
  const report = JSON.parse(await readFile(json, 'utf8')) as Report;
  const results = report.results.filter((r) => r.status !== 'skip');
  t.ok(results.length > 0 && results.every((r) => r.status === 'error'), JSON.stringify(report.results.map((r) => [r.id, r.status, r.message])));
  t.match(results[0]?.message, /--gc-command failed \(3\): nope/);
});

t.test('the run deletes every manifest it stored, unless --no-cleanup or deletes are not offered', async (t) => {
  const manifestsLeft = async (registry: Awaited<ReturnType<typeof startTestRegistry>>): Promise<number> => {
    let left = 0;
    for (const name of await registry.store.layout.listRepositories()) left += (await registry.store.layout.readIndex(name))?.manifests.length ?? 0;
    return left;
  };
  const args = ['--no-properties', '--only', 'manifests.push', '--only', 'referrers.list.exact', '--quiet'];
  const cleaned = await startTestRegistry(t);
  t.equal((await check(['--url', cleaned.url, ...args])).code, 0);
  t.ok((await cleaned.store.layout.listRepositories()).length > 5, 'the run created repositories');
  t.equal(await manifestsLeft(cleaned), 0, 'tagged, untagged and referrer manifests all deleted');
  const kept = await startTestRegistry(t);
  t.equal((await check(['--url', kept.url, ...args, '--no-cleanup'])).code, 0);
  t.ok(await manifestsLeft(kept) > 10, '--no-cleanup leaves them');
  const noDeletes = await startTestRegistry(t, { deletes: { manifests: false, tags: false, blobs: false } });
  t.equal((await check(['--url', noDeletes.url, ...args, '--no-delete'])).code, 0);
  t.ok(await manifestsLeft(noDeletes) > 10, 'no deletes offered: nothing is tried');
});
