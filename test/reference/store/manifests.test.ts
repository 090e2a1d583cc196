/**
 * Manifests, tags and referrers of the store: put by tag and by digest, byte-exact get with the
 * pushed media type, every manifest type (OCI manifest and index, nested index, Docker schema2
 * manifest and list, artifacts with a subject), the validation errors, tag moves, deletes by digest
 * and by tag, tag order, referrers with their filter, extra tags, and blob deletes that respect
 * references.
 */
import t from 'tap';
import { ANNOTATION_REF_NAME, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MANIFEST_MAX_BYTES, OCI_CONFIG, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../../spec/media-types.ts';
import { dockerConfig, dockerLayer, dockerManifest, dockerManifestList } from '../../../conformance/content.ts';
import { artifact, config, content, descriptor, emptyConfig, imageManifest, indexManifest, layer, sha512, type Content } from '../../helpers/oci.ts';
import { buildImage, openTestStore, putBlob, putImage, putManifest, rejectsKind } from '../../helpers/store.ts';

const R = 'man/repo';

t.test('put by tag and by digest, get byte-exact with the media type', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('put');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const result = await store.manifests.put(R, 'v1', OCI_MANIFEST, image.manifest.bytes);
  t.same(result, { digest: image.manifest.digest, subject: undefined, tags: ['v1'] }, 'put by tag answers digest and tags');
  for (const reference of ['v1', image.manifest.digest]) {
    const got = await store.manifests.get(R, reference);
    t.same(got.body, image.manifest.bytes, `get ${reference.slice(0, 14)}: same bytes`);
    t.equal(got.mediaType, OCI_MANIFEST, 'media type kept');
    t.equal(got.digest, image.manifest.digest, 'digest');
    t.equal(got.size, image.manifest.size, 'size');
  }
  t.same(await store.manifests.resolve(R, 'v1'), { mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size }, 'resolve');

  // Odd formatting survives: the stored bytes are the pushed bytes, not a re-serialization.
  const pretty = content(`{\n   "schemaVersion" : 2,\n\t"layers": [],  "config": ${JSON.stringify(descriptor(image.config))},\n "mediaType": "${OCI_MANIFEST}"\n}\n\n`, OCI_MANIFEST);
  const byDigest = await store.manifests.put(R, pretty.digest, OCI_MANIFEST, pretty.bytes);
  t.same(byDigest, { digest: pretty.digest, subject: undefined, tags: [] }, 'put by digest: no tag');
  t.same((await store.manifests.get(R, pretty.digest)).body, pretty.bytes, 'whitespace and key order kept');
  t.same(await store.manifests.tags(R), ['v1'], 'a push by digest adds no tag');

  // sha512 references address the manifest by its sha512 digest.
  const other = imageManifest(image.config, [image.layers[0] as Content]);
  const d512 = sha512(other.bytes);
  t.equal((await store.manifests.put(R, d512, OCI_MANIFEST, other.bytes)).digest, d512, 'put by sha512 digest');
  t.same((await store.manifests.get(R, d512)).body, other.bytes, 'get by sha512 digest');

  const wrong = buildImage('wrong').manifest.digest;
  const before = await store.layout.readIndex(R);
  const mismatch = await rejectsKind(t, store.manifests.put(R, wrong, OCI_MANIFEST, image.manifest.bytes), 'DIGEST_MISMATCH', 'digest that does not match the body');
  t.same(mismatch?.detail, { expected: wrong, actual: image.manifest.digest }, 'detail names both digests');
  t.same(await store.layout.readIndex(R), before, 'index.json unchanged by the refused push');
  await rejectsKind(t, store.manifests.get(R, wrong), 'MANIFEST_UNKNOWN', 'nothing stored under the wrong digest');
  await rejectsKind(t, store.manifests.get(R, 'nope'), 'MANIFEST_UNKNOWN', 'unknown tag');
  await rejectsKind(t, store.manifests.get('man/missing', 'v1'), 'MANIFEST_UNKNOWN', 'unknown repository');
  await rejectsKind(t, store.manifests.get(R, '-bad'), 'MANIFEST_UNKNOWN', 'a malformed tag names no manifest (the official v1.1.1 suite pulls one as its nonexistent manifest)');
  await rejectsKind(t, store.manifests.delete(R, '.INVALID_MANIFEST_NAME'), 'MANIFEST_UNKNOWN', 'nor can it be deleted');
  await rejectsKind(t, store.manifests.get(R, 'sha256:xyz'), 'DIGEST_INVALID', 'malformed digest');
  await rejectsKind(t, store.manifests.put(R, 'bad tag', OCI_MANIFEST, image.manifest.bytes), 'TAG_INVALID', 'put with a malformed tag');
});

