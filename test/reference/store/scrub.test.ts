/**
 * Scrub verifies a store offline: a clean store has no problems; a flipped byte in a blob, a
 * truncated index.json, a layer deleted under a manifest, a missing manifest blob, a missing index
 * child, a size mismatch and a damaged oci-layout are each reported for the right repository.
 * Every check runs on a freshly opened store, as `touchstone scrub` does.
 */
import t, { type Test } from 'tap';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore } from '../../../reference/store/image-store.ts';
import type { ScrubProblem } from '../../../reference/store/scrub.ts';
import { OCI_MANIFEST } from '../../../spec/media-types.ts';
import { artifact, content, descriptor, emptyConfig, indexManifest, sha512, type Content } from '../../helpers/oci.ts';
import { body, buildImage, openTestStore, putBlob, putImage, putManifest, type StoredImage, type TestStore } from '../../helpers/store.ts';

const R = 'scrub/repo';
const OTHER = 'scrub/other';

interface Fixture extends TestStore {
  readonly image: StoredImage;
  readonly child: StoredImage;
  readonly index: Content;
}

/** Two repositories: R with an image, an index over another image and a referrer; OTHER with one image. */
async function fixture(t: Test): Promise<Fixture> {
  const opened = await openTestStore(t);
  const { store } = opened;
  const image = await putImage(store, R, 'v1', buildImage('scrub'));
  const child = await putImage(store, R, undefined, buildImage('scrub-child'));
  const index = indexManifest([child.manifest]);
  await putManifest(store, R, 'multi', index);
  await putBlob(store, R, emptyConfig);
  const sig = artifact(image.manifest, 'application/vnd.example.sig');
  await putManifest(store, R, sig.digest, sig);
  const big = Buffer.from('a sha512 blob in the store');
  await store.uploads.putWhole(R, sha512(big), body(big));
  await putImage(store, OTHER, 'v1', buildImage('scrub-other'));
  return { ...opened, image, child, index };
}

async function scrubFresh(root: string): Promise<{ problems: ScrubProblem[]; repositories: number; blobs: number; manifests: number }> {
  return (await ImageStore.open(root)).scrub();
}

function blobFile(root: string, name: string, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(root, 'repositories', encodeURIComponent(name), 'blobs', algorithm, hex);
}

t.test('a clean store has no problems', async (t) => {
  const { root } = await fixture(t);
  const report = await scrubFresh(root);
  t.same(report.problems, [], 'no problems');
  t.equal(report.repositories, 2, 'two repositories');
  // R: config+2 layers+manifest (image), same for the child, the index, the empty config, the sig, the sha512 blob.
  t.equal(report.blobs, 4 + 4 + 1 + 1 + 1 + 1 + 4, 'every blob checked');
  t.equal(report.manifests, 4 + 1, 'every index.json entry checked');
});

