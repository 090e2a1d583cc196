/**
 * The on-disk layout: every repository is a valid OCI image layout (oci-layout, index.json,
 * blobs/<alg>/<hex>), names with "/" are flattened so "a" and "a/blobs" coexist, and invalid
 * names are rejected before any path is built, so nothing is ever created outside the root.
 */
import t from 'tap';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ANNOTATION_REF_NAME, IMAGE_LAYOUT_VERSION, OCI_INDEX, OCI_MANIFEST } from '../../../spec/media-types.ts';
import { StoreError } from '../../../reference/store/errors.ts';
import { Layout, validateName, validateTag } from '../../../reference/store/layout.ts';
import { content, sha512 } from '../../helpers/oci.ts';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { body, buildImage, entriesOf, openTestStore, putImage, rejectsKind } from '../../helpers/store.ts';

function kindOfSync(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StoreError ? error.kind : `non-store error ${String(error)}`;
  }
  return undefined;
}

t.test('a repository is a valid OCI image layout', async (t) => {
  const { store, root } = await openTestStore(t);
  const image = await putImage(store, 'library/ubuntu', 'latest', buildImage('layout'));
  const repo = join(root, 'repositories', 'library%2Fubuntu');
  t.same(await entriesOf(repo), ['blobs', 'index.json', 'oci-layout'], 'exactly the image-layout files');
  t.same(JSON.parse(await readFile(join(repo, 'oci-layout'), 'utf8')), { imageLayoutVersion: IMAGE_LAYOUT_VERSION }, 'oci-layout content');

  const index = JSON.parse(await readFile(join(repo, 'index.json'), 'utf8')) as Record<string, unknown>;
  t.equal(index.schemaVersion, 2, 'index.json schemaVersion 2');
  t.equal(index.mediaType, OCI_INDEX, 'index.json is an OCI image index');
  t.same(
    index.manifests,
    [{ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size, annotations: { [ANNOTATION_REF_NAME]: 'latest' } }],
    'the tag is an org.opencontainers.image.ref.name annotation on the manifest descriptor',
  );

  for (const blob of [image.config, ...image.layers, image.manifest]) {
    const [algorithm, hex] = blob.digest.split(':') as [string, string];
    const path = join(repo, 'blobs', algorithm, hex);
    t.same(await readFile(path), blob.bytes, `blobs/${algorithm}/${hex.slice(0, 12)}… holds the content`);
  }
  t.same(await entriesOf(join(repo, 'blobs')), ['sha256'], 'only the sha256 directory so far');

  const big = Buffer.from('a blob addressed by sha512');
  await store.uploads.putWhole('library/ubuntu', sha512(big), body(big));
  t.same(await readFile(join(repo, 'blobs', 'sha512', sha512(big).slice('sha512:'.length))), big, 'sha512 blobs live under blobs/sha512');
  t.same(await entriesOf(join(root, '_uploads')), [], 'no temp file is left in _uploads/');
});

t.test('an empty repository created by a blob push has an empty index', async (t) => {
  const { store, root } = await openTestStore(t);
  const blob = content('lonely blob');
  t.equal(await store.layout.repoExists('lonely'), false, 'not there before');
  t.equal(await store.layout.readIndex('lonely'), undefined, 'readIndex of a missing repository is undefined');
  await store.uploads.putWhole('lonely', blob.digest, body(blob.bytes));
  t.equal(await store.layout.repoExists('lonely'), true, 'exists after a blob push');
  const index = JSON.parse(await readFile(join(root, 'repositories', 'lonely', 'index.json'), 'utf8')) as unknown;
  t.same(index, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, 'empty image index');
  t.same(await store.manifests.tags('lonely'), [], 'no tags');
});

t.test('ensureRepo never replaces an existing index.json', async (t) => {
  const { store, root } = await openTestStore(t);
  await putImage(store, 'keep', 'v1', buildImage('keep'));
  const before = await readFile(join(root, 'repositories', 'keep', 'index.json'), 'utf8');
  await Promise.all([store.layout.ensureRepo('keep'), store.layout.ensureRepo('keep')]);
  t.equal(await readFile(join(root, 'repositories', 'keep', 'index.json'), 'utf8'), before, 'index.json unchanged');
  // A fresh repository created by several writers at once ends with one valid layout.
  await Promise.all(Array.from({ length: 5 }, () => store.layout.ensureRepo('fresh')));
  t.same(await store.layout.readIndex('fresh'), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, 'concurrent creation yields one empty index');
  t.same(
    (await entriesOf(join(root, 'repositories', 'fresh'))).filter((e) => e.endsWith('.tmp')),
    [],
    'no temp files left by the exclusive creation',
  );
});

