/**
 * Garbage collection (docs/gc.md). With no grace period and a clock far in the future, GC
 * collects exactly what nothing reaches, and never anything reachable: a tagged image's config
 * and layers, a tagged index's children and grandchildren, layers shared with another image,
 * referrers of a live subject and their blobs. Untagged manifests go only with deleteUntagged.
 * With a grace period, fresh blobs, mounts, manifests and upload sessions stay. A seeded random
 * walk of pushes and deletes checks the invariants against an independent model of reachability.
 */
import t, { type Test } from 'tap';
import { utimesSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ANNOTATION_REF_NAME, OCI_INDEX, OCI_MANIFEST } from '../../../spec/media-types.ts';
import type { ImageStore } from '../../../reference/store/image-store.ts';
import type { GcOptions } from '../../../reference/store/gc.ts';
import { Pins } from '../../../reference/store/pins.ts';
import { artifact, content, descriptor, emptyConfig, imageManifest, indexManifest, layer, type Content } from '../../helpers/oci.ts';
import { body, buildImage, entriesOf, inconsistencies, openTestStore, putBlob, putImage, putManifest, rejectsKind, type StoredImage } from '../../helpers/store.ts';

const R = 'gc/repo';
const HOUR = 60 * 60 * 1000;
/** A clock ten years ahead: with no grace, everything stored is old. */
const FUTURE = Date.now() + 10 * 365 * 24 * HOUR;
const EAGER: GcOptions = { graceMs: 0, deleteUntagged: false, now: FUTURE };
const EAGER_UNTAGGED: GcOptions = { graceMs: 0, deleteUntagged: true, now: FUTURE };

/** Sets a file's mtime `ms` into the past. */
async function age(path: string, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(path, then, then);
}

async function blobPath(store: ImageStore, name: string, digest: string): Promise<string> {
  return (await store.statBlob(name, digest)).path;
}

async function assertImageIntact(t: Test, store: ImageStore, name: string, image: StoredImage, what: string): Promise<void> {
  t.same((await store.manifests.get(name, image.manifest.digest)).body, image.manifest.bytes, `${what}: manifest fetchable`);
  for (const blob of [image.config, ...image.layers]) t.ok(await store.blobs.has(name, blob.digest), `${what}: blob ${blob.digest.slice(7, 19)} kept`);
}

t.test('unreferenced blobs are collected, nothing of a tagged image is', async (t) => {
  const { store } = await openTestStore(t);
  const image = await putImage(store, R, 'v1', buildImage('kept'));
  const loose = [content('loose one'), content('loose two, a bit longer')];
  for (const blob of loose) await putBlob(store, R, blob);
  await putBlob(store, 'gc/other', loose[0] as Content);

  const report = await store.collectGarbage(EAGER);
  t.equal(report.repositories, 2, 'both repositories visited');
  t.same(report.blobsRemoved.sort(), [`gc/other@${loose[0]?.digest}`, ...loose.map((b) => `${R}@${b.digest}`)].sort(), 'exactly the loose blobs');
  t.equal(report.bytesFreed, 2 * (loose[0]?.size ?? 0) + (loose[1]?.size ?? 0), 'bytes freed');
  t.same(report.manifestsRemoved, [], 'no manifest removed');
  for (const blob of loose) t.notOk(await store.blobs.has(R, blob.digest), `loose ${blob.digest.slice(7, 19)} gone`);
  await assertImageIntact(t, store, R, image, 'tagged image');
  t.same(await store.manifests.tags(R), ['v1'], 'tag kept');

  const again = await store.collectGarbage(EAGER_UNTAGGED);
  t.same([again.blobsRemoved, again.manifestsRemoved, again.bytesFreed], [[], [], 0], 'a second run finds nothing');
  t.same((await store.scrub()).problems, [], 'scrub is clean');
});