t.test('a flipped byte in a blob is reported', async (t) => {
  const { root, image } = await fixture(t);
  const layerDigest = (image.layers[0] as Content).digest;
  const path = blobFile(root, R, layerDigest);
  const bytes = await readFile(path);
  bytes[3] = (bytes[3] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
  const { problems } = await scrubFresh(root);
  t.equal(problems.length, 1, 'one problem');
  t.match(problems[0], { repository: R, item: layerDigest, problem: /^content has digest sha256:[0-9a-f]{64}$/ }, 'the layer, with its actual digest');
});

t.test('a flipped byte in a sha512 blob and in a manifest are reported', async (t) => {
  const { root, image } = await fixture(t);
  const big = sha512(Buffer.from('a sha512 blob in the store'));
  await writeFile(blobFile(root, R, big), 'tampered');
  const manifestPath = blobFile(root, R, image.manifest.digest);
  await writeFile(manifestPath, (await readFile(manifestPath, 'utf8')).replace('"schemaVersion":2', '"schemaVersion":3'));
  const { problems } = await scrubFresh(root);
  t.match(problems.find((p) => p.item === big), { repository: R, problem: /content has digest sha512:/ }, 'sha512 blob verified with sha512');
  t.match(problems.find((p) => p.item === image.manifest.digest && /content has digest/.test(p.problem)), { repository: R }, 'the tampered manifest blob');
  t.ok(problems.some((p) => p.item === image.manifest.digest && /not a valid manifest/.test(p.problem)), 'and it no longer parses as a manifest');
});

t.test('a truncated index.json is reported', async (t) => {
  const { root } = await fixture(t);
  const indexPath = join(root, 'repositories', encodeURIComponent(R), 'index.json');
  const size = (await readFile(indexPath)).length;
  await truncate(indexPath, Math.floor(size / 2));
  const { problems } = await scrubFresh(root);
  t.equal(problems.length, 1, 'one problem');
  t.match(problems[0], { repository: R, item: 'index.json', problem: /^damaged: / }, 'index.json damaged');
  // An index.json that parses but is not an image index.
  await writeFile(indexPath, '{"schemaVersion":2}');
  const notAnIndex = (await scrubFresh(root)).problems;
  t.equal(notAnIndex.length, 1, 'one problem');
  t.match(notAnIndex[0], { repository: R, item: 'index.json', problem: /not an image index/ }, 'no manifests array');
  await writeFile(indexPath, '');
  const empty = (await scrubFresh(root)).problems;
  t.equal(empty.length, 1, 'one problem');
  t.match(empty[0], { repository: R, item: 'index.json', problem: /^damaged: / }, 'empty file');
});

t.test('a layer deleted under a manifest is reported', async (t) => {
  const { root, image } = await fixture(t);
  const layerDigest = (image.layers[1] as Content).digest;
  await rm(blobFile(root, R, layerDigest));
  const { problems } = await scrubFresh(root);
  t.same(problems, [{ repository: R, item: image.manifest.digest, problem: `references missing blob ${layerDigest}` }], 'the manifest names the missing layer');
});

t.test('a layer with an empty urls list is not foreign: its loss is reported', async (t) => {
  const { root, store } = await openTestStore(t);
  const image = buildImage('empty-urls');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const [first] = image.layers as [Content];
  const manifest = content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(image.config), layers: [{ ...descriptor(first), urls: [] }] }), OCI_MANIFEST);
  await putManifest(store, R, 'v1', manifest); // the store required the layer, as for any layer
  await rm(blobFile(root, R, first.digest));
  t.same((await scrubFresh(root)).problems, [{ repository: R, item: manifest.digest, problem: `references missing blob ${first.digest}` }], 'reported');
});

t.test('a missing manifest blob, a missing index child and a size mismatch are reported', async (t) => {
  const { root, store, child, index } = await fixture(t);
  await rm(blobFile(root, R, child.manifest.digest));
  let problems = (await scrubFresh(root)).problems;
  t.same(problems, [{ repository: R, item: child.manifest.digest, problem: 'listed in index.json but its blob is missing' }], 'missing manifest blob');

  await store.manifests.delete(R, child.manifest.digest); // the index still lists it
  problems = (await scrubFresh(root)).problems;
  t.same(problems, [{ repository: R, item: index.digest, problem: `references missing manifest ${child.manifest.digest}` }], 'missing index child');

  const repoIndex = await store.layout.readIndex(R);
  const entry = repoIndex?.manifests.find((m) => m.digest === index.digest);
  if (!repoIndex || !entry) throw new Error('index entry missing');
  entry.size += 1;
  await store.layout.writeIndex(R, repoIndex);
  problems = (await scrubFresh(root)).problems;
  t.ok(problems.some((p) => p.item === index.digest && p.problem === `index.json says ${index.size + 1} bytes, the blob has ${index.size}`), 'size mismatch');
});

t.test('a damaged oci-layout and a stray file in blobs/ are reported', async (t) => {
  const { root } = await fixture(t);
  const repoDir = join(root, 'repositories', encodeURIComponent(OTHER));
  await writeFile(join(repoDir, 'oci-layout'), '{"imageLayoutVersion":"0.9"}');
  await writeFile(join(repoDir, 'blobs', 'sha256', 'not-a-digest'), 'junk');
  const { problems } = await scrubFresh(root);
  t.ok(problems.every((p) => p.repository === OTHER), 'only the damaged repository is reported');
  t.match(problems.find((p) => p.item === 'oci-layout'), { problem: /imageLayoutVersion is not 1\.0\.0/ }, 'wrong layout version');
  t.match(problems.find((p) => p.item === 'sha256:not-a-digest'), { problem: /not a valid blob/ }, 'stray file');
  await rm(join(repoDir, 'oci-layout'));
  t.match((await scrubFresh(root)).problems.find((p) => p.item === 'oci-layout'), { problem: /unreadable/ }, 'missing oci-layout');
});

t.test('an empty store scrubs clean', async (t) => {
  const { root } = await openTestStore(t);
  t.same(await scrubFresh(root), { repositories: 0, blobs: 0, manifests: 0, problems: [] });
  const { store } = await openTestStore(t);
  await putBlob(store, R, content('only a blob'));
  t.same((await store.scrub()).problems, [], 'a repository with only a blob');
});