t.test('names with "/" are flattened: "a" and "a/blobs" coexist', async (t) => {
  const { store, root } = await openTestStore(t);
  const one = await putImage(store, 'a', 'one', buildImage('a'));
  const two = await putImage(store, 'a/blobs', 'two', buildImage('a-blobs'));
  await putImage(store, 'a/blobs/sha256', 'three', buildImage('a-blobs-sha256'));
  t.same(await entriesOf(join(root, 'repositories')), ['a', 'a%2Fblobs', 'a%2Fblobs%2Fsha256'], 'one flat directory per repository');
  t.same(await entriesOf(join(root, 'repositories', 'a', 'blobs')), ['sha256'], '"a"\'s blobs directory holds only its blobs');
  t.same(await store.layout.listRepositories(), ['a', 'a/blobs', 'a/blobs/sha256'], 'listRepositories decodes the names');
  t.same(await store.manifests.tags('a'), ['one'], 'tags of "a"');
  t.same(await store.manifests.tags('a/blobs'), ['two'], 'tags of "a/blobs"');
  t.equal((await store.manifests.get('a', 'one')).digest, one.manifest.digest, '"a" manifest intact');
  t.equal((await store.manifests.get('a/blobs', 'two')).digest, two.manifest.digest, '"a/blobs" manifest intact');
  t.equal(await store.blobs.has('a', two.config.digest), false, 'blobs are per repository');
  const scrubbed = await store.scrub();
  t.same(scrubbed.problems, [], 'scrub sees three clean repositories');
  t.equal(scrubbed.repositories, 3, 'scrub counts three repositories');
});

t.test('listRepositories ignores directories that are not encoded valid names', async (t) => {
  const { store, root } = await openTestStore(t);
  await putImage(store, 'good/name', 'v1', buildImage('good'));
  for (const stray of ['UPPER', 'good%2fname', '%E0%A4%A', '.hidden']) await mkdir(join(root, 'repositories', stray), { recursive: true });
  t.same(await store.layout.listRepositories(), ['good/name'], 'only the valid, canonically encoded name');
});

t.test('the sessions\' directory is no repository\'s: a repository named "uploads" keeps its content when the sessions are swept', async (t) => {
  const { store } = await openTestStore(t);
  t.equal(kindOfSync(() => validateName(basename(store.layout.uploadsDir))), 'NAME_INVALID', 'the sessions\' directory has a name no repository can take');
  const image = await putImage(store, 'uploads', 'v1', buildImage('named like the sessions'));
  await store.uploads.create('uploads');
  t.equal(await store.uploads.sweepTemporary(), 0, 'nothing of the repository is taken for a stray temp file');
  t.equal(await store.uploads.expireIdle(Date.now() + 60_000), 1, 'an idle sweep removes the session, only it');
  t.same(await store.layout.listRepositories(), ['uploads'], 'the repository is listed');
  for (const blob of [image.config, ...image.layers, image.manifest]) {
    t.ok(await store.blobs.stat('uploads', blob.digest), `${blob.digest} is still there`);
  }
});

t.test('name and tag validation', async (t) => {
  const valid = ['a', 'library/ubuntu', 'a.b_c__d-e--f', 'x0/y1/z2', 'a'.repeat(255)];
  for (const name of valid) t.equal(kindOfSync(() => validateName(name)), undefined, `${name.slice(0, 40)} is valid`);
  const invalid = ['', '../x', 'a/../b', '..', 'A', 'a//b', 'a/', '/a', 'a b', 'a\\b', 'a%2Fb', '-a', 'a-', 'a'.repeat(256)];
  for (const name of invalid) t.equal(kindOfSync(() => validateName(name)), 'NAME_INVALID', `${JSON.stringify(name.slice(0, 40))} is NAME_INVALID`);
  t.equal(kindOfSync(() => validateTag('v1.0_rc-1')), undefined, 'valid tag');
  t.equal(kindOfSync(() => validateTag('t'.repeat(128))), undefined, '128-char tag is valid');
  for (const tag of ['', '.x', '-x', 'a/b', 'a:b', 't'.repeat(129)]) t.equal(kindOfSync(() => validateTag(tag)), 'TAG_INVALID', `${JSON.stringify(tag.slice(0, 20))} is TAG_INVALID`);
  const layout = new Layout('/nonexistent-root');
  t.equal(kindOfSync(() => layout.repoDir('../etc')), 'NAME_INVALID', 'repoDir validates before building a path');
  t.equal(layout.repoDir('a/b'), join('/nonexistent-root', 'repositories', 'a%2Fb'), 'repoDir flattens "/"');
});

