/**
 * The official suite's main-branch configuration as `touchstone check` reads it
 * (conformance/options/official.ts): every variable, table-driven, and the configuration it
 * produces; the YAML file (OCI_CONFIGURATION and ./oci-conformance.yaml); precedence environment
 * > file > legacy, flags over all; Go booleans (anything else exits 2); switches that disable
 * checks skip them with the reason; OCI_RESULTS_DIR receives results.yaml, report.html and
 * junit.xml; --help says what is honoured and what is not.
 */
import t from 'tap';
import type { Result } from '../../../conformance/report/types.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'yaml';
import { main, parseCheckArgs, type ParsedCheck } from '../../../conformance/cli.ts';
import { readOfficialConfig, SWITCHED_CHECKS, OFFICIAL_KEYS } from '../../../conformance/options/official.ts';
import manifests from '../../../conformance/checks/manifests.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { runChecks } from '../../helpers/checks.ts';
import { tempDir } from '../../helpers/tools.ts';
import { runProperties } from '../../../conformance/model/property.ts';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { defaultRunConfig } from '../../../conformance/config.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function parsed(env: NodeJS.ProcessEnv, argv: string[] = []): ParsedCheck {
  const result = parseCheckArgs(argv, env);
  if (result === 'help') throw new Error('unexpected help');
  return result;
}

type Config = ParsedCheck['config'];
const D = 'sha256:' + 'a'.repeat(64);
const E = 'sha256:' + 'b'.repeat(64);
const disabledBy = (c: Config, prefix: string): string | undefined => c.disabled?.find((d) => d.prefix === prefix)?.reason;

