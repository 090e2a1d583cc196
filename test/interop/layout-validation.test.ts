/**
 * Every repository the reference registry writes is an OCI image layout (image-spec
 * image-layout.md), checked by the real tools that read layouts: after pushes with skopeo (one
 * image, a two-platform index, a mounted copy under a nested name, a deleted manifest) and with the
 * HTTP helpers (a manifest pushed by digest only, a tag deleted, blobs without any manifest),
 *
 *   - each <root>/repositories/<encoded name>/ holds exactly oci-layout, index.json and blobs/
 *     (upload sessions live in <root>/uploads, outside every layout), every blob's name is its
 *     sha256, and every index.json entry's manifest and everything it references is present;
 *   - `oci-image-tool validate --type image <dir>` accepts it (oci-image-tool 1.0.0-rc1 has no
 *     `--type imageLayout`: it answers "unimplemented"; `--type image` autodetects a layout and
 *     validates every tagged ref down to its layers) and rejects damaged copies (control);
 *   - `umoci ls --layout <dir>` lists exactly its tags, `umoci unpack` extracts the stored image;
 *   - skopeo reads the directory as an `oci:` layout with the same digests.
 */
import t from 'tap';
import { appendFile, cp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ANNOTATION_REF_NAME, IMAGE_LAYOUT_VERSION, INDEX_MANIFEST_TYPES, OCI_INDEX } from '../../spec/media-types.ts';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { pushBlob, pushManifest, sha256 } from '../helpers/oci.ts';
import { buildImage, layoutTags, readLayoutIndex, taggedDescriptor, writeMultiImageLayout, writeSingleImageLayout, type LayoutIndex } from '../helpers/oci-layout.ts';
import { assertSucceeded, createSkopeo, findOnPath, missingToolMessage, requireTool, run, tempDir } from '../helpers/tools.ts';

const TOOL_TIMEOUT_MS = 60_000;

t.test('requireTool fails the test, never skips, when a tool is missing', async (t) => {
  const failures: string[] = [];
  const stub = { fail: (message: string) => failures.push(message) };
  t.equal(await requireTool(stub, 'no-such-tool-touchstone', 'no-such-package', '/nonexistent-dir'), false);
  t.same(failures, ['missing no-such-tool-touchstone: install it with: apt-get install -y no-such-package']);
  t.equal(missingToolMessage('umoci', 'umoci'), 'missing umoci: install it with: apt-get install -y umoci');
  t.ok(await findOnPath('node', process.env.PATH), 'node itself is found on PATH');
  const timedOut = await run(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 });
  t.equal(timedOut.timedOut, true, 'run() kills a command at its timeout');
  const failed = await run(process.execPath, ['-e', 'process.stderr.write("boom"); process.exit(3)']);
  t.match(failed, { code: 3, stderr: 'boom', timedOut: false });
  const absent = await run('/nonexistent-dir/no-such-tool', []);
  t.equal(absent.code, null);
  t.match(absent.spawnError, /ENOENT/);
});

const tools = [
  ['skopeo', 'skopeo'],
  ['oci-image-tool', 'oci-image-tool'],
  ['umoci', 'umoci'],
] as const;
let ready = true;
for (const [name, pkg] of tools) {
  if (!(await requireTool(t, name, pkg))) ready = false;
}

const validate = (dir: string) => run('oci-image-tool', ['validate', '--type', 'image', dir], { timeoutMs: TOOL_TIMEOUT_MS });