t.test('media type from Content-Type when the manifest has no mediaType field', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('ct');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const bare = content(JSON.stringify({ schemaVersion: 2, config: descriptor(image.config), layers: image.layers.map((l) => descriptor(l)) }), OCI_MANIFEST);
  await store.manifests.put(R, 'bare', `${OCI_MANIFEST}; charset=utf-8`, bare.bytes);
  t.equal((await store.manifests.get(R, 'bare')).mediaType, OCI_MANIFEST, 'the Content-Type, without parameters');
  await rejectsKind(t, store.manifests.put(R, 'none', undefined, bare.bytes), 'MANIFEST_INVALID', 'neither mediaType nor Content-Type');
  await rejectsKind(t, store.manifests.put(R, 'text', 'text/plain', bare.bytes), 'MANIFEST_INVALID', 'an unsupported Content-Type');
  // With a mediaType field, a missing Content-Type is fine and a matching one with parameters too.
  await store.manifests.put(R, 'noheader', undefined, image.manifest.bytes);
  t.equal((await store.manifests.get(R, 'noheader')).mediaType, OCI_MANIFEST, 'mediaType field used');
  await store.manifests.put(R, 'params', `${OCI_MANIFEST.toUpperCase()} ; foo=bar`, image.manifest.bytes);
  t.equal((await store.manifests.get(R, 'params')).mediaType, OCI_MANIFEST, 'Content-Type compared without case and parameters');
});

t.test('every manifest type: OCI index, nested index, Docker schema2, artifacts', async (t) => {
  const { store } = await openTestStore(t);
  const a = await putImage(store, R, undefined, buildImage('idx-a'));
  const b = await putImage(store, R, undefined, buildImage('idx-b'));
  const inner = indexManifest([b.manifest]);
  const outer = indexManifest([a.manifest, inner]);
  await rejectsKind(t, putManifest(store, R, 'outer', outer), 'MANIFEST_BLOB_UNKNOWN', 'the nested index must come first');
  await putManifest(store, R, inner.digest, inner);
  await putManifest(store, R, 'outer', outer);
  const got = await store.manifests.get(R, 'outer');
  t.equal(got.mediaType, OCI_INDEX, 'index media type');
  t.same(got.body, outer.bytes, 'index bytes');

  const dCfg = dockerConfig('docker');
  const dLayer = dockerLayer('docker');
  await putBlob(store, R, dCfg);
  await putBlob(store, R, dLayer);
  const dm = dockerManifest(dCfg, [dLayer]);
  await putManifest(store, R, 'docker', dm);
  t.equal((await store.manifests.get(R, 'docker')).mediaType, DOCKER_MANIFEST, 'Docker schema2 manifest');
  const list = dockerManifestList([dm]);
  await putManifest(store, R, 'docker-list', list);
  const gotList = await store.manifests.get(R, 'docker-list');
  t.equal(gotList.mediaType, DOCKER_MANIFEST_LIST, 'Docker manifest list');
  t.same(gotList.body, list.bytes, 'list bytes');

  // An artifact whose subject does not exist (yet) is accepted.
  const ghost = buildImage('never-pushed').manifest;
  await putBlob(store, R, emptyConfig);
  const sig = artifact(ghost, 'application/vnd.example.sig');
  const result = await store.manifests.put(R, sig.digest, sig.mediaType, sig.bytes);
  t.equal(result.subject, ghost.digest, 'put answers the subject');
  t.same((await store.manifests.referrers(R, ghost.digest)).map((d) => d.digest), [sig.digest], 'referrer of a missing subject is listed');
  // A non-distributable layer (with urls) need not be in the repository.
  const foreign = { ...descriptor(layer('foreign')), urls: ['https://example.invalid/layer'] };
  const withForeign = content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(a.config), layers: [foreign] }), OCI_MANIFEST);
  await putManifest(store, R, 'foreign', withForeign);
  t.equal((await store.manifests.get(R, 'foreign')).digest, withForeign.digest, 'manifest with a foreign layer stored');
  t.same(await store.scrub().then((r) => r.problems), [], 'scrub accepts the whole repository');
});