t.test('invalid names are rejected by every store operation and nothing is created', async (t) => {
  const { store, root, parent } = await openTestStore(t);
  const image = buildImage('escape');
  const blob = image.config;
  for (const name of ['../x', '../../escape', 'A', 'a//b', 'a/', 'a'.repeat(256)]) {
    const label = JSON.stringify(name.slice(0, 20));
    await rejectsKind(t, store.uploads.create(name), 'NAME_INVALID', `${label}: uploads.create`);
    await rejectsKind(t, store.uploads.putWhole(name, blob.digest, body(blob.bytes)), 'NAME_INVALID', `${label}: uploads.putWhole`);
    await rejectsKind(t, store.manifests.put(name, 'latest', image.manifest.mediaType, image.manifest.bytes), 'NAME_INVALID', `${label}: manifests.put`);
    await rejectsKind(t, store.mountBlob(name, blob.digest, 'source'), 'NAME_INVALID', `${label}: mountBlob`);
    await rejectsKind(t, store.manifests.tags(name), 'NAME_INVALID', `${label}: tags`);
    await rejectsKind(t, store.statBlob(name, blob.digest), 'NAME_INVALID', `${label}: statBlob`);
    await rejectsKind(t, store.layout.ensureRepo(name), 'NAME_INVALID', `${label}: ensureRepo`);
  }
  t.same(await entriesOf(parent), ['store'], 'nothing next to the root');
  t.same(await entriesOf(root), ['_uploads', 'repositories'], 'nothing new in the root');
  t.same(await entriesOf(join(root, 'repositories')), [], 'no repository created');
  t.same(await entriesOf(join(root, '_uploads')), [], 'no upload session or temp file created');
  await t.rejects(stat(join(parent, 'x')), 'no ../x directory');
});

t.test('long names: the longest that fits works end to end, a longer one is NAME_INVALID, never an I/O error', async (t) => {
  const { store, root } = await openTestStore(t);
  const flat = 'f'.repeat(255);
  const slashed = `${'n'.repeat(120)}/${'m'.repeat(132)}`; // 253 characters, 255 once "/" is flattened to "%2F"
  t.equal(encodeURIComponent(slashed).length, 255);
  for (const name of [flat, slashed]) {
    const image = await putImage(store, name, 'v1', buildImage(name.slice(0, 3)));
    t.equal((await store.manifests.get(name, 'v1')).digest, image.manifest.digest, `${name.length}-character name: manifest fetched back`);
  }
  t.same(await store.layout.listRepositories(), [flat, slashed].sort(), 'both listed');
  // 255 characters are within the grammar's cap, but with a "/" the directory name would be 257 bytes.
  const tooLong = `${'n'.repeat(120)}/${'m'.repeat(134)}`;
  t.equal(tooLong.length, 255);
  const image = buildImage('too-long');
  await rejectsKind(t, store.uploads.putWhole(tooLong, image.config.digest, body(image.config.bytes)), 'NAME_INVALID', 'putWhole');
  await rejectsKind(t, store.uploads.create(tooLong), 'NAME_INVALID', 'uploads.create');
  await rejectsKind(t, store.manifests.put(tooLong, 'v1', image.manifest.mediaType, image.manifest.bytes), 'NAME_INVALID', 'manifests.put');
  t.same(await entriesOf(join(root, '_uploads')), [], 'no session or temp file left behind');

  // Over HTTP this is a clean 400 NAME_INVALID, not a 500 from the file system.
  const registry = await startTestRegistry(t);
  const reply = await call(registry.url, 'POST', `/v2/${tooLong}/blobs/uploads/?digest=${image.config.digest}`, { body: image.config.bytes });
  t.equal(reply.status, 400, 'HTTP 400');
  t.equal(reply.json<{ errors: { code: string }[] }>().errors[0]?.code, 'NAME_INVALID', 'NAME_INVALID');
});
