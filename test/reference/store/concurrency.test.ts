/**
 * Concurrency: parallel manifest pushes into one repository lose no tag (zot's early code, with its unused mutex,
 * did: docs/deviations.md#zots-early-storage-code), through the store and through HTTP; interleaved deletes and pushes keep
 * index.json consistent; GC running alongside pushes never deletes a blob a pushed manifest
 * references; concurrent PATCHes to one session are serialized.
 */
import t from 'tap';
import { readFile, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ANNOTATION_REF_NAME, OCI_MANIFEST } from '../../../spec/media-types.ts';
import { isStoreError } from '../../../reference/store/errors.ts';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { config, content, imageManifest, layer, pushBlob, pushManifest, sha256, type Content } from '../../helpers/oci.ts';
import { buildImage, entriesOf, inconsistencies, openTestStore, putBlob, putImage, putManifest, rejectsKind, type StoredImage } from '../../helpers/store.ts';

const R = 'conc/repo';
const N = 50;

/** A body that arrives in `pieces` chunks of `piece`, with a pause between chunks. */
function slowBody(piece: string, pieces: number, pauseMs = 2): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < pieces; i++) {
        yield Buffer.from(piece);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })(),
  );
}

t.test(`${N} parallel manifest pushes with different tags into one repository (store)`, async (t) => {
  const { store } = await openTestStore(t);
  const cfg = config('parallel');
  const layers = [layer('parallel')];
  for (const blob of [cfg, ...layers]) await putBlob(store, R, blob);
  const manifests = Array.from({ length: N }, (_, i) => imageManifest(cfg, layers, { annotations: { n: String(i) } }));
  await Promise.all(manifests.map((m, i) => putManifest(store, R, `t${String(i).padStart(2, '0')}`, m)));
  const expected = manifests.map((_, i) => `t${String(i).padStart(2, '0')}`);
  t.same(await store.manifests.tags(R), expected, `all ${N} tags listed`);
  const index = await store.layout.readIndex(R);
  t.equal(index?.manifests.length, N, `index.json has ${N} entries`);
  for (const [i, m] of manifests.entries()) {
    if ((await store.manifests.resolve(R, expected[i] as string)).digest !== m.digest) t.fail(`${expected[i]} points at the wrong manifest`);
  }
  // The same with the same manifest under many tags, and a repository created by the first push.
  const image = buildImage('one-manifest');
  await Promise.all([image.config, ...image.layers].map((blob) => putBlob(store, 'conc/fresh', blob)));
  await Promise.all(Array.from({ length: N }, (_, i) => putManifest(store, 'conc/fresh', `x${i}`, image.manifest)));
  t.equal((await store.manifests.tags('conc/fresh')).length, N, `${N} tags on one manifest`);
  t.same(await inconsistencies(store, 'conc/fresh'), [], 'consistent');
});

t.test(`${N} parallel manifest pushes with different tags into one repository (HTTP)`, async (t) => {
  const registry = await startTestRegistry(t);
  const cfg = config('http-parallel');
  const layers = [layer('http-parallel')];
  // Blobs in parallel too: the repository is created by whichever arrives first.
  await Promise.all([cfg, ...layers].map((blob) => pushBlob(registry.url, R, blob)));
  const manifests = Array.from({ length: N }, (_, i) => imageManifest(cfg, layers, { annotations: { n: String(i) } }));
  await Promise.all(manifests.map((m, i) => pushManifest(registry.url, R, `tag-${String(i).padStart(2, '0')}`, m)));
  const reply = await call(registry.url, 'GET', `/v2/${R}/tags/list`);
  t.equal(reply.status, 200);
  t.same(reply.json(), { name: R, tags: manifests.map((_, i) => `tag-${String(i).padStart(2, '0')}`) }, `all ${N} tags listed, in order`);
  const gets = await Promise.all(manifests.map((_, i) => call(registry.url, 'GET', `/v2/${R}/manifests/tag-${String(i).padStart(2, '0')}`, { headers: { Accept: OCI_MANIFEST } })));
  t.same(gets.map((g) => g.header('docker-content-digest')), manifests.map((m) => m.digest), 'every tag serves its own manifest');
});