t.test('MANIFEST_BLOB_UNKNOWN for a missing config, layer or child', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('missing');
  const [first, second] = image.layers as [Content, Content];
  await putBlob(store, R, first);
  await putBlob(store, R, second);
  const noConfig = await rejectsKind(t, putManifest(store, R, 'v1', image.manifest), 'MANIFEST_BLOB_UNKNOWN', 'config missing');
  t.same(noConfig?.detail, { digest: image.config.digest }, 'detail names the config');
  await putBlob(store, R, image.config);
  const missingLayer = layer('missing-layer');
  const noLayer = await rejectsKind(t, putManifest(store, R, 'v1', imageManifest(image.config, [first, missingLayer])), 'MANIFEST_BLOB_UNKNOWN', 'layer missing');
  t.same(noLayer?.detail, { digest: missingLayer.digest }, 'detail names the layer');
  await putBlob(store, 'man/elsewhere', missingLayer);
  await rejectsKind(t, putManifest(store, R, 'v1', imageManifest(image.config, [missingLayer])), 'MANIFEST_BLOB_UNKNOWN', 'a blob in another repository does not count');
  const child = buildImage('child').manifest;
  const noChild = await rejectsKind(t, putManifest(store, R, 'idx', indexManifest([image.manifest, child])), 'MANIFEST_BLOB_UNKNOWN', 'child manifest missing');
  t.same(noChild?.detail, { digest: image.manifest.digest }, 'detail names the first missing child');
  // A child stored only as a blob, not as a manifest, does not count either.
  await putBlob(store, R, content(image.manifest.bytes, OCI_MANIFEST));
  await rejectsKind(t, putManifest(store, R, 'idx', indexManifest([image.manifest])), 'MANIFEST_BLOB_UNKNOWN', 'a child that is only a blob');
  t.same(await store.manifests.tags(R), [], 'no tag was created by the refused pushes');
});

t.test('MANIFEST_INVALID for malformed manifests, MANIFEST_TOO_LARGE above 4 MiB', async (t) => {
  const { store } = await openTestStore(t);
  const image = await putImage(store, R, undefined, buildImage('invalid'));
  const manifestOf = (body: unknown): Buffer => Buffer.from(JSON.stringify(body));
  const good = JSON.parse(image.manifest.bytes.toString()) as Record<string, unknown>;
  const cases: [string, Uint8Array, string | undefined][] = [
    ['not JSON', Buffer.from('{"schemaVersion": 2,'), OCI_MANIFEST],
    ['a JSON array', manifestOf([good]), OCI_MANIFEST],
    ['schemaVersion 1', manifestOf({ ...good, schemaVersion: 1 }), OCI_MANIFEST],
    ['schemaVersion "2"', manifestOf({ ...good, schemaVersion: '2' }), OCI_MANIFEST],
    ['no schemaVersion', manifestOf({ ...good, schemaVersion: undefined }), OCI_MANIFEST],
    ['Content-Type differs from mediaType', image.manifest.bytes, OCI_INDEX],
    ['Docker Content-Type for an OCI manifest', image.manifest.bytes, DOCKER_MANIFEST],
    ['config size differs from the blob', manifestOf({ ...good, config: { ...descriptor(image.config), size: image.config.size + 1 } }), OCI_MANIFEST],
    ['layer size differs from the blob', manifestOf({ ...good, layers: [{ ...descriptor(image.layers[0] as Content), size: 1 }] }), OCI_MANIFEST],
    ['layers not an array', manifestOf({ ...good, layers: {} }), OCI_MANIFEST],
    ['config missing', manifestOf({ ...good, config: undefined }), OCI_MANIFEST],
    ['descriptor digest malformed', manifestOf({ ...good, config: { ...descriptor(image.config), digest: 'sha256:XYZ' } }), OCI_MANIFEST],
    ['descriptor size negative', manifestOf({ ...good, config: { ...descriptor(image.config), size: -1 } }), OCI_MANIFEST],
    ['annotations not strings', manifestOf({ ...good, annotations: { a: 1 } }), OCI_MANIFEST],
    ['index without manifests', manifestOf({ schemaVersion: 2, mediaType: OCI_INDEX }), OCI_INDEX],
    ['unknown media type', manifestOf({ ...good, mediaType: 'application/json' }), 'application/json'],
    ['subject not a descriptor', manifestOf({ ...good, subject: 'sha256:abc' }), OCI_MANIFEST],
  ];
  const childDescriptor = { ...descriptor(image.manifest), size: image.manifest.size + 1 };
  cases.push(['index child size differs from the stored manifest', manifestOf({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [childDescriptor] }), OCI_INDEX]);
  for (const [what, body, type] of cases) await rejectsKind(t, store.manifests.put(R, 'bad', type, body), 'MANIFEST_INVALID', what);
  await rejectsKind(t, store.manifests.get(R, 'bad'), 'MANIFEST_UNKNOWN', 'nothing tagged by the invalid pushes');

  // Exactly 4 MiB is accepted; one byte more is MANIFEST_TOO_LARGE.
  const padded = (pad: number): Buffer => manifestOf({ ...good, annotations: { pad: 'x'.repeat(pad) } });
  const exact = padded(MANIFEST_MAX_BYTES - padded(0).length);
  t.equal(exact.length, MANIFEST_MAX_BYTES, 'a manifest of exactly 4 MiB');
  t.equal((await store.manifests.put(R, 'big', OCI_MANIFEST, exact)).tags[0], 'big', 'accepted');
  t.same((await store.manifests.get(R, 'big')).body, exact, 'and served back whole');
  const over = padded(MANIFEST_MAX_BYTES - padded(0).length + 1);
  const tooLarge = await rejectsKind(t, store.manifests.put(R, 'bigger', OCI_MANIFEST, over), 'MANIFEST_TOO_LARGE', '4 MiB + 1 byte');
  t.same(tooLarge?.detail, { limit: MANIFEST_MAX_BYTES }, 'detail gives the limit');
  t.same(await store.manifests.tags(R), ['big'], 'only the accepted one is tagged');
});