/** One row per variable: the environment and what the configuration must then hold. */
const ROWS: readonly { env: NodeJS.ProcessEnv; expect: (c: Config, p: ParsedCheck) => unknown; note?: RegExp }[] = [
  { env: { OCI_REGISTRY: 'reg.example:5000' }, expect: (c) => c.url === 'https://reg.example:5000' && c.tls === 'enabled' },
  { env: { OCI_REGISTRY: 'reg.example:5000', OCI_TLS: 'disabled' }, expect: (c) => c.url === 'http://reg.example:5000' && c.tls === 'disabled' },
  { env: { OCI_REGISTRY: 'reg.example', OCI_TLS: 'insecure' }, expect: (c) => c.url === 'https://reg.example' && c.tls === 'insecure' },
  { env: { OCI_REPO1: 'org/one' }, expect: (c) => c.namespace === 'org/one' && c.crossmountNamespace === 'org/one' },
  { env: { OCI_REPO2: 'org/two' }, expect: (c) => c.crossmountNamespace === 'org/two' && c.namespace === 'touchstone' },
  { env: { OCI_USERNAME: 'u' }, expect: (c) => c.username === 'u' },
  { env: { OCI_PASSWORD: 'p' }, expect: (c) => c.password === 'p' },
  { env: { OCI_VERSION: '1.1' }, expect: (c) => c.specVersion === 'v1.1.1' },
  { env: { OCI_VERSION: 'stable' }, expect: (c) => c.specVersion === 'v1.1.1' },
  { env: { OCI_VERSION: 'dev' }, expect: (c) => c.specVersion === 'main' },
  { env: { OCI_VERSION: '1.1+dev' }, expect: (c) => c.specVersion === 'main' },
  { env: { OCI_VERSION: '1.0' }, expect: (c) => c.specVersion === 'v1.1.1' && !c.capabilities.referrers && !c.capabilities.autoMount, note: /version 1\.0/ },
  { env: { OCI_VERSION: '1.0', OCI_API_REFERRER: 'true' }, expect: (c) => c.capabilities.referrers && !c.capabilities.autoMount },
  { env: { OCI_FILTER_TEST: 'tags.list' }, expect: (c) => c.only.join() === 'tags.list' },
  { env: { OCI_RESULTS_DIR: '/tmp/res' }, expect: (_c, p) => p.outputs.yaml === '/tmp/res/results.yaml' && p.outputs.html === '/tmp/res/report.html' && p.outputs.junit === '/tmp/res/junit.xml' },
  { env: { OCI_LOG: 'debug' }, expect: (_c, p) => p.outputs.debug },
  { env: { OCI_LOG: 'warn' }, expect: (_c, p) => !p.outputs.debug },
  { env: { OCI_CACHE_AUTH: 'false' }, expect: () => true, note: /OCI_CACHE_AUTH=false is not honoured/ },
  { env: { OCI_API_PING: 'false' }, expect: (c) => disabledBy(c, 'base') === 'OCI_API_PING=false' },
  { env: { OCI_API_PULL: '0' }, expect: (c) => !c.capabilities.pull && c.capabilities.push },
  { env: { OCI_API_PUSH: 'f' }, expect: (c) => !c.capabilities.push && c.capabilities.pull },
  { env: { OCI_API_BLOBS_ATOMIC: 'F' }, expect: (c) => !c.capabilities.blobDeletes && c.capabilities.manifestDeletes },
  { env: { OCI_API_BLOBS_DELETE: 'FALSE' }, expect: (c) => !c.capabilities.blobDeletes },
  { env: { OCI_API_BLOBS_DIGEST_HEADER: 'true' }, expect: () => true, note: /OCI_API_BLOBS_DIGEST_HEADER=true is not honoured/ },
  { env: { OCI_API_BLOBS_MOUNT_ANONYMOUS: 'False' }, expect: (c) => !c.capabilities.autoMount },
  { env: { OCI_API_BLOBS_UPLOAD_CANCEL: 'true' }, expect: (c) => c.optIn?.includes('blobs.upload.cancel') },
  { env: { OCI_API_BLOBS_UPLOAD_CANCEL: 'false' }, expect: (c) => disabledBy(c, 'blobs.upload.cancel-honoured') === 'OCI_API_BLOBS_UPLOAD_CANCEL=false' },
  { env: { OCI_API_MANIFESTS_ATOMIC: '0' }, expect: (c) => !c.capabilities.manifestDeletes && c.capabilities.tagDeletes },
  { env: { OCI_API_MANIFESTS_DELETE: '0' }, expect: (c) => !c.capabilities.manifestDeletes },
  { env: { OCI_API_MANIFESTS_DIGEST_HEADER: '1' }, expect: (c) => c.optIn?.includes('manifests.pull.headers-required') },
  { env: { OCI_API_MANIFESTS_TAG_PARAM: 't' }, expect: (c) => c.optIn?.includes('manifests.push.tags-param') },
  { env: { OCI_API_MANIFESTS_TAG_PARAM: 'f', OCI_VERSION: 'dev' }, expect: (c) => disabledBy(c, 'manifests.push.tags-param') !== undefined && c.specVersion === 'main' },
  { env: { OCI_API_TAGS_ATOMIC: 'false' }, expect: (c) => !c.capabilities.tagDeletes },
  { env: { OCI_API_TAGS_DELETE: 'false' }, expect: (c) => !c.capabilities.tagDeletes && c.capabilities.blobDeletes },
  { env: { OCI_API_TAGS_LIST: 'false' }, expect: (c) => disabledBy(c, 'tags') !== undefined && disabledBy(c, 'property.tags') !== undefined },
  { env: { OCI_API_REFERRER: 'false' }, expect: (c) => !c.capabilities.referrers },
  { env: { OCI_DATA_SHA512: 'false' }, expect: (c) => !c.capabilities.sha512 },
  { env: { OCI_RO_DATA_TAGS: 'v1 v2', OCI_REPO1: 'org/app' }, expect: (c) => JSON.stringify(c.existing?.images) === JSON.stringify([{ repo: 'org/app', tag: 'v1' }, { repo: 'org/app', tag: 'v2' }]) && !c.readOnly },
  { env: { OCI_RO_DATA_MANIFESTS: D }, expect: (c) => c.existing?.images[0]?.digest === D && c.existing.images[0].repo === 'touchstone' },
  { env: { OCI_RO_DATA_BLOBS: `${D} ${E}` }, expect: (c) => c.existing?.blobs.length === 2 },
  { env: { OCI_RO_DATA_REFERRERS: D }, expect: (c) => c.existing?.referrers[0]?.digest === D },
  { env: { OCI_RO_DATA_TAGS: 'v1', OCI_API_PUSH: 'false' }, expect: (c) => c.readOnly && !c.cleanup && c.property === undefined },
  { env: { OCI_API_PULL: '' }, expect: (c) => c.capabilities.pull },
  // Legacy variables of the official main branch.
  { env: { OCI_ROOT_URL: 'http://old.example:5000/' }, expect: (c) => c.url === 'http://old.example:5000', note: /OCI_ROOT_URL is deprecated/ },
  { env: { OCI_NAMESPACE: 'Old/NS/' }, expect: (c) => c.namespace === 'old/ns', note: /use OCI_REPO1/ },
  { env: { OCI_CROSSMOUNT_NAMESPACE: 'old/x' }, expect: (c) => c.crossmountNamespace === 'old/x' },
  { env: { OCI_DEBUG: '1' }, expect: (_c, p) => p.outputs.debug },
  { env: { OCI_TAG_NAME: 'v9' }, expect: (c) => c.existing?.images[0]?.tag === 'v9' },
  { env: { OCI_MANIFEST_DIGEST: D }, expect: (c) => c.existing?.images[0]?.digest === D },
  { env: { OCI_BLOB_DIGEST: D }, expect: (c) => c.existing?.blobs[0]?.digest === D },
];