t.test('a tagged index keeps its children and a nested index its grandchildren', async (t) => {
  const { store } = await openTestStore(t);
  const a = await putImage(store, R, undefined, buildImage('child-a'));
  const b = await putImage(store, R, undefined, buildImage('grandchild-b'));
  const c = await putImage(store, R, undefined, buildImage('grandchild-c'));
  const inner = indexManifest([b.manifest, c.manifest]);
  await putManifest(store, R, inner.digest, inner);
  const outer = indexManifest([a.manifest, inner]);
  await putManifest(store, R, 'multi', outer);
  const orphan = await putImage(store, R, undefined, buildImage('orphan'));

  const report = await store.collectGarbage(EAGER_UNTAGGED);
  t.same(report.manifestsRemoved, [`${R}@${orphan.manifest.digest}`], 'only the orphan manifest goes');
  for (const [image, what] of [[a, 'child'], [b, 'grandchild b'], [c, 'grandchild c']] as const) await assertImageIntact(t, store, R, image, what);
  t.same((await store.manifests.get(R, inner.digest)).body, inner.bytes, 'the nested index stays');
  t.same((await store.manifests.get(R, 'multi')).body, outer.bytes, 'the tagged index stays');
  await rejectsKind(t, store.manifests.get(R, orphan.manifest.digest), 'MANIFEST_UNKNOWN', 'the orphan is gone');
  for (const blob of [orphan.config, ...orphan.layers, orphan.manifest]) t.notOk(await store.blobs.has(R, blob.digest), `orphan blob ${blob.digest.slice(7, 19)} collected`);
  t.same(await inconsistencies(store, R), [], 'everything listed is complete');

  // Untagging the index makes the whole tree collectable.
  await store.manifests.delete(R, 'multi');
  const second = await store.collectGarbage(EAGER_UNTAGGED);
  t.same(second.manifestsRemoved.sort(), [a, b, c].map((i) => `${R}@${i.manifest.digest}`).concat([`${R}@${inner.digest}`, `${R}@${outer.digest}`]).sort(), 'the untagged tree goes');
  t.same(await store.blobs.list(R), [], 'no blob left');
  t.same((await store.layout.readIndex(R))?.manifests, [], 'index.json empty');
});

t.test('layers shared with another image survive the deletion of one image', async (t) => {
  const { store } = await openTestStore(t);
  const shared = layer('shared');
  const a = await putImage(store, R, 'a', buildImage('share-a', [shared]));
  const b = await putImage(store, R, 'b', buildImage('share-b', [shared]));
  await store.manifests.delete(R, a.manifest.digest);
  const report = await store.collectGarbage(EAGER);
  t.same(
    report.blobsRemoved.sort(),
    [a.manifest, a.config, ...a.layers.filter((l) => l !== shared)].map((blob) => `${R}@${blob.digest}`).sort(),
    'a\'s manifest, config and own layers go',
  );
  t.ok(await store.blobs.has(R, shared.digest), 'the shared layer stays');
  await assertImageIntact(t, store, R, b, 'image b');
  // Blobs are per repository: the same layer unreferenced elsewhere is collected there only.
  await putBlob(store, 'gc/other', shared);
  const other = await store.collectGarbage(EAGER);
  t.same(other.blobsRemoved, [`gc/other@${shared.digest}`], 'collected in the repository that does not use it');
  t.ok(await store.blobs.has(R, shared.digest), 'kept where it is used');
});

t.test('one body pushed as an image in one repository and as an index in another keeps both meanings', async (t) => {
  // Without a mediaType field the Content-Type decides what a body is; the parse cache must not
  // let one repository's reading of the digest decide what GC keeps in the other.
  const { store } = await openTestStore(t);
  const image = buildImage('ambiguous');
  const child = buildImage('ambiguous-child');
  await putImage(store, 'gc/d2', 'child', child);
  const bytes = JSON.stringify({
    schemaVersion: 2,
    config: descriptor(image.config),
    layers: image.layers.map((l) => descriptor(l)),
    manifests: [descriptor(child.manifest)],
  });
  for (const blob of [image.config, ...image.layers]) await putBlob(store, 'gc/d1', blob);
  await store.manifests.put('gc/d1', 'tag', OCI_MANIFEST, Buffer.from(bytes));
  await store.manifests.put('gc/d2', 'tag', OCI_INDEX, Buffer.from(bytes));
  await store.manifests.delete('gc/d2', 'child');
  await store.collectGarbage(EAGER_UNTAGGED);
  for (const blob of [image.config, ...image.layers]) t.ok(await store.blobs.has('gc/d1', blob.digest), `the image's blob ${blob.digest.slice(7, 19)} stays in gc/d1`);
  t.same((await store.manifests.get('gc/d2', child.manifest.digest)).body, child.manifest.bytes, 'the index\'s untagged child stays in gc/d2');
});