t.test('a moved tag leaves the old manifest pullable by digest', async (t) => {
  const { store } = await openTestStore(t);
  const one = await putImage(store, R, 'latest', buildImage('one'));
  const two = await putImage(store, R, 'latest', buildImage('two'));
  t.equal((await store.manifests.get(R, 'latest')).digest, two.manifest.digest, 'latest points at the new manifest');
  t.same((await store.manifests.get(R, one.manifest.digest)).body, one.manifest.bytes, 'the old manifest is still there by digest');
  t.same(await store.manifests.tags(R), ['latest'], 'one tag');
  const index = await store.layout.readIndex(R);
  t.same(
    index?.manifests.map((m) => [m.digest, m.annotations?.[ANNOTATION_REF_NAME]]),
    [
      [one.manifest.digest, undefined],
      [two.manifest.digest, 'latest'],
    ],
    'index.json: the old one untagged, the new one tagged',
  );
  // Moving back does not duplicate entries.
  await putImage(store, R, 'latest', one);
  const again = await store.layout.readIndex(R);
  t.equal(again?.manifests.length, 2, 'still one entry per manifest');
  t.equal((await store.manifests.get(R, 'latest')).digest, one.manifest.digest, 'tag moved back');
  // Re-pushing by digest a manifest that is tagged adds no untagged duplicate.
  await putManifest(store, R, one.manifest.digest, one.manifest);
  t.equal((await store.layout.readIndex(R))?.manifests.length, 2, 'push by digest of a tagged manifest adds nothing');
  // Tagging a manifest that was untagged replaces its untagged entry.
  await putManifest(store, R, 'old', two.manifest);
  t.same(
    (await store.layout.readIndex(R))?.manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME] ?? null).sort(),
    ['latest', 'old'],
    'no untagged entry remains once both manifests are tagged',
  );
});

