/**
 * Garbage collection faults. `gc-no-grace` and `gc-purges-uploads` change what the real collector
 * is told or do more after it. The marking faults (`gc-shared-layers`,
 * `gc-untagged-index-children`, `gc-drops-referrers`) need a collector that marks wrongly: before
 * the real one runs, this module sweeps every repository with the marking rules of the buggy
 * registries — never following an index's children under untagged deletion (Distribution 2.8.2,
 * docs/deviations.md#cncf-distribution-282), never keeping referrers of live images, or counting
 * references by manifest so that a collected manifest takes its layers along even when another
 * image shares them. The real collector then finds whatever is left to collect.
 */
import { unlink } from 'node:fs/promises';
import { tagOf } from '../store/manifests.ts';
import type { GcOptions, GcReport } from '../store/gc.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { FaultSet } from './catalog.ts';
import { around } from './around.ts';

export function injectGcFaults(store: ImageStore, faults: FaultSet): void {
  around(store, 'collectGarbage', (collect) => async (options) => {
    // gc-no-grace: nothing counts as young, however fresh (an infinite cutoff, not `now`: a file's
    // mtime comes from the kernel's coarse clock and can read a hair ahead of Date.now()).
    const effective: GcOptions = faults.has('gc-no-grace') ? { ...options, graceMs: -Infinity } : options;
    const early = await markWrongly(store, faults, effective);
    const report = await collect(effective);
    if (faults.has('gc-purges-uploads')) {
      for (const file of await store.uploads.listFiles()) if (await store.uploads.expire(file, Infinity)) report.uploadsRemoved += 1;
    }
    if (early) {
      report.manifestsRemoved.unshift(...early.manifestsRemoved);
      report.blobsRemoved.unshift(...early.blobsRemoved);
      report.bytesFreed += early.bytesFreed;
    }
    return report;
  });
}

/** The sweep of the buggy collectors, when one of their faults is on. */
async function markWrongly(store: ImageStore, faults: FaultSet, options: GcOptions): Promise<GcReport | undefined> {
  const followChildren = !(options.deleteUntagged && faults.has('gc-untagged-index-children'));
  const keepReferrers = !faults.has('gc-drops-referrers');
  const countByManifest = faults.has('gc-shared-layers');
  if (followChildren && keepReferrers && !countByManifest) return undefined;
  const cutoff = (options.now ?? Date.now()) - options.graceMs;
  const report: GcReport = { repositories: 0, manifestsRemoved: [], blobsRemoved: [], uploadsRemoved: 0, temporaryRemoved: 0, bytesFreed: 0 };
  const { layout, blobs, manifests } = store;
  for (const name of await layout.listRepositories()) {
    await store.exclusive(name, async () => {
      const index = await layout.readIndex(name);
      if (!index) return;
      const stored = await blobs.list(name);
      const entries = new Map(index.manifests.map((entry) => [entry.digest, entry]));
      const young = new Set(stored.filter((blob) => blob.mtimeMs >= cutoff).map((blob) => blob.digest));
      const live = new Set<string>();
      const liveBlobs = new Set<string>();
      const mark = async (digest: string): Promise<void> => {
        const entry = entries.get(digest);
        if (!entry || live.has(digest)) return;
        live.add(digest);
        liveBlobs.add(digest);
        const summary = await manifests.summary(name, digest, entry.mediaType);
        for (const blob of summary?.blobs ?? []) liveBlobs.add(blob.digest);
        for (const child of followChildren ? (summary?.manifests ?? []) : []) await mark(child.digest);
        if (summary?.subject !== undefined) await mark(summary.subject);
      };
      for (const entry of index.manifests) {
        if (tagOf(entry) !== undefined || !options.deleteUntagged || young.has(entry.digest)) await mark(entry.digest);
      }
      for (let grew = keepReferrers; grew; ) {
        grew = false;
        for (const entry of entries.values()) {
          const subject = live.has(entry.digest) ? undefined : (await manifests.summary(name, entry.digest, entry.mediaType))?.subject;
          if (subject !== undefined && live.has(subject)) {
            await mark(entry.digest);
            grew = true;
          }
        }
      }
      if (countByManifest) {
        // A collected manifest takes every blob it referenced along, shared or not.
        for (const blob of stored) {
          if (liveBlobs.has(blob.digest) || young.has(blob.digest)) continue;
          for (const referenced of (await manifests.summary(name, blob.digest, ''))?.blobs ?? []) liveBlobs.delete(referenced.digest);
        }
      }
      const kept = index.manifests.filter((entry) => live.has(entry.digest));
      if (kept.length !== index.manifests.length) {
        for (const digest of entries.keys()) if (!live.has(digest)) report.manifestsRemoved.push(`${name}@${digest}`);
        await layout.writeIndex(name, { ...index, manifests: kept });
      }
      for (const blob of stored) {
        if (liveBlobs.has(blob.digest) || young.has(blob.digest)) continue;
        if (await unlink(blob.path).then(() => true, () => false)) {
          report.blobsRemoved.push(`${name}@${blob.digest}`);
          report.bytesFreed += blob.size;
        }
      }
    });
  }
  return report;
}