t.test('referrers of a live subject stay with their blobs; referrers of a dead one go', async (t) => {
  const { store } = await openTestStore(t);
  const subject = await putImage(store, R, 'app', buildImage('subject'));
  await putBlob(store, R, emptyConfig);
  const payload = content('signature payload', 'application/vnd.example.sig.payload');
  await putBlob(store, R, payload);
  const sig = artifact(subject.manifest, 'application/vnd.example.sig');
  const sigWithPayload = imageManifest(emptyConfig, [payload], { artifactType: 'application/vnd.example.sig', subject: descriptor(subject.manifest) });
  await putManifest(store, R, sig.digest, sig);
  await putManifest(store, R, sigWithPayload.digest, sigWithPayload);
  // A referrer of a referrer (a signature of the SBOM) stays too.
  const sbom = artifact(subject.manifest, 'application/vnd.example.sbom');
  const sbomSig = artifact(sbom, 'application/vnd.example.sig');
  await putManifest(store, R, sbomSig.digest, sbomSig); // subject not pushed yet
  await putManifest(store, R, sbom.digest, sbom);
  // A tagged referrer keeps its subject alive.
  const lonely = await putImage(store, R, undefined, buildImage('lonely-subject'));
  const tagged = artifact(lonely.manifest, 'application/vnd.example.note');
  await putManifest(store, R, 'note', tagged);
  // Referrers of a subject that is not live go with it.
  const dead = await putImage(store, R, undefined, buildImage('dead-subject'));
  const deadSig = artifact(dead.manifest, 'application/vnd.example.sig');
  await putManifest(store, R, deadSig.digest, deadSig);
  const ghostSig = artifact(buildImage('never-pushed').manifest, 'application/vnd.example.sig');
  await putManifest(store, R, ghostSig.digest, ghostSig);

  const kept = await store.collectGarbage(EAGER);
  t.same([kept.manifestsRemoved, kept.blobsRemoved], [[], []], 'without deleteUntagged nothing goes');

  const report = await store.collectGarbage(EAGER_UNTAGGED);
  t.same(report.manifestsRemoved.sort(), [dead.manifest, deadSig, ghostSig].map((m) => `${R}@${m.digest}`).sort(), 'the dead subject and the orphan referrers go');
  for (const m of [sig, sigWithPayload, sbom, sbomSig, tagged]) t.ok(await store.manifests.resolve(R, m.digest), `referrer ${m.digest.slice(7, 19)} kept`);
  await assertImageIntact(t, store, R, lonely, 'the subject of a tagged referrer');
  for (const blob of [payload, emptyConfig]) t.ok(await store.blobs.has(R, blob.digest), `referrer blob ${blob.mediaType} kept`);
  t.same(
    (await store.manifests.referrers(R, subject.manifest.digest)).map((d) => d.digest).sort(),
    [sig.digest, sigWithPayload.digest, sbom.digest].sort(),
    'the referrers API still lists them',
  );
  t.same(await inconsistencies(store, R), [], 'consistent');
  t.same((await store.scrub()).problems, [], 'scrub clean');
});

t.test('untagged manifests: kept without deleteUntagged, collected with it', async (t) => {
  const { store } = await openTestStore(t);
  const old = await putImage(store, R, 'latest', buildImage('old'));
  const current = await putImage(store, R, 'latest', buildImage('current')); // old is untagged now
  const byDigest = await putImage(store, R, undefined, buildImage('by-digest'));

  const keep = await store.collectGarbage(EAGER);
  t.same([keep.manifestsRemoved, keep.blobsRemoved], [[], []], 'without deleteUntagged untagged manifests stay');
  await assertImageIntact(t, store, R, old, 'untagged old image');
  await assertImageIntact(t, store, R, byDigest, 'image pushed by digest');

  const report = await store.collectGarbage(EAGER_UNTAGGED);
  t.same(report.manifestsRemoved.sort(), [old, byDigest].map((i) => `${R}@${i.manifest.digest}`).sort(), 'both untagged manifests removed');
  t.same(
    report.blobsRemoved.sort(),
    [old, byDigest].flatMap((i) => [i.manifest, i.config, ...i.layers]).map((b) => `${R}@${b.digest}`).sort(),
    'with their manifest blobs, configs and layers',
  );
  t.same((await store.layout.readIndex(R))?.manifests.map((m) => [m.digest, m.annotations?.[ANNOTATION_REF_NAME]]), [[current.manifest.digest, 'latest']], 'index.json lists only the tagged one');
  await assertImageIntact(t, store, R, current, 'tagged image');
});