t.test('delete by digest removes the manifest and every tag pointing at it', async (t) => {
  const { store } = await openTestStore(t);
  const doomed = buildImage('doomed');
  for (const blob of [doomed.config, ...doomed.layers]) await putBlob(store, R, blob);
  await putManifest(store, R, 'a', doomed.manifest, ['b', 'c']);
  const kept = await putImage(store, R, 'd', buildImage('kept'));
  t.same(await store.manifests.tags(R), ['a', 'b', 'c', 'd'], 'four tags');
  await store.manifests.delete(R, doomed.manifest.digest);
  t.same(await store.manifests.tags(R), ['d'], 'every tag of the deleted manifest is gone');
  for (const reference of ['a', 'b', 'c', doomed.manifest.digest]) {
    await rejectsKind(t, store.manifests.get(R, reference), 'MANIFEST_UNKNOWN', `${reference.slice(0, 14)} is gone`);
  }
  t.equal((await store.manifests.get(R, 'd')).digest, kept.manifest.digest, 'the other manifest stays');
  t.same((await store.layout.readIndex(R))?.manifests.map((m) => m.digest), [kept.manifest.digest], 'index.json lists only the kept manifest');
  await rejectsKind(t, store.manifests.delete(R, doomed.manifest.digest), 'MANIFEST_UNKNOWN', 'deleting twice');
  await rejectsKind(t, store.manifests.delete('man/missing', doomed.manifest.digest), 'MANIFEST_UNKNOWN', 'deleting in a missing repository');
});

t.test('delete by tag removes only that tag and keeps the manifest', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('by-tag');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  await putManifest(store, R, 'x', image.manifest, ['y']);
  await store.manifests.delete(R, 'x');
  t.same(await store.manifests.tags(R), ['y'], 'only x is gone');
  await rejectsKind(t, store.manifests.get(R, 'x'), 'MANIFEST_UNKNOWN', 'x unknown');
  t.equal((await store.manifests.get(R, 'y')).digest, image.manifest.digest, 'y still resolves');
  t.equal((await store.layout.readIndex(R))?.manifests.length, 1, 'no untagged entry while another tag remains');
  await store.manifests.delete(R, 'y');
  t.same(await store.manifests.tags(R), [], 'no tags left');
  t.same((await store.manifests.get(R, image.manifest.digest)).body, image.manifest.bytes, 'the manifest stays, by digest');
  t.same((await store.layout.readIndex(R))?.manifests, [{ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size }], 'one untagged entry');
  await rejectsKind(t, store.manifests.delete(R, 'y'), 'MANIFEST_UNKNOWN', 'deleting an unknown tag');
  await store.manifests.delete(R, image.manifest.digest);
  t.same((await store.layout.readIndex(R))?.manifests, [], 'deleted by digest at last');
});

t.test('tags are listed in code-point order', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('order');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const pushed = ['b', 'B', 'a', '_x', '10', '9', 'A1', 'a.b', 'a-b', 'a_b', 'Z', 'z', '1'];
  for (const tag of pushed) await putManifest(store, R, tag, image.manifest);
  t.same(await store.manifests.tags(R), ['1', '10', '9', 'A1', 'B', 'Z', '_x', 'a', 'a-b', 'a.b', 'a_b', 'b', 'z'], 'sorted by code point, not by push order');
  await rejectsKind(t, store.manifests.tags('man/missing'), 'NAME_UNKNOWN', 'tags of a missing repository');
});

