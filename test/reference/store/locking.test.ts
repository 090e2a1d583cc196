/**
 * What holds a repository's lock, and for how long: a manifest listing 25,000 layers stats each
 * distinct blob once and none under the lock; garbage collection lists and stats the repository's
 * blobs without the lock and takes it only to delete; an upload session that finished between
 * GC's listing and its removal is not counted as collected. The probe: a store operation that
 * finds the repository's lock taken by its own caller cannot get it within a short wait.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageStore } from '../../../reference/store/image-store.ts';
import { OCI_MANIFEST } from '../../../spec/media-types.ts';
import { config, content, descriptor, layer } from '../../helpers/oci.ts';
import { openTestStore, putBlob } from '../../helpers/store.ts';

const R = 'locking/repo';

/** True when the repository's lock is held right now (by whoever called us). */
async function lockHeld(store: ImageStore, name: string): Promise<boolean> {
  let got = false;
  const attempt = store.exclusive(name, async () => {
    got = true;
  });
  await Promise.race([attempt, sleep(30)]);
  return !got;
}

/** Wraps `store.blobs[method]` to count calls and note those made under the repository's lock. */
function probe(store: ImageStore, method: 'stat' | 'list'): { calls: number; underLock: number } {
  const seen = { calls: 0, underLock: 0 };
  const original = store.blobs[method].bind(store.blobs) as (...args: unknown[]) => Promise<unknown>;
  (store.blobs as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    seen.calls += 1;
    if (await lockHeld(store, args[0] as string)) seen.underLock += 1;
    return original(...args);
  };
  return seen;
}

t.test('a manifest listing one layer 25,000 times stats it once, outside the lock', async (t) => {
  const { store } = await openTestStore(t);
  const cfg = config('locking');
  const one = layer('locking');
  await putBlob(store, R, cfg);
  await putBlob(store, R, one);
  const layers = Array.from({ length: 25_000 }, () => descriptor(one));
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(cfg), layers });
  t.ok(body.length > 3_000_000 && body.length < 4 * 1024 * 1024, `a ${body.length}-byte manifest`);
  const stats = probe(store, 'stat');
  await store.manifests.put(R, 'huge', OCI_MANIFEST, Buffer.from(body));
  t.equal(stats.calls, 2, 'each distinct blob stat-ed once (config and layer)');
  t.equal(stats.underLock, 0, 'none of them under the repository lock');
  t.same(await store.manifests.tags(R), ['huge']);
});

t.test('garbage collection scans a repository without its lock, and takes it only to delete', async (t) => {
  const { store } = await openTestStore(t);
  for (let i = 0; i < 5; i++) await putBlob(store, R, content(`loose ${i}`));
  const lists = probe(store, 'list');
  const idle = await store.collectGarbage({ graceMs: 3_600_000, deleteUntagged: false });
  t.equal(idle.blobsRemoved.length, 0, 'nothing old enough to collect');
  t.equal(lists.calls, 1, 'the repository was scanned');
  t.equal(lists.underLock, 0, 'without its lock');
  const report = await store.collectGarbage({ graceMs: 0, deleteUntagged: false, now: Date.now() + 3_600_000 });
  t.equal(report.blobsRemoved.length, 5, 'and collected once they were old');
  t.equal(lists.underLock, 0, 'still scanned without the lock');
});

t.test('an upload session that finished after GC listed it is not counted as collected', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R);
  const listed = await store.uploads.listFiles();
  t.equal(listed.length, 1);
  await store.uploads.cancel(R, id);
  t.notOk(await store.uploads.expire(listed[0] as (typeof listed)[number], Infinity), 'gone on its own: not removed by GC');
  t.equal(await store.uploads.expireIdle(Infinity), 0, 'nothing left to expire');
});