if (ready) {
  const registry = await startTestRegistry(t);
  const host = new URL(registry.url).host;
  const docker = (reference: string) => `docker://${host}/${reference}`;
  const skopeo = await createSkopeo(t);
  const work = await tempDir(t);
  const single = await writeSingleImageLayout(join(work, 'single'), { tag: 'v1', seed: 'validation-single' });
  const multi = await writeMultiImageLayout(join(work, 'multi'), { tag: 'multi', seed: 'validation-multi' });
  const byDigest = buildImage('validation-by-digest');
  const kept = buildImage('validation-kept', { architecture: 'arm64', os: 'linux', variant: 'v8' });
  const lonely = buildImage('validation-blobs-only');
  const repoDir = (name: string) => join(registry.root, 'repositories', encodeURIComponent(name));

  /** Every repository the pushes below create, with the tags it must end up with. */
  const expected = new Map<string, string[]>([
    ['interop/single', ['v1', 'v2']],
    ['interop/multi', ['multi']],
    ['interop/nested/deep/copy', ['v1']],
    ['interop/deleted', []],
    ['interop/untagged', ['keep']],
    ['interop/blobs-only', []],
  ]);

  t.test('the fixtures built in code are valid layouts (control)', async (t) => {
    for (const dir of [single.dir, multi.dir]) assertSucceeded(t, await validate(dir), `oci-image-tool validate ${dir}`);
  });

  await t.test('push with skopeo and with the HTTP helpers', async (t) => {
    const steps: Array<[string, string[]]> = [
      ['push one image', ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${single.dir}:v1`, docker('interop/single:v1')]],
      ['second tag', ['copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', docker('interop/single:v1'), docker('interop/single:v2')]],
      ['push an index --all', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${multi.dir}:multi`, docker('interop/multi:multi')]],
      ['copy (mount) to a nested name', ['copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', docker('interop/single:v1'), docker('interop/nested/deep/copy:v1')]],
      ['push to be deleted', ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${single.dir}:v1`, docker('interop/deleted:v1')]],
      ['delete', ['delete', '--tls-verify=false', docker('interop/deleted:v1')]],
    ];
    for (const [what, args] of steps) {
      if (!assertSucceeded(t, await skopeo(args), `skopeo ${what}`)) return;
    }
    // By digest only (untagged), and a tag that is deleted again (the manifest stays, untagged).
    for (const image of [byDigest, kept]) {
      for (const blob of [image.config, ...image.layers.map((l) => l.blob)]) await pushBlob(registry.url, 'interop/untagged', blob);
    }
    await pushManifest(registry.url, 'interop/untagged', byDigest.manifest.digest, byDigest.manifest);
    await pushManifest(registry.url, 'interop/untagged', 'keep', kept.manifest);
    await pushManifest(registry.url, 'interop/untagged', 'gone', kept.manifest);
    t.equal((await call(registry.url, 'DELETE', '/v2/interop/untagged/manifests/gone')).status, 202, 'tag deleted');
    await pushManifest(registry.url, 'interop/untagged', 'gone-too', byDigest.manifest);
    t.equal((await call(registry.url, 'DELETE', '/v2/interop/untagged/manifests/gone-too')).status, 202, 'tag deleted');
    // Blobs, no manifest.
    for (const blob of [lonely.config, ...lonely.layers.map((l) => l.blob)]) await pushBlob(registry.url, 'interop/blobs-only', blob);
  });

  t.test('each repository directory holds oci-layout, index.json and blobs/ only, all consistent', async (t) => {
    const entries = (await readdir(join(registry.root, 'repositories'))).sort();
    t.same(entries, [...expected.keys()].map(encodeURIComponent).sort(), 'one directory per repository, names url-encoded');
    t.same((await readdir(registry.root)).sort(), ['_uploads', 'repositories'], 'upload sessions live outside every layout');
    for (const name of expected.keys()) {
      const dir = repoDir(name);
      t.same((await readdir(dir)).sort(), ['blobs', 'index.json', 'oci-layout'], `${name}: nothing but the layout`);
      t.same(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: IMAGE_LAYOUT_VERSION }, `${name}: oci-layout`);
      t.same(await readdir(join(dir, 'blobs')), ['sha256'], `${name}: blobs/ holds one algorithm directory`);
      const files = await readdir(join(dir, 'blobs', 'sha256'));
      const misnamed: string[] = [];
      for (const file of files) {
        if (!/^[a-f0-9]{64}$/.test(file) || sha256(await readFile(join(dir, 'blobs', 'sha256', file))) !== `sha256:${file}`) misnamed.push(file);
      }
      t.same(misnamed, [], `${name}: every one of ${files.length} blob(s) is named by its sha256`);

      const index = await readLayoutIndex(dir);
      t.equal(index.schemaVersion, 2);
      t.equal(index.mediaType, OCI_INDEX);
      t.same(await layoutTags(dir), expected.get(name), `${name}: tags in index.json`);
      t.same(await missingReferences(dir, index), [], `${name}: every manifest in index.json and all it references is present`);
    }
    const untagged = await readLayoutIndex(repoDir('interop/untagged'));
    t.same(
      untagged.manifests.map((m) => [m.digest, m.annotations?.[ANNOTATION_REF_NAME] ?? null]).sort(),
      [
        [byDigest.manifest.digest, null],
        [kept.manifest.digest, 'keep'],
      ].sort(),
      'a manifest pushed by digest, or whose tags were deleted, stays listed without ref.name',
    );
    t.same((await readLayoutIndex(repoDir('interop/deleted'))).manifests, [], 'a deleted manifest leaves index.json');
  });

  t.test('oci-image-tool validates every repository directory', async (t) => {
    for (const name of expected.keys()) {
      const result = await validate(repoDir(name));
      if (!assertSucceeded(t, result, `oci-image-tool validate --type image ${name}`)) continue;
      const output = `${result.stdout}\n${result.stderr}`;
      t.match(output, /autodetected image file type is: imageLayout/, `${name}: validated as an image layout`);
      t.match(output, /Validation succeeded/);
    }
  });

  t.test('oci-image-tool rejects damaged copies (control)', async (t) => {
    const damagedLayer = join(work, 'damaged-layer');
    await cp(repoDir('interop/single'), damagedLayer, { recursive: true });
    const layer = single.image.layers[0]!.blob;
    await appendFile(join(damagedLayer, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)), 'garbage');
    t.not((await validate(damagedLayer)).code, 0, 'a layer of the wrong size fails validation');

    const missingChild = join(work, 'missing-child');
    await cp(repoDir('interop/multi'), missingChild, { recursive: true });
    await rm(join(missingChild, 'blobs', 'sha256', multi.images[1]!.manifest.digest.slice('sha256:'.length)));
    t.not((await validate(missingChild)).code, 0, 'an index whose child manifest is missing fails validation');

    const noMarker = join(work, 'no-oci-layout');
    await cp(repoDir('interop/single'), noMarker, { recursive: true });
    await rm(join(noMarker, 'oci-layout'));
    t.not((await validate(noMarker)).code, 0, 'a directory without oci-layout fails validation');
  });

  t.test('umoci ls lists exactly the tags of each repository', async (t) => {
    for (const [name, tags] of expected) {
      const result = await run('umoci', ['ls', '--layout', repoDir(name)], { timeoutMs: TOOL_TIMEOUT_MS });
      if (!assertSucceeded(t, result, `umoci ls --layout ${name}`)) continue;
      const listed = result.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
      t.same(listed.sort(), tags, `${name}: umoci ls`);
    }
  });

  t.test('umoci unpacks the images the registry stored', async (t) => {
    const cases: Array<[string, string, string]> = [
      ['interop/single', 'v1', 'validation-single'],
      ['interop/nested/deep/copy', 'v1', 'validation-single'],
      ['interop/untagged', 'keep', 'validation-kept'],
    ];
    for (const [name, tag, seed] of cases) {
      const bundle = join(work, `bundle-${encodeURIComponent(name)}-${tag}`);
      const result = await run('umoci', ['unpack', '--rootless', '--image', `${repoDir(name)}:${tag}`, bundle], { timeoutMs: TOOL_TIMEOUT_MS });
      if (!assertSucceeded(t, result, `umoci unpack ${name}:${tag}`)) continue;
      const file = join(bundle, 'rootfs', 'etc', `touchstone-${seed}.txt`);
      t.ok((await stat(file)).isFile(), `${name}:${tag}: the layer's file is in the rootfs`);
      t.match(await readFile(file, 'utf8'), `touchstone interop fixture ${seed}`);
    }
  });

  t.test('skopeo reads a repository directory as an oci: layout', async (t) => {
    const raw = await skopeo(['inspect', '--raw', `oci:${repoDir('interop/single')}:v2`]);
    if (assertSucceeded(t, raw, 'skopeo inspect --raw oci:<repository dir>:v2')) {
      t.equal(sha256(Buffer.from(raw.stdout, 'utf8')), single.image.manifest.digest);
    }
    const out = join(work, 'from-registry-dir');
    const copied = await skopeo(['copy', '--all', '--preserve-digests', `oci:${repoDir('interop/multi')}:multi`, `oci:${out}:multi`]);
    if (assertSucceeded(t, copied, 'skopeo copy --all oci:<repository dir>:multi oci:…')) {
      t.equal((await taggedDescriptor(out, 'multi'))?.digest, multi.index.digest, 'same index digest');
    }
  });
}