// With a cache of one descriptor no summary stays in memory: every referrer is read from disk.
for (const [label, options] of [['', {}], [' (no summary cached: read from disk)', { summaryDescriptors: 1 }]] as const) t.test(`referrers: artifactType, annotations, filter${label}`, async (t) => {
  const { store } = await openTestStore(t, options);
  const subject = await putImage(store, R, 'subject', buildImage('subject'));
  await putBlob(store, R, emptyConfig);
  const sig = artifact(subject.manifest, 'application/vnd.example.sig', { 'org.example.by': 'test' });
  const sbom = artifact(subject.manifest, 'application/vnd.example.sbom');
  const cfg = config('referrer-image');
  await putBlob(store, R, cfg);
  // An image manifest with a subject and no artifactType: its config's media type is its artifactType.
  const plain = imageManifest(cfg, [], { subject: descriptor(subject.manifest) });
  const idx = indexManifest([], { subject: descriptor(subject.manifest), artifactType: 'application/vnd.example.bundle', annotations: { k: 'v' } });
  const unrelated = artifact(buildImage('other').manifest, 'application/vnd.example.sig');
  await putManifest(store, R, sig.digest, sig);
  await putManifest(store, R, 'sbom', sbom, ['sbom-again']); // two tags, listed once
  await putManifest(store, R, plain.digest, plain);
  await putManifest(store, R, idx.digest, idx);
  await putManifest(store, R, unrelated.digest, unrelated);

  const all = await store.manifests.referrers(R, subject.manifest.digest);
  const expected = [
    { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: 'application/vnd.example.sig', annotations: { 'org.example.by': 'test' } },
    { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.size, artifactType: 'application/vnd.example.sbom' },
    { mediaType: OCI_MANIFEST, digest: plain.digest, size: plain.size, artifactType: OCI_CONFIG },
    { mediaType: OCI_INDEX, digest: idx.digest, size: idx.size, artifactType: 'application/vnd.example.bundle', annotations: { k: 'v' } },
  ].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  t.same(all, expected, 'every referrer once, with artifactType and annotations, ordered by digest');
  t.same(await store.manifests.referrers(R, subject.manifest.digest, 'application/vnd.example.sig'), [expected.find((d) => d.digest === sig.digest)], 'filter by artifactType');
  t.same(await store.manifests.referrers(R, subject.manifest.digest, 'application/vnd.example.none'), [], 'filter matching nothing');
  t.same(await store.manifests.referrers(R, sig.digest), [], 'a manifest nothing refers to');
  t.same(await store.manifests.referrers('man/missing', subject.manifest.digest), [], 'a missing repository: empty, not an error');
  await rejectsKind(t, store.manifests.referrers(R, 'sha256:short'), 'DIGEST_INVALID', 'malformed digest');
  await store.manifests.delete(R, sig.digest);
  t.notOk((await store.manifests.referrers(R, subject.manifest.digest)).some((d) => d.digest === sig.digest), 'a deleted referrer is no longer listed');
});

t.test('extra tags (PUT ?tag=)', async (t) => {
  const { store } = await openTestStore(t);
  const image = buildImage('extra');
  for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const byDigest = await store.manifests.put(R, image.manifest.digest, OCI_MANIFEST, image.manifest.bytes, ['x', 'y', 'x']);
  t.same(byDigest.tags, ['x', 'y'], 'tags answered once each');
  t.same(await store.manifests.tags(R), ['x', 'y'], 'both tags exist');
  const byTag = await store.manifests.put(R, 'z', OCI_MANIFEST, image.manifest.bytes, ['z', 'w']);
  t.same(byTag.tags, ['z', 'w'], 'the reference tag first, then the extra ones');
  t.same(await store.manifests.tags(R), ['w', 'x', 'y', 'z'], 'four tags');
  t.equal((await store.layout.readIndex(R))?.manifests.length, 4, 'one entry per tag, no untagged duplicate');
  await rejectsKind(t, store.manifests.put(R, 'ok', OCI_MANIFEST, image.manifest.bytes, ['fine', '.bad']), 'TAG_INVALID', 'an invalid extra tag');
  t.same(await store.manifests.tags(R), ['w', 'x', 'y', 'z'], 'nothing added by the refused push');
});

t.test('deleting a blob respects the manifests that reference it', async (t) => {
  const { store } = await openTestStore(t);
  const image = await putImage(store, R, 'v1', buildImage('blobdel'));
  const layerDigest = (image.layers[0] as Content).digest;
  const referenced = await rejectsKind(t, store.deleteBlob(R, layerDigest), 'BLOB_REFERENCED', 'a layer in use');
  t.same(referenced?.detail, { digest: layerDigest, manifest: image.manifest.digest }, 'detail names the manifest');
  await rejectsKind(t, store.deleteBlob(R, image.manifest.digest), 'BLOB_REFERENCED', 'a manifest blob listed in index.json');
  const idx = indexManifest([image.manifest]);
  await putManifest(store, R, 'idx', idx);
  await store.manifests.delete(R, image.manifest.digest);
  await rejectsKind(t, store.deleteBlob(R, image.manifest.digest), 'BLOB_REFERENCED', 'a child of a stored index');
  await store.manifests.delete(R, idx.digest);
  await store.deleteBlob(R, layerDigest);
  t.equal(await store.blobs.has(R, layerDigest), false, 'unreferenced now, so deleted');
  await rejectsKind(t, store.deleteBlob(R, layerDigest), 'BLOB_UNKNOWN', 'deleting twice');
  const loose = content('loose', OCI_LAYER_TAR_GZIP);
  await putBlob(store, R, loose);
  await store.deleteBlob(R, loose.digest);
  t.equal(await store.blobs.has(R, loose.digest), false, 'a blob no manifest references is deleted');
});