t.test('grace period: fresh blobs, mounts and manifests survive, old ones do not', async (t) => {
  const { store } = await openTestStore(t);
  const GRACE: GcOptions = { graceMs: HOUR, deleteUntagged: true };
  // Uploaded (finished) but not referenced yet: the client is about to push its manifest.
  const fresh = content('uploaded a moment ago');
  await putBlob(store, R, fresh);
  // A session whose data was written long ago and is only now finished: fresh from the commit.
  const slow = content('slow upload finished now');
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body(slow.bytes), {});
  await age(join(store.layout.uploadsDir, id, 'data'), 2 * HOUR);
  await store.uploads.finish(R, id, slow.digest);
  // An old unreferenced blob: the control, collected.
  const stale = content('unreferenced for two hours');
  await putBlob(store, R, stale);
  await age(await blobPath(store, R, stale.digest), 2 * HOUR);
  // A blob old in its source repository, mounted just now: fresh in the target.
  const mounted = content('mounted just now');
  await putBlob(store, 'gc/source', mounted);
  await age(await blobPath(store, 'gc/source', mounted.digest), 2 * HOUR);
  t.ok(await store.mountBlob(R, mounted.digest, 'gc/source'), 'mounted from gc/source');
  // Mounting a blob the target already holds (old) refreshes it too.
  const remounted = content('mounted again');
  await putBlob(store, 'gc/source', remounted);
  await putBlob(store, R, remounted);
  await age(await blobPath(store, R, remounted.digest), 2 * HOUR);
  t.ok(await store.mountBlob(R, remounted.digest, undefined), 'mounted by automatic discovery');
  // An untagged manifest pushed a moment ago (say, an index child whose index comes next).
  const child = await putImage(store, R, undefined, buildImage('fresh-child'));
  for (const blob of [child.config, ...child.layers]) await age(await blobPath(store, R, blob.digest), 2 * HOUR);

  const report = await store.collectGarbage(GRACE);
  t.same(report.blobsRemoved, [`${R}@${stale.digest}`], 'only the stale blob is collected');
  t.same(report.manifestsRemoved, [], 'the fresh untagged manifest stays');
  for (const blob of [fresh, slow, mounted, remounted]) t.ok(await store.blobs.has(R, blob.digest), `${blob.bytes.toString()}: kept`);
  await assertImageIntact(t, store, R, child, 'fresh untagged manifest and its (old) blobs');

  // The client pushes its manifest now, referencing the blobs that survived.
  const image = imageManifest(fresh, [slow, mounted, remounted]);
  await putManifest(store, R, 'pushed-after-gc', image);
  t.same(await inconsistencies(store, R), [], 'the late manifest is complete');

  // Once the child manifest is older than the grace period, it goes.
  await age(await blobPath(store, R, child.manifest.digest), 2 * HOUR);
  const later = await store.collectGarbage(GRACE);
  t.same(later.manifestsRemoved, [`${R}@${child.manifest.digest}`], 'the old untagged manifest is collected');
});