/**
 * What index.json lists but the layout lacks: each listed manifest's blob (digest and size), an
 * image manifest's config and layers, an index's children (which must be listed in index.json too,
 * as the registry keeps them). oci-image-tool only walks tagged refs; this covers untagged ones.
 */
async function missingReferences(dir: string, index: LayoutIndex): Promise<string[]> {
  const missing: string[] = [];
  const listed = new Set(index.manifests.map((m) => m.digest));
  const blobSize = async (digest: string): Promise<number | undefined> => {
    try {
      return (await stat(join(dir, 'blobs', ...digest.split(':')))).size;
    } catch {
      return undefined;
    }
  };
  for (const entry of index.manifests) {
    if ((await blobSize(entry.digest)) !== entry.size) {
      missing.push(`${entry.digest} (listed in index.json, ${entry.size} bytes)`);
      continue;
    }
    const body = JSON.parse(await readFile(join(dir, 'blobs', ...entry.digest.split(':')), 'utf8')) as {
      config?: { digest: string; size: number };
      layers?: Array<{ digest: string; size: number }>;
      manifests?: Array<{ digest: string; size: number }>;
    };
    if (INDEX_MANIFEST_TYPES.includes(entry.mediaType)) {
      for (const child of body.manifests ?? []) {
        if (!listed.has(child.digest) || (await blobSize(child.digest)) !== child.size) missing.push(`${child.digest} (child of ${entry.digest})`);
      }
      continue;
    }
    for (const blob of [...(body.config ? [body.config] : []), ...(body.layers ?? [])]) {
      if ((await blobSize(blob.digest)) !== blob.size) missing.push(`${blob.digest} (referenced by ${entry.digest})`);
    }
  }
  return missing;
}
