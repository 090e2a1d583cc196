/**
 * `touchstone check --read-only`: against a reference registry the test fills first with its own
 * client (an image under several tags, an index of two images, a referrer), the run writes
 * nothing — the registry's request log shows no POST, PUT, PATCH or DELETE — runs every check
 * that needs no write and passes them, and skips the rest with the reason; against the same
 * content served with corrupted blobs (fault blob-body-corrupted) a read-only check fails. Also
 * the --image grammar and the official read-only data (OCI_RO_DATA_*, OCI_API_PUSH=false).
 */
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../conformance/cli.ts';
import { parseImageRef } from '../../conformance/options/read-only.ts';
import { artifact, imageManifest, indexManifest, layer, config, pushBlob, pushImage, pushManifest } from '../helpers/oci.ts';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/tools.ts';
import type { FaultName } from '../../reference/faults/catalog.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Filled {
  readonly registry: TestRegistry;
  readonly image: string;
  readonly index: string;
}

/** A registry holding app/web — an image tagged v1, v2, v3, an index of two images tagged multi, a referrer of the image — and three more repositories. */
async function filled(t: Test, faults: readonly FaultName[] = []): Promise<Filled> {
  const registry = await startTestRegistry(t, { faults });
  const { manifest } = await pushImage(registry.url, 'app/web', 'v1', 'read-only');
  for (const tag of ['v2', 'v3']) await pushManifest(registry.url, 'app/web', tag, manifest);
  const children = [];
  for (const arch of ['amd64', 'arm64']) {
    const cfg = config(`ro-${arch}`);
    const layers = [layer(`ro-${arch}-layer`)];
    for (const blob of [cfg, ...layers]) await pushBlob(registry.url, 'app/web', blob);
    const child = imageManifest(cfg, layers);
    await pushManifest(registry.url, 'app/web', child.digest, child);
    children.push(child);
  }
  const index = indexManifest(children);
  await pushManifest(registry.url, 'app/web', 'multi', index);
  const { emptyConfig } = await import('../helpers/oci.ts');
  await pushBlob(registry.url, 'app/web', emptyConfig);
  const signature = artifact(manifest, 'application/vnd.example.sig', { 'org.example.by': 'read-only test' });
  await pushManifest(registry.url, 'app/web', signature.digest, signature);
  for (const repo of ['lib/base', 'lib/extra', 'zz/last']) await pushImage(registry.url, repo, 'v1', repo);
  return { registry, image: manifest.digest, index: index.digest };
}

interface Run {
  readonly code: number;
  readonly stderr: string;
  readonly results: { id: string; status: string; message: string }[];
  readonly writes: string[];
}

async function readOnlyRun(t: Test, registry: TestRegistry, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const dir = await tempDir(t);
  const json = join(dir, 'report.json');
  const before = registry.logs.length;
  const stderr = new Capture();
  const code = await main(['--url', registry.url, '--json', json, ...argv], { env, stdout: new Capture(), stderr });
  const writes = registry.logs.slice(before).filter((e) => !['GET', 'HEAD'].includes(e.method)).map((e) => `${e.method} ${e.path}`);
  const report = code === 2 && stderr.text.includes('usage') ? { results: [] } : (JSON.parse(await readFile(json, 'utf8')) as { results: Run['results'] });
  return { code, stderr: stderr.text, results: report.results, writes };
}

const READ_ONLY_CHECKS = [
  'base.v2', 'base.api-version-header', 'existing.manifest.pull', 'existing.manifest.head', 'existing.blobs.digests', 'existing.blobs.head', 'existing.blobs.range',
  'existing.tags.list', 'existing.tags.paging', 'existing.referrers', 'existing.errors.unknown', 'existing.errors.invalid-digest',
  'manifests.pull.unknown-repository', 'tags.list.unknown-repo', 'tags.list.unknown-repo-code',
  'catalog.list.format', 'catalog.list.pushed', 'catalog.list.order', 'catalog.list.n', 'catalog.list.last', 'catalog.list.link', 'catalog.list.paging', 'catalog.list.n-invalid', 'catalog.list.no-link-when-complete', 'catalog.list.exists',
];