t.test('every variable of the official main branch, one row each', async (t) => {
  for (const row of ROWS) {
    const p = parsed(row.env);
    t.ok(row.expect(p.config, p), `${JSON.stringify(row.env)} → ${JSON.stringify({ url: p.config.url, tls: p.config.tls, ns: p.config.namespace, caps: p.config.capabilities, disabled: p.config.disabled, optIn: p.config.optIn })}`);
    if (row.note) t.match((p.notes ?? []).join('\n'), row.note, `${JSON.stringify(row.env)}: note`);
  }
  for (const [path, prefixes] of Object.entries(SWITCHED_CHECKS)) {
    const env = OFFICIAL_KEYS.find((k) => k.path === path)?.env as string;
    const p = parsed({ [env]: 'false' });
    for (const prefix of prefixes) t.equal(disabledBy(p.config, prefix), `${env}=false`, `${env}=false disables ${prefix}`);
  }
  const covered = new Set([...ROWS.flatMap((r) => Object.keys(r.env)), ...Object.keys(SWITCHED_CHECKS).map((p) => OFFICIAL_KEYS.find((k) => k.path === p)?.env)]);
  for (const k of OFFICIAL_KEYS) t.ok(covered.has(k.env), `${k.env} has a row`);
});

t.test('invalid values are usage errors (exit 2)', async (t) => {
  for (const env of [{ OCI_API_PULL: 'yes' }, { OCI_DATA_INDEX: 'on' }, { OCI_TLS: 'maybe' }, { OCI_VERSION: '2.0' }, { OCI_LOG: 'loud' }, { OCI_CACHE_AUTH: 'x' },
    { OCI_REGISTRY: 'https://reg.example' }, { OCI_TEST_PULL: 'yes' }, { OCI_RO_DATA_MANIFESTS: 'sha256:XYZ!' }, { OCI_CONFIGURATION: '/nonexistent/oci.yaml' }]) {
    const stderr = new Capture();
    const code = await main([], { env, stdout: new Capture(), stderr });
    t.equal(code, 2, `${JSON.stringify(env)} exits 2: ${stderr.text.split('\n')[0]}`);
    t.match(stderr.text, /usage: touchstone check/);
  }
});

const YAML = `
registry: file.example:5443
tls: insecure
repo1: file/one
repo2: file/two
username: fileuser
password: filepass
version: dev
filterTest: manifests
resultsDir: /tmp/file-results
logging: debug
apis:
  pull: true
  blobs:
    delete: false
    uploadCancel: false
  tags:
    list: false
  referrer: false
data:
  index: false
  sha512: false
roData:
  tags: [v1, v2]
  blobs: ['${D}']
unknownSetting: 1
`;

