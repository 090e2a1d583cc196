/**
 * The store as the page shows it (playground/store-view.ts), read from the image store: the
 * repositories with their counts; a repository's tags in order, its manifests with subject and
 * artifactType, its blobs with the role each descriptor gives them, its layout on disk with
 * index.json byte for byte; a manifest as stored with what each digest in it names (config and
 * layers, children, subject, referrers); a blob's roles and its content — JSON formatted, text as
 * it is, binary shortened.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeBlob, describeManifest, describeRepository, listRepositories, rolesIn } from '../../playground/store-view.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { artifact, config, content, emptyConfig, imageManifest, indexManifest, layer, pushBlob, pushManifest } from '../helpers/oci.ts';

t.test('repositories, tags, manifests, blobs and the layout on disk', async (t) => {
  const registry = await startTestRegistry(t);
  const repo = 'view/app';
  const [c, l] = [config('view'), layer('view')];
  const binary = content(randomBytes(300), 'application/vnd.oci.image.layer.v1.tar+gzip');
  for (const blob of [c, l, binary, emptyConfig]) await pushBlob(registry.url, repo, blob);
  const image = imageManifest(c, [l, binary]);
  const index = indexManifest([image]);
  const signature = artifact(image, 'application/vnd.example.signature.v1', { 'org.example.signer': 'alice' });
  await pushManifest(registry.url, repo, 'v2', image);
  await pushManifest(registry.url, repo, 'latest', image);
  await pushManifest(registry.url, repo, 'multi', index);
  await pushManifest(registry.url, repo, signature.digest, signature);
  await pushBlob(registry.url, 'view/other', l);

  t.same(await listRepositories(registry.store), [
    { name: 'view/app', tags: 3, manifests: 3, blobs: 7 },
    { name: 'view/other', tags: 0, manifests: 0, blobs: 1 },
  ]);

  const view = await describeRepository(registry.store, repo);
  if (view === undefined) throw new Error('the repository is there');
  t.same(view.tags, [{ tag: 'latest', digest: image.digest }, { tag: 'multi', digest: index.digest }, { tag: 'v2', digest: image.digest }], 'tags in order');
  const imageRow = view.manifests.find((m) => m.digest === image.digest);
  t.same([...(imageRow?.tags ?? [])].sort(), ['latest', 'v2'], 'one row per manifest, with every tag');
  const signatureRow = view.manifests.find((m) => m.digest === signature.digest);
  t.equal(signatureRow?.subject, image.digest);
  t.equal(signatureRow?.artifactType, 'application/vnd.example.signature.v1');
  const roles = (digest: string) => view.blobs.find((b) => b.digest === digest)?.roles.map((r) => `${r.role} of ${r.of === image.digest ? 'image' : r.of === index.digest ? 'index' : 'signature'}`).sort();
  t.same(roles(c.digest), ['config of image']);
  t.same(roles(l.digest), ['layer of image']);
  t.same(roles(image.digest), ['child of index', 'subject of signature'], 'a manifest is a child and a subject');
  t.ok(view.blobs.find((b) => b.digest === image.digest)?.manifest, 'and a manifest of the repository');
  t.equal(view.layout.indexJson, await readFile(join(registry.root, 'repositories', 'view%2Fapp', 'index.json'), 'utf8'), 'index.json byte for byte');
  t.same(view.layout.files.map((f) => f.path).filter((p) => !p.startsWith('blobs/')), ['index.json', 'oci-layout']);
  t.ok(view.layout.files.some((f) => f.path === `blobs/sha256/${binary.digest.slice(7)}` && f.size === 300), 'blobs/<alg>/<hex> with its size');
  t.equal(await describeRepository(registry.store, 'view/none'), undefined);

  const manifest = await describeManifest(registry.store, repo, image.digest);
  t.equal(manifest.text, image.bytes.toString(), 'the bytes as stored');
  t.same([...manifest.tags].sort(), ['latest', 'v2']);
  t.equal(manifest.digests[c.digest], 'blob');
  t.equal(manifest.digests[signature.digest], 'manifest', 'referrers link as manifests');
  t.same(manifest.referrers.map((r) => r.digest), [signature.digest]);
  const indexView = await describeManifest(registry.store, repo, index.digest);
  t.equal(indexView.digests[image.digest], 'manifest', 'an index child is a manifest');

  const configView = await describeBlob(registry.store, repo, c.digest);
  t.equal(configView.content.kind, 'json', 'a config is shown as JSON');
  t.same(configView.roles.map((r) => r.role), ['config']);
  const binaryView = await describeBlob(registry.store, repo, binary.digest);
  t.equal(binaryView.content.kind, 'binary');
  t.equal(binaryView.content.size, 300);
  await t.rejects(describeBlob(registry.store, repo, `sha256:${'0'.repeat(64)}`), { message: /unknown to repository/ }, 'an unknown blob');
  await t.rejects(describeManifest(registry.store, repo, `sha256:${'0'.repeat(64)}`), { message: /unknown to repository/ }, 'an unknown manifest');
});

t.test('roles read from any manifest body, odd ones included', async (t) => {
  t.same(rolesIn(null, 'x'), []);
  t.same(rolesIn({ config: { digest: 'sha256:a' }, layers: 'no', subject: { digest: 7 } }, 'x'), [{ role: 'config', of: 'x', digest: 'sha256:a', mediaType: '' }]);
  t.same(rolesIn({ blobs: [{ digest: 'sha256:b', mediaType: 'text/plain' }] }, 'x').map((r) => r.role), ['blob'], 'artifact manifests of the 1.1 release candidates');
});