t.test('a blob that arrives again between the listing and the deletes is kept and never claimed: a push that pins it meanwhile is not refused', async (t) => {
  const { store } = await openTestStore(t);
  const renewed = content('uploaded again between the listing and the deletes');
  const stale = content('old and unreferenced');
  for (const blob of [renewed, stale]) {
    await putBlob(store, R, blob);
    await age(await blobPath(store, R, blob.digest), 2 * HOUR);
  }
  const renewedPath = await blobPath(store, R, renewed.digest);
  // The collection's first marking runs after its listing and before it takes the repository's
  // lock: an upload of the same bytes lands there (its commit renews the file's time).
  const { claim, of } = Pins.prototype;
  const claimed: string[] = [];
  let marks = 0;
  Pins.prototype.of = function (this: Pins, name: string) {
    marks += 1;
    if (marks === 1) utimesSync(renewedPath, new Date(), new Date());
    return of.call(this, name);
  };
  Pins.prototype.claim = function (this: Pins, name: string, digest: string) {
    const taken = claim.call(this, name, digest);
    if (taken) claimed.push(digest);
    return taken;
  };
  t.teardown(() => {
    Object.assign(Pins.prototype, { claim, of });
  });
  const report = await store.collectGarbage({ graceMs: HOUR, deleteUntagged: true });
  t.same(report.blobsRemoved, [`${R}@${stale.digest}`], 'only the old blob is collected');
  t.ok(await store.blobs.has(R, renewed.digest), 'the renewed blob stays');
  // A claim is what tells a push pinning the blob that it is going (MANIFEST_BLOB_UNKNOWN): it
  // must be true of every blob claimed.
  t.same(claimed, [stale.digest], 'only the blob the collection deletes was claimed');
});

t.test('grace period: idle upload sessions and temp files are removed, fresh ones kept', async (t) => {
  const { store, root } = await openTestStore(t);
  const GRACE: GcOptions = { graceMs: HOUR, deleteUntagged: false };
  const idle = await store.uploads.create(R);
  await store.uploads.append(R, idle, body('abandoned'), {});
  await age(join(store.layout.uploadsDir, idle, 'data'), 2 * HOUR);
  const active = await store.uploads.create(R);
  await store.uploads.append(R, active, body('in progress'), {});
  const empty = await store.uploads.create(R); // opened, nothing sent yet
  const staleTemp = join(store.layout.uploadsDir, '.whole-3f2a0c47-8a43-4b7e-9d7e-0a1b2c3d4e5f');
  await writeFile(staleTemp, 'left by a crash');
  await age(staleTemp, 2 * HOUR);
  const freshTemp = join(store.layout.uploadsDir, '.whole-00000000-8a43-4b7e-9d7e-0a1b2c3d4e5f');
  await writeFile(freshTemp, 'being written right now');

  const report = await store.collectGarbage(GRACE);
  t.equal(report.uploadsRemoved, 2, 'the idle session and the stale temp file');
  await rejectsKind(t, store.uploads.size(R, idle), 'UPLOAD_UNKNOWN', 'the idle session is gone');
  t.same((await entriesOf(join(root, '_uploads'))).sort(), [active, empty, '.whole-00000000-8a43-4b7e-9d7e-0a1b2c3d4e5f'].sort(), 'fresh sessions and temp file kept');
  t.equal(await store.uploads.size(R, active), 11, 'the active session is intact');
  const whole = Buffer.from('in progress, finished');
  await store.uploads.append(R, active, body(', finished'), { start: 11 });
  t.equal(await store.uploads.finish(R, active, content(whole).digest), whole.length, 'and can be finished');
  t.equal(await store.uploads.finish(R, empty, content('').digest), 0, 'the empty one too');

  const eager = await store.collectGarbage(EAGER);
  t.equal(eager.uploadsRemoved, 1, 'with no grace and a future clock, the remaining temp file goes');
  t.same(await entriesOf(join(root, '_uploads')), [], '_uploads/ empty');
});

t.test('an empty store and a store with only uploads', async (t) => {
  const { store } = await openTestStore(t);
  t.same(await store.collectGarbage(EAGER_UNTAGGED), { repositories: 0, manifestsRemoved: [], blobsRemoved: [], uploadsRemoved: 0, temporaryRemoved: 0, bytesFreed: 0 }, 'nothing to do');
  await store.uploads.create(R);
  t.same((await store.collectGarbage(EAGER)).uploadsRemoved, 1, 'a session with a future clock is idle');
});

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Parsed {
  blobs: string[];
  children: string[];
  subject: string | undefined;
}