t.test('the YAML file: OCI_CONFIGURATION, else ./oci-conformance.yaml; env > file > legacy; flags over all', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'conf.yaml');
  await writeFile(file, YAML);
  const p = parsed({ OCI_CONFIGURATION: file });
  const c = p.config;
  t.equal(c.url, 'https://file.example:5443');
  t.equal(c.tls, 'insecure');
  t.same([c.namespace, c.crossmountNamespace, c.username, c.password, c.specVersion], ['file/one', 'file/two', 'fileuser', 'filepass', 'main']);
  t.same(c.only, ['manifests']);
  t.equal(p.outputs.yaml, '/tmp/file-results/results.yaml');
  t.ok(p.outputs.debug);
  t.same([c.capabilities.blobDeletes, c.capabilities.referrers, c.capabilities.sha512, c.capabilities.pull], [false, false, false, true]);
  t.equal(disabledBy(c, 'tags'), `apis.tags.list in ${file}`);
  t.equal(disabledBy(c, 'manifests.push.index'), `data.index in ${file}`);
  t.equal(disabledBy(c, 'blobs.upload.cancel'), `apis.blobs.uploadCancel in ${file}`);
  t.same(c.existing?.images, [{ repo: 'file/one', tag: 'v1' }, { repo: 'file/one', tag: 'v2' }]);
  t.same(c.existing?.blobs, [{ repo: 'file/one', digest: D }]);
  t.match(p.notes?.join('\n'), /unknownSetting is not a setting of the official suite/);

  // Precedence: environment over the file over the legacy variables; flags over all.
  const env = { OCI_CONFIGURATION: file, OCI_NAMESPACE: 'legacy/ns', OCI_REPO2: 'env/two', OCI_API_REFERRER: 'true', OCI_ROOT_URL: 'http://legacy.example' };
  const q = parsed(env).config;
  t.equal(q.namespace, 'file/one', 'file over legacy (OCI_NAMESPACE)');
  t.equal(q.crossmountNamespace, 'env/two', 'environment over file');
  t.ok(q.capabilities.referrers, 'OCI_API_REFERRER=true over referrer: false');
  t.equal(q.url, 'https://file.example:5443', 'the file\'s registry over OCI_ROOT_URL');
  t.equal(parsed({ OCI_NAMESPACE: 'legacy/ns' }).config.namespace, 'legacy/ns', 'legacy alone applies');
  const r = parsed(env, ['--namespace', 'flag/ns', '--url', 'http://flag.example', '--spec-version', 'v1.1.1', '--only', 'blobs']).config;
  t.same([r.namespace, r.url, r.specVersion, r.only, r.tls], ['flag/ns', 'http://flag.example', 'v1.1.1', ['blobs'], 'disabled'], 'flags win');

  // ./oci-conformance.yaml in the working directory when OCI_CONFIGURATION is unset.
  await writeFile(join(dir, 'oci-conformance.yaml'), 'repo1: default/file\n');
  t.equal(readOfficialConfig({}, dir).namespace, 'default/file');
  t.equal(readOfficialConfig({ OCI_CONFIGURATION: file }, dir).namespace, 'file/one', 'OCI_CONFIGURATION wins over the default file');

  for (const [text, error] of [['apis: {pull: maybe}', /apis\.pull in .*: expected true or false/], ['repo1: [a, b', /not valid YAML/], ['- a list', /the document is not a mapping/], ['tls: sometimes', /tls is enabled, insecure or disabled/]] as const) {
    await writeFile(file, text);
    t.throws(() => readOfficialConfig({ OCI_CONFIGURATION: file }, dir), error, text);
  }
});

t.test('switches set to false skip their checks with the reason; true opts a v1.1.1 run into a main check', async (t) => {
  const registry = await startTestRegistry(t);
  const results = await runChecks(t, registry.url, manifests, ['manifests.push.index', 'manifests.push.tags-param', 'manifests.pull.headers-required'], {
    specVersion: 'v1.1.1',
    disabled: [{ prefix: 'manifests.push.index', reason: 'OCI_DATA_INDEX=false' }],
    optIn: ['manifests.push.tags-param'],
  });
  t.same([results.get('manifests.push.index')?.status, results.get('manifests.push.index')?.message], ['skip', 'disabled by OCI_DATA_INDEX=false']);
  t.equal(results.get('manifests.push.tags-param')?.status, 'pass', 'opted in under v1.1.1');
  t.match(results.get('manifests.pull.headers-required')?.message, /requirement added after v1\.1\.1/, 'not opted in: skipped');
});