t.test('interleaved parallel deletes and pushes keep index.json consistent', async (t) => {
  const { store, root } = await openTestStore(t);
  const cfg = config('interleave');
  const layers = [layer('interleave')];
  for (const blob of [cfg, ...layers]) await putBlob(store, R, blob);
  const make = (n: string): Content => imageManifest(cfg, layers, { annotations: { n } });
  const old = Array.from({ length: 30 }, (_, i) => make(`old-${i}`));
  for (const [i, m] of old.entries()) await putManifest(store, R, `old${i}`, m);
  const fresh = Array.from({ length: 30 }, (_, i) => make(`new-${i}`));
  const byDigest = Array.from({ length: 10 }, (_, i) => make(`digest-${i}`));

  const operations: Promise<unknown>[] = [];
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 0) operations.push(store.manifests.delete(R, `old${i}`)); // by tag: manifest stays untagged
    if (i % 3 === 1) operations.push(store.manifests.delete(R, (old[i] as Content).digest)); // by digest: gone
    operations.push(putManifest(store, R, `new${i}`, fresh[i] as Content));
    if (i < 10) operations.push(putManifest(store, R, (byDigest[i] as Content).digest, byDigest[i] as Content));
    if (i % 6 === 0) operations.push(putManifest(store, R, `old${i + 2}`, fresh[i] as Content)); // moves a tag nobody deletes
  }
  await Promise.all(operations);

  const expectedTags = new Set<string>();
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 2) expectedTags.add(`old${i}`);
    expectedTags.add(`new${i}`);
  }
  t.same(await store.manifests.tags(R), [...expectedTags].sort(), 'exactly the expected tags');
  const index = await store.layout.readIndex(R);
  const entries = index?.manifests ?? [];
  const tagCounts = new Map<string, number>();
  for (const entry of entries) {
    const tag = entry.annotations?.[ANNOTATION_REF_NAME];
    if (tag !== undefined) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1);
  }
  t.same([...tagCounts.values()].filter((n) => n > 1), [], 'no tag listed twice');
  const untagged = entries.filter((e) => e.annotations?.[ANNOTATION_REF_NAME] === undefined).map((e) => e.digest);
  t.equal(new Set(untagged).size, untagged.length, 'at most one untagged entry per manifest');
  for (const digest of untagged) t.notOk(entries.some((e) => e.digest === digest && e.annotations !== undefined), 'an untagged entry only for a manifest with no tag');
  for (let i = 0; i < 30; i++) {
    const digest = (old[i] as Content).digest;
    const present = entries.some((e) => e.digest === digest);
    if (i % 3 === 1) t.notOk(present, `old${i} deleted by digest is gone`);
    else t.ok(present, `old${i} still stored (tag deleted, moved or kept)`);
  }
  for (const m of byDigest) t.ok(entries.some((e) => e.digest === m.digest), 'every manifest pushed by digest is listed');
  t.same(await inconsistencies(store, R), [], 'every listed manifest is fetchable and complete');
  const repoDir = `${root}/repositories/${encodeURIComponent(R)}`;
  t.same((JSON.parse(await readFile(`${repoDir}/index.json`, 'utf8')) as { manifests: unknown[] }).manifests, entries, 'index.json on disk is what the store reads');
  t.same((await entriesOf(repoDir)).filter((e) => e.endsWith('.tmp')), [], 'no temp file left by the atomic writes');
  t.same((await store.scrub()).problems, [], 'scrub clean');
});

