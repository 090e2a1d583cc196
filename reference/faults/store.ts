/**
 * Store faults: decorators of one ImageStore's operations. Each fault wraps the operation it
 * corrupts (`around`), asks the fault set at the moment it acts, and otherwise calls the real
 * operation untouched — so with every fault off the registry behaves exactly as without this
 * layer. Where a fault needs the store to have done something it refuses to do (keep a digest it
 * did not verify, lose a concurrent update), the decorator lets the real operation run and then
 * edits index.json or the blobs the way the buggy registry would have.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { isStoreError } from '../store/errors.ts';
import { digestFile, digestOf, parseDigest, type ParsedDigest } from '../store/digest.ts';
import { tagOf, withManifest } from '../store/manifests.ts';
import type { ChunkRange } from '../store/uploads.ts';
import type { Descriptor, ImageIndex } from '../store/layout.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { FaultSet } from './catalog.ts';
import { around } from './around.ts';

export function injectStoreFaults(store: ImageStore, faults: FaultSet): void {
  blobFaults(store, faults);
  uploadFaults(store, faults);
  manifestFaults(store, faults);
  deleteFaults(store, faults);
}

function blobFaults(store: ImageStore, faults: FaultSet): void {
  const { blobs, layout } = store;
  around(blobs, 'stat', (stat) => async (name, digest) => {
    try {
      return await stat(name, digest);
    } catch (error) {
      if (!faults.has('blob-cross-repo') || !isStoreError(error, 'BLOB_UNKNOWN')) throw error;
      for (const other of await layout.listRepositories()) {
        const found = other === name ? undefined : await stat(other, digest).catch(() => undefined);
        if (found) return found;
      }
      throw error;
    }
  });
  around(blobs, 'mount', (mount) => async (from, to, digest) =>
    faults.has('mount-without-blob') && (await blobs.has(from, digest)) ? true : mount(from, to, digest));
}

function uploadFaults(store: ImageStore, faults: FaultSet): void {
  const { uploads } = store;
  /** chunk-out-of-order-accepted: the chunk goes at the end whatever its Content-Range says. */
  const atEnd = async (name: string, id: string, range: ChunkRange): Promise<ChunkRange> => {
    if (!faults.has('chunk-out-of-order-accepted') || range.start === undefined) return range;
    const size = await uploads.size(name, id);
    const end = range.end === undefined ? undefined : size + (range.end - range.start);
    return { ...range, start: size, end };
  };
  around(uploads, 'append', (append) => async (name, id, body, range) => append(name, id, body, await atEnd(name, id, range)));
  around(uploads, 'finish', (finish) => async (name, id, digest, body, range = {}) => {
    if (body && faults.has('put-last-chunk-ignored')) {
      body.resume();
      return finish(name, id, digest);
    }
    if (!faults.has('upload-digest-not-verified')) return finish(name, id, digest, body, await atEnd(name, id, range));
    await uploads.size(name, id); // UPLOAD_UNKNOWN for a session that is not there, as the registry answers
    if (body) await uploads.append(name, id, body, range);
    const claimed = parseDigest(digest);
    const actual = await digestFile(store.layout.uploadData(id), claimed.algorithm);
    const size = await finish(name, id, actual);
    if (actual !== digest) await copyBlob(store, name, parseDigest(actual), claimed);
    return size;
  });
  around(uploads, 'putWhole', (putWhole) => async (name, digest, body: Readable) => {
    if (!faults.has('upload-digest-not-verified')) return putWhole(name, digest, body);
    const id = await uploads.create(name, parseDigest(digest).algorithm);
    await uploads.append(name, id, body, {});
    return uploads.finish(name, id, digest);
  });
  around(uploads, 'cancel', (cancel) => async (name, id) => {
    if (!faults.has('cancelled-upload-accepts-data')) return cancel(name, id);
    await uploads.size(name, id); // answers as a cancel would (404 for an unknown session) and keeps the session
  });
}