function parse(bytes: Buffer): Parsed {
  const json = JSON.parse(bytes.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string }[]; manifests?: { digest: string }[]; subject?: { digest: string } };
  return {
    blobs: [...(json.config ? [json.config.digest] : []), ...(json.layers ?? []).map((l) => l.digest)],
    children: (json.manifests ?? []).map((m) => m.digest),
    subject: json.subject?.digest,
  };
}

/** The model: what must survive GC, computed from index.json and the manifest bodies alone. */
async function expectedLive(store: ImageStore, name: string, deleteUntagged: boolean): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const index = (await store.layout.readIndex(name))?.manifests ?? [];
  const bodies = new Map<string, Parsed>();
  for (const entry of index) bodies.set(entry.digest, parse((await store.manifests.get(name, entry.digest)).body));
  const manifests = new Set<string>();
  const visit = (digest: string): void => {
    const parsed = bodies.get(digest);
    if (!parsed || manifests.has(digest)) return;
    manifests.add(digest);
    parsed.children.forEach(visit);
    if (parsed.subject) visit(parsed.subject);
  };
  for (const entry of index) if (!deleteUntagged || entry.annotations?.[ANNOTATION_REF_NAME] !== undefined) visit(entry.digest);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [digest, parsed] of bodies) {
      if (!manifests.has(digest) && parsed.subject !== undefined && manifests.has(parsed.subject)) {
        visit(digest);
        grew = true;
      }
    }
  }
  const blobs = new Set<string>(manifests);
  for (const digest of manifests) for (const blob of bodies.get(digest)?.blobs ?? []) blobs.add(blob);
  return { manifests, blobs };
}

t.test('property: after random pushes and deletes, GC keeps exactly what is reachable', async (t) => {
  const SEEDS = 8;
  const STEPS = 30;
  const totals = { kept: 0, manifestsRemoved: 0, blobsRemoved: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { store } = await openTestStore(t);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const names = ['p/one', 'p/two'];
    const tags = ['a', 'b', 'c', 'd'];
    const layerPool = Array.from({ length: 6 }, (_, i) => layer(`pool-${seed}-${i}`));
    const manifestsOf = new Map<string, Content[]>(names.map((n) => [n, []]));
    let counter = 0;
    for (let step = 0; step < STEPS; step++) {
      const name = pick(names);
      const pushed = manifestsOf.get(name) ?? [];
      const roll = random();
      counter += 1;
      if (roll < 0.35) {
        // an image sharing layers from the pool, by tag or by digest
        const image = buildImage(`s${seed}-${counter}`, [pick(layerPool), pick(layerPool)].filter((l, i, all) => all.indexOf(l) === i));
        await putImage(store, name, random() < 0.6 ? pick(tags) : undefined, image);
        pushed.push(image.manifest);
      } else if (roll < 0.5 && pushed.length > 0) {
        // an index of one or two stored manifests
        const present = new Set((await store.layout.readIndex(name))?.manifests.map((m) => m.digest));
        const children = pushed.filter((m) => present.has(m.digest)).slice(-2);
        if (children.length === 0) continue;
        const index = indexManifest(children, { annotations: { n: String(counter) } });
        await putManifest(store, name, random() < 0.5 ? pick(tags) : index.digest, index);
        pushed.push(index);
      } else if (roll < 0.62 && pushed.length > 0) {
        // a referrer of a stored (or deleted) manifest
        await putBlob(store, name, emptyConfig);
        const referrer = artifact(pick(pushed), pick(['application/vnd.x.sig', 'application/vnd.x.sbom']), { n: String(counter) });
        await putManifest(store, name, random() < 0.2 ? pick(tags) : referrer.digest, referrer);
        pushed.push(referrer);
      } else if (roll < 0.75) {
        const current = await store.manifests.tags(name).catch(() => []);
        if (current.length > 0) await store.manifests.delete(name, pick(current));
      } else if (roll < 0.87 && pushed.length > 0) {
        // delete by digest, like a careful client: never a manifest an index still lists
        const index = (await store.layout.readIndex(name))?.manifests ?? [];
        const listedByIndex = new Set<string>();
        for (const entry of index) for (const child of parse((await store.manifests.get(name, entry.digest)).body).children) listedByIndex.add(child);
        const candidates = index.map((m) => m.digest).filter((d) => !listedByIndex.has(d));
        if (candidates.length > 0) await store.manifests.delete(name, pick(candidates));
      } else {
        await putBlob(store, name, content(`loose ${seed}-${counter}`));
      }
      manifestsOf.set(name, pushed);
    }

    const deleteUntagged = seed % 2 === 0;
    const before = new Map<string, { tags: string[]; live: Awaited<ReturnType<typeof expectedLive>> }>();
    for (const name of names) {
      if (!(await store.layout.repoExists(name))) continue;
      t.same(await inconsistencies(store, name), [], `seed ${seed} ${name}: consistent before GC`);
      before.set(name, { tags: await store.manifests.tags(name), live: await expectedLive(store, name, deleteUntagged) });
    }
    const report = await store.collectGarbage({ graceMs: 0, deleteUntagged, now: FUTURE });
    totals.manifestsRemoved += report.manifestsRemoved.length;
    totals.blobsRemoved += report.blobsRemoved.length;
    for (const [name, { tags: tagsBefore, live }] of before) {
      const label = `seed ${seed} ${name} (deleteUntagged ${deleteUntagged})`;
      t.same(await inconsistencies(store, name), [], `${label}: every listed manifest fetchable, every referenced blob present`);
      t.same(await store.manifests.tags(name), tagsBefore, `${label}: tags unchanged`);
      const listed = (await store.layout.readIndex(name))?.manifests.map((m) => m.digest) ?? [];
      t.same([...new Set(listed)].sort(), [...live.manifests].sort(), `${label}: index.json lists exactly the live manifests`);
      totals.kept += live.manifests.size;
      const stored = (await store.blobs.list(name)).map((b) => b.digest);
      t.same(stored.sort(), [...live.blobs].sort(), `${label}: exactly the live blobs remain`);
      t.same(await store.collectGarbage({ graceMs: 0, deleteUntagged, now: FUTURE }).then((r) => r.blobsRemoved.length + r.manifestsRemoved.length), 0, `${label}: GC is idempotent`);
    }
    t.same((await store.scrub()).problems, [], `seed ${seed}: scrub clean`);
  }
  // The walk is not vacuous: GC had work to do and kept plenty.
  t.ok(totals.kept >= 20, `${totals.kept} manifests kept over all seeds`);
  t.ok(totals.manifestsRemoved >= 3, `${totals.manifestsRemoved} untagged manifests collected over all seeds`);
  t.ok(totals.blobsRemoved >= 10, `${totals.blobsRemoved} blobs collected over all seeds`);
});