t.test('GC running alongside pushes never deletes a blob a pushed manifest references', async (t) => {
  const { store } = await openTestStore(t);
  const HOUR = 60 * 60 * 1000;
  const WORKERS = 6;
  const IMAGES = 6;
  const shared = layer('gc-race-shared');
  // Blobs uploaded two hours ago whose manifests arrive only now: GC may collect any of them
  // before its manifest is pushed (then the push is refused), never after it was accepted.
  const late = Array.from({ length: WORKERS * IMAGES }, (_, i) => buildImage(`late-${i}`, [shared]));
  for (const image of late) for (const blob of [image.config, ...image.layers]) await putBlob(store, R, blob);
  const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
  for (const blob of await store.blobs.list(R)) await utimes(blob.path, twoHoursAgo, twoHoursAgo);

  const accepted: { tag: string; manifest: Content; blobs: Content[] }[] = [];
  const refused: string[] = [];
  let done = false;
  let gcRuns = 0;
  const gcLoop = (async () => {
    for (let i = 0; i < 1000 && !done; i++) {
      await store.collectGarbage({ graceMs: HOUR, deleteUntagged: true });
      gcRuns += 1;
    }
  })();
  const lateWorkers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; i < IMAGES; i++) {
      const image = late[w * IMAGES + i] as StoredImage;
      const tag = `late-${w}-${i}`;
      try {
        await putManifest(store, R, tag, image.manifest);
        accepted.push({ tag, manifest: image.manifest, blobs: [image.config, ...image.layers] });
      } catch (error) {
        refused.push(isStoreError(error) ? error.kind : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  });
  // Meanwhile other clients push whole images (fresh blobs, then the manifest): all must succeed.
  const freshWorkers = Array.from({ length: 3 }, async (_, w) => {
    for (let i = 0; i < 4; i++) {
      const image = await putImage(store, R, `fresh-${w}-${i}`, buildImage(`fresh-${w}-${i}`, [shared]));
      accepted.push({ tag: `fresh-${w}-${i}`, manifest: image.manifest, blobs: [image.config, ...image.layers] });
    }
  });
  await Promise.all([...lateWorkers, ...freshWorkers]);
  done = true;
  await gcLoop;
  t.ok(gcRuns >= 2, `GC ran ${gcRuns} times during the pushes`);
  t.equal(accepted.length + refused.length, WORKERS * IMAGES + 12, `${accepted.length} accepted, ${refused.length} refused`);
  t.same(refused.filter((kind) => kind !== 'MANIFEST_BLOB_UNKNOWN'), [], 'a refused push is only ever MANIFEST_BLOB_UNKNOWN');
  await store.collectGarbage({ graceMs: HOUR, deleteUntagged: true });
  await store.collectGarbage({ graceMs: 0, deleteUntagged: true, now: Date.now() + 10 * HOUR });
  const missing: string[] = [];
  for (const { tag, manifest, blobs } of accepted) {
    if ((await store.manifests.get(R, tag)).digest !== manifest.digest) missing.push(`${tag} moved`);
    for (const blob of blobs) if (!(await store.blobs.has(R, blob.digest))) missing.push(`${tag}: ${blob.digest}`);
  }
  t.same(missing, [], 'every accepted manifest keeps all its blobs, through every GC');
  t.same(await store.manifests.tags(R), accepted.map((p) => p.tag).sort(), 'every accepted push is tagged');
  t.same(await inconsistencies(store, R), [], 'every manifest complete after the final GC');
});

t.test('GC with a grace period alongside pushes over HTTP: every push succeeds and stays', async (t) => {
  const registry = await startTestRegistry(t, { gcGraceMs: 60 * 60 * 1000, gcDeleteUntagged: true });
  let done = false;
  const gcLoop = (async () => {
    for (let i = 0; i < 200 && !done; i++) {
      const reply = await call(registry.url, 'POST', '/_touchstone/gc');
      if (reply.status !== 200) throw new Error(`gc: ${reply.status}`);
    }
  })();
  const tags = Array.from({ length: 12 }, (_, i) => `h${i}`);
  const images = await Promise.all(
    tags.map(async (tag) => {
      const image = buildImage(`http-race-${tag}`);
      for (const blob of [image.config, ...image.layers]) await pushBlob(registry.url, R, blob);
      await pushManifest(registry.url, R, tag, image.manifest);
      return image;
    }),
  );
  done = true;
  await gcLoop;
  t.same(await registry.store.manifests.tags(R), [...tags].sort(), 'all tags present');
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) t.ok(await registry.store.blobs.has(R, blob.digest), `blob ${blob.digest.slice(7, 19)} kept`);
  }
});