t.test('--read-only writes nothing, runs every check that needs no write and passes them, skips the rest with the reason', async (t) => {
  const { registry, index } = await filled(t);
  const host = new URL(registry.url).host;
  const run = await readOnlyRun(t, registry, ['--read-only', '--image', 'app/web:v1', '--image', `app/web@${index}`, '--image', `${host}/app/web:multi`]);
  t.same(run.writes, [], 'the registry saw no POST, PUT, PATCH or DELETE');
  t.equal(run.code, 0, run.stderr);
  const byId = new Map(run.results.map((r) => [r.id, r]));
  for (const id of READ_ONLY_CHECKS) t.equal(byId.get(id)?.status, 'pass', `${id}: ${byId.get(id)?.message}`);
  t.match(byId.get('existing.blobs.digests')?.message, /7 blob\(s\)/, 'the image\'s and both children\'s blobs');
  t.match(byId.get('existing.referrers')?.message, /1 referrer\(s\) checked/);
  const others = run.results.filter((r) => !READ_ONLY_CHECKS.includes(r.id));
  t.ok(others.length > 50, `${others.length} other checks`);
  for (const r of others) t.same([r.status, r.message], ['skip', 'read-only: needs a push'], r.id);
  t.notOk(run.results.some((r) => r.id.startsWith('property.')), 'no property layer');
});

t.test('a read-only check catches a registry serving corrupted blobs', async (t) => {
  const { registry } = await filled(t, ['blob-body-corrupted']);
  const run = await readOnlyRun(t, registry, ['--read-only', '--image', 'app/web:multi', '--only', 'existing']);
  t.same(run.writes, []);
  t.equal(run.code, 1, 'a MUST failed');
  const digests = run.results.find((r) => r.id === 'existing.blobs.digests');
  t.equal(digests?.status, 'fail');
  t.match(digests?.message, /do not hash to the digest/);
});

t.test('the official read-only data with OCI_API_PUSH=false: a read-only run in repo1', async (t) => {
  const { registry, image } = await filled(t);
  const env = { OCI_REPO1: 'app/web', OCI_RO_DATA_TAGS: 'v2 v3', OCI_RO_DATA_MANIFESTS: image, OCI_RO_DATA_REFERRERS: image, OCI_API_PUSH: 'false' };
  const run = await readOnlyRun(t, registry, ['--only', 'existing', '--only', 'base'], env);
  t.same(run.writes, []);
  t.equal(run.code, 0, run.stderr);
  t.ok(run.results.length >= 11);
  for (const r of run.results) t.equal(r.status, 'pass', `${r.id}: ${r.message}`);
});

t.test('read-only usage errors exit 2', async (t) => {
  const registry = await startTestRegistry(t);
  for (const argv of [['--read-only'], ['--image', 'app/web'], ['--image', 'App/Web:v1'], ['--image', 'other.example:5000/app/web:v1'], ['--image', 'app/web@sha256:zz!']]) {
    const run = await readOnlyRun(t, registry, argv);
    t.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr.split('\n')[0]}`);
  }
  t.same(registry.logs, [], 'nothing was sent');
});

t.test('--image references', async (t) => {
  const url = 'https://registry.example:5000';
  const d = `sha256:${'c'.repeat(64)}`;
  t.same(parseImageRef('app/web:v1', url), { repo: 'app/web', tag: 'v1' });
  t.same(parseImageRef(`app/web@${d}`, url), { repo: 'app/web', digest: d });
  t.same(parseImageRef(`app/web:v1@${d}`, url), { repo: 'app/web', tag: 'v1', digest: d });
  t.same(parseImageRef('registry.example:5000/lib/app:v1', url), { repo: 'lib/app', tag: 'v1' }, 'the host of --url in front');
  t.same(parseImageRef('localhost/app:v1', 'http://localhost'), { repo: 'app', tag: 'v1' });
  t.throws(() => parseImageRef('registry.example/app:v1', url), /names the registry registry\.example, not the one checked/);
  t.throws(() => parseImageRef('app', url), /names no manifest/);
  t.throws(() => parseImageRef('app:-bad', url), /is not a tag/);
});