t.test('a collection never sweeps the index.json a push is writing, even as if years had passed', async (t) => {
  // A temporary file (index.json's, a manifest's, a single POST's blob) is old to a collection whose
  // clock is ahead (the reference's advanced trigger), or with no grace period: swept while its
  // writer was at work, it vanished before its rename and the push failed (500). Tags and blobs
  // pushed back to back while collections run back to back.
  const { store } = await openTestStore(t);
  const image = await putImage(store, R, 'first', buildImage('tmp-sweep'));
  let pushing = true;
  const collections = (async () => {
    let runs = 0;
    while (pushing && runs < 2000) {
      await store.collectGarbage(EAGER);
      runs += 1;
    }
    return runs;
  })();
  const failures: string[] = [];
  await Promise.all(Array.from({ length: 4 }, async (_, lane) => {
    for (let i = 0; i < 60; i += 1) {
      await store.manifests.put(R, `t${lane}-${i}`, OCI_MANIFEST, image.manifest.bytes).catch((error: Error) => failures.push(error.message));
      // A blob in one request meanwhile: its temp file is as old as the clock ahead says, and in use.
      const blob = layer(`whole ${lane} ${i}`);
      await store.uploads.putWhole(R, blob.digest, body(blob.bytes)).catch((error: Error) => failures.push(error.message));
    }
  }));
  pushing = false;
  t.ok((await collections) > 0, 'collections ran during the pushes');
  t.same(failures, [], 'every push of a tag and of a blob succeeded');
  t.equal((await store.manifests.tags(R)).length, 241, 'every tag is there');
});