t.test('two concurrent PATCHes to one session are serialized', async (t) => {
  const { store } = await openTestStore(t);
  // Streamed chunks (no range): both are appended, one after the other, never interleaved.
  const id = await store.uploads.create(R);
  const [a, b] = await Promise.all([
    store.uploads.append(R, id, slowBody('A', 20), {}),
    store.uploads.append(R, id, slowBody('B', 20), {}),
  ]);
  t.same([a, b].sort((x, y) => x - y), [20, 40], 'one saw 20 bytes, the other 40');
  const data = await readFile(`${store.layout.uploadsDir}/${id}/data`, 'utf8');
  t.ok(data === 'A'.repeat(20) + 'B'.repeat(20) || data === 'B'.repeat(20) + 'A'.repeat(20), `not interleaved: ${data}`);
  t.equal(await store.uploads.finish(R, id, sha256(Buffer.from(data))), 40, 'the running hash matches the serialized order');

  // Ranged chunks that both claim offset 0: one wins, the other is out of order.
  const ranged = await store.uploads.create(R);
  const results = await Promise.allSettled([
    store.uploads.append(R, ranged, slowBody('x', 10), { start: 0, end: 9, length: 10 }),
    store.uploads.append(R, ranged, slowBody('y', 10), { start: 0, end: 9, length: 10 }),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.equal(won.length, 1, 'one chunk accepted');
  t.equal(lost.length, 1, 'one refused');
  t.ok(isStoreError(lost[0]?.reason, 'UPLOAD_OUT_OF_ORDER'), 'refused as out of order');
  t.same((lost[0]?.reason as { detail?: unknown }).detail, { size: 10 }, 'told to resume at 10');
  t.equal(await store.uploads.size(R, ranged), 10, 'the session holds exactly one chunk');

  // A finish racing an append waits for it.
  const racing = await store.uploads.create(R);
  const appended = store.uploads.append(R, racing, slowBody('z', 10), {});
  const finished = store.uploads.finish(R, racing, sha256(Buffer.from('z'.repeat(10))));
  t.equal(await appended, 10, 'append done');
  t.equal(await finished, 10, 'finish saw the whole append');
  await rejectsKind(t, store.uploads.size(R, racing), 'UPLOAD_UNKNOWN', 'the session is closed');
});

t.test('two concurrent PATCHes to one session over HTTP: one 202, one 416', async (t) => {
  const registry = await startTestRegistry(t);
  const opened = await call(registry.url, 'POST', `/v2/${R}/blobs/uploads/`);
  t.equal(opened.status, 202);
  const location = opened.header('location') ?? '';
  const chunk = (fill: string) => ({
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-4095', 'Content-Length': '4096' },
    body: Buffer.alloc(4096, fill),
  });
  const replies = await Promise.all([call(registry.url, 'PATCH', location, chunk('p')), call(registry.url, 'PATCH', location, chunk('q'))]);
  t.same(replies.map((r) => r.status).sort(), [202, 416], 'one accepted, one out of order');
  const refused = replies.find((r) => r.status === 416);
  t.equal(refused?.header('range'), '0-4095', 'the 416 says where the session stands');
  const winner = replies.find((r) => r.status === 202);
  t.equal(winner?.header('range'), '0-4095', 'the 202 reports the chunk');
  const status = await call(registry.url, 'GET', location);
  t.equal(status.header('range'), '0-4095', 'the session holds exactly one chunk');
  const data = await readFile(`${registry.store.layout.uploadsDir}/${location.split('/').pop() ?? ''}/data`);
  t.ok(data.equals(Buffer.alloc(4096, 'p')) || data.equals(Buffer.alloc(4096, 'q')), 'the data is one chunk, not a mix');
  const blob = content(data);
  const put = await call(registry.url, 'PUT', `${location}?digest=${blob.digest}`);
  t.equal(put.status, 201, 'the session closes with the digest of the winning chunk');
});