t.test('a property whose switch is false is skipped with the reason, not run', async (t) => {
  const client = new RegistryClient({ baseUrl: 'http://127.0.0.1:9' });
  t.teardown(() => client.close());
  const property = { runs: 1, timeBudgetMs: 1000, shrinkBudgetMs: 1000, seed: 1, path: undefined, maxCommands: 2, stopAtFirstFailure: false, commandLine: 'x' };
  const config = defaultRunConfig('http://127.0.0.1:9', { property, disabled: [{ prefix: 'property.tags', reason: 'OCI_API_TAGS_LIST=false' }] });
  const results: Result[] = [];
  await runProperties(config, client, new Set(), { selected: (id) => id === 'property.tags', onResult: (result) => results.push(result) });
  t.same(results.map((r) => [r.id, r.status, r.message]), [['property.tags', 'skip', 'disabled by OCI_API_TAGS_LIST=false']], 'no request to the (unreachable) registry');
});

t.test('OCI_RESULTS_DIR receives results.yaml, report.html and junit.xml', async (t) => {
  const registry = await startTestRegistry(t);
  const dir = await tempDir(t);
  const stderr = new Capture();
  const env = { OCI_RESULTS_DIR: dir, OCI_API_TAGS_LIST: 'false', OCI_DATA_INDEX: 'false' };
  const code = await main(['--url', registry.url, '--no-properties', '--only', 'base', '--only', 'tags.list.all', '--only', 'manifests.push.index', '--only', 'manifests.push.by-tag'], { env, stdout: new Capture(), stderr });
  t.equal(code, 0, stderr.text);
  const results = parse(await readFile(join(dir, 'results.yaml'), 'utf8')) as { name: string; status: string; counts: Record<string, number>; children: { name: string; status: string; children: { id: string; status: string; touchstoneStatus: string; message?: string }[] }[] };
  t.equal(results.name, 'OCI Conformance Test');
  t.equal(results.status, 'Pass');
  t.same(results.counts, { Disabled: 2, Skip: 0, Pass: 4, FAIL: 0, Error: 0 });
  const entries = results.children.flatMap((area) => area.children);
  t.same(entries.map((e) => [e.id, e.status]).sort(), [['base.api-version-header', 'Pass'], ['base.v2', 'Pass'], ['manifests.push.by-tag', 'Pass'], ['manifests.push.index', 'Disabled'], ['manifests.push.index-missing-child', 'Pass'], ['tags.list.all', 'Disabled']]);
  t.equal(entries.find((e) => e.id === 'tags.list.all')?.message, 'disabled by OCI_API_TAGS_LIST=false');
  t.match(await readFile(join(dir, 'junit.xml'), 'utf8'), /<testsuites/);
  t.match(await readFile(join(dir, 'report.html'), 'utf8'), /<html/i);
  t.match(stderr.text, /results\.yaml written to/);
});

t.test('--help says which official variables are honoured and which are not', async (t) => {
  const stdout = new Capture();
  t.equal(await main(['--help'], { env: {}, stdout, stderr: new Capture() }), 0);
  for (const name of ['OCI_REGISTRY', 'OCI_TLS', 'OCI_REPO1', 'OCI_VERSION', 'OCI_FILTER_TEST', 'OCI_RESULTS_DIR', 'OCI_DATA_*', 'OCI_RO_DATA_TAGS', 'OCI_CONFIGURATION', '--read-only', '--image']) t.match(stdout.text, name);
  t.match(stdout.text, /not honoured[\s\S]*OCI_CACHE_AUTH[\s\S]*OCI_LOG=info\|warn\|error[\s\S]*OCI_API_BLOBS_DIGEST_HEADER/);
});