/** upload-digest-not-verified: the content also becomes available under the digest the client claimed. */
async function copyBlob(store: ImageStore, name: string, from: ParsedDigest, to: ParsedDigest): Promise<void> {
  const temp = join(store.layout.uploadsDir, `.fault-${randomUUID()}`);
  await copyFile(store.layout.blobPath(name, from), temp);
  await store.blobs.commit(name, to, temp);
}

function manifestFaults(store: ImageStore, faults: FaultSet): void {
  const { manifests, layout } = store;
  around(manifests, 'put', (put) => async (name, reference, contentType, body, extraTags = []) => {
    if (!faults.has('manifest-digest-not-verified') || !reference.includes(':')) return put(name, reference, contentType, body, extraTags);
    const claimed = parseDigest(reference);
    const actual = digestOf(claimed.algorithm, body);
    if (actual === claimed.digest) return put(name, reference, contentType, body, extraTags);
    const result = await put(name, actual, contentType, body, extraTags);
    await editIndex(store, name, async (index) => {
      await store.blobs.write(name, claimed, body);
      return index.manifests.map((m) => (m.digest === actual ? { ...m, digest: claimed.digest } : m));
    });
    return { ...result, digest: claimed.digest };
  });
  around(manifests, 'put', (put) => async (name, reference, contentType, body, extraTags = []) => {
    if (!faults.has('tag-move-drops-old-manifest')) return put(name, reference, contentType, body, extraTags);
    const tags = reference.includes(':') ? extraTags : [reference, ...extraTags];
    const before = await Promise.all(tags.map((tag) => manifests.resolve(name, tag).then((m) => m.digest, () => undefined)));
    const result = await put(name, reference, contentType, body, extraTags);
    const displaced = new Set(before.filter((d) => d !== undefined && d !== result.digest));
    // A manifest a tag moved away from is left as an untagged entry: the buggy registry drops it.
    if (displaced.size > 0) await editIndex(store, name, async (index) => index.manifests.filter((m) => !(displaced.has(m.digest) && tagOf(m) === undefined)));
    return result;
  });
  around(manifests, 'put', (put) => async (name, reference, contentType, body, extraTags = []) => {
    if (!faults.has('lost-tag-updates')) return put(name, reference, contentType, body, extraTags);
    // Read index.json, dawdle, write it back from the stale copy without the lock.
    const stale = (await layout.readIndex(name).catch(() => undefined))?.manifests ?? [];
    await sleep(5);
    const result = await put(name, reference, contentType, body, extraTags);
    const now = await layout.readIndex(name);
    const stored = now?.manifests.find((m) => m.digest === result.digest);
    const entry: Descriptor = { mediaType: stored?.mediaType ?? contentType ?? '', digest: result.digest, size: body.length };
    if (now) await layout.writeIndex(name, withManifest({ ...now, manifests: stale }, entry, result.tags));
    return result;
  });
}

function deleteFaults(store: ImageStore, faults: FaultSet): void {
  const { manifests, layout } = store;
  around(manifests, 'delete', (del) => async (name, reference) => {
    if (!faults.has('delete-tag-deletes-manifest') || reference.includes(':')) return del(name, reference);
    return del(name, (await manifests.resolve(name, reference)).digest);
  });
  around(manifests, 'delete', (del) => async (name, reference) => {
    if (!faults.has('delete-manifest-leaves-tags') || !reference.includes(':')) return del(name, reference);
    const before = (await layout.readIndex(name).catch(() => undefined))?.manifests ?? [];
    await del(name, reference);
    // Only the first index.json entry of the digest goes; its other tags stay behind.
    const survivors = before.filter((m) => m.digest === reference).slice(1);
    if (survivors.length > 0) await editIndex(store, name, async (index) => [...index.manifests, ...survivors]);
  });
}

/** Rewrites the repository's index.json under its lock. */
async function editIndex(store: ImageStore, name: string, edit: (index: ImageIndex) => Promise<Descriptor[]>): Promise<void> {
  await store.exclusive(name, async () => {
    const index = await store.layout.readIndex(name);
    if (index) await store.layout.writeIndex(name, { ...index, manifests: await edit(index) });
  });
}
