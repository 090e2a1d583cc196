/**
 * Garbage collection, mark and sweep, one repository at a time (docs/gc.md).
 *
 * Mark: the roots are the tagged manifests (and, unless `deleteUntagged`, every manifest in
 * index.json). From each root everything reachable stays: index children and nested indexes,
 * configs, layers, and the subject. Then referrers of live manifests stay, to a fixed point.
 * Sweep: untagged manifests not marked leave index.json; blobs not marked are deleted; upload
 * sessions idle for longer than the grace period are deleted. Anything younger than the grace
 * period is never collected, so GC is safe while clients push blobs for a manifest they have not
 * pushed yet (zot's early code collected after every PUT with no grace: docs/deviations.md). Only the repository being
 * swept is locked, so pushes elsewhere go on (zot #4235 blocked pushes for a whole run).
 */
import { unlink } from 'node:fs/promises';
import { isNotFound } from './errors.ts';
import { tagOf, type ManifestStore } from './manifests.ts';
import type { BlobStore } from './blobs.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { Descriptor, Layout } from './layout.ts';
import type { UploadStore } from './uploads.ts';

export interface GcOptions {
  /** Blobs, manifests and upload sessions younger than this are kept whatever their state. */
  readonly graceMs: number;
  /** Collect manifests that no tag reaches (never an index's child or a live subject's referrer). */
  readonly deleteUntagged: boolean;
  /** The clock, for tests. */
  readonly now?: number;
}

export interface GcReport {
  repositories: number;
  manifestsRemoved: string[];
  blobsRemoved: string[];
  uploadsRemoved: number;
  bytesFreed: number;
}

export class GarbageCollector {
  readonly #layout: Layout;
  readonly #blobs: BlobStore;
  readonly #uploads: UploadStore;
  readonly #manifests: ManifestStore;
  readonly #repoLocks: KeyedMutex;

  constructor(layout: Layout, blobs: BlobStore, uploads: UploadStore, manifests: ManifestStore, repoLocks: KeyedMutex) {
    this.#layout = layout;
    this.#blobs = blobs;
    this.#uploads = uploads;
    this.#manifests = manifests;
    this.#repoLocks = repoLocks;
  }

  async run(options: GcOptions): Promise<GcReport> {
    const now = options.now ?? Date.now();
    const cutoff = now - options.graceMs;
    const report: GcReport = { repositories: 0, manifestsRemoved: [], blobsRemoved: [], uploadsRemoved: 0, bytesFreed: 0 };
    for (const name of await this.#layout.listRepositories()) {
      report.repositories += 1;
      await this.#repoLocks.run(name, () => this.#collect(name, options.deleteUntagged, cutoff, report));
    }
    for (const file of await this.#uploads.listFiles()) {
      if (file.mtimeMs < cutoff && (await this.#uploads.expire(file, cutoff))) report.uploadsRemoved += 1;
    }
    return report;
  }

  async #collect(name: string, deleteUntagged: boolean, cutoff: number, report: GcReport): Promise<void> {
    const index = await this.#layout.readIndex(name);
    if (!index) return;
    const stored = new Map((await this.#blobs.list(name)).map((blob) => [blob.digest, blob]));
    const entries = new Map(index.manifests.map((entry) => [entry.digest, entry]));
    const liveManifests = new Set<string>();
    const liveBlobs = new Set<string>();

    const mark = async (digest: string): Promise<void> => {
      const entry = entries.get(digest);
      if (!entry || liveManifests.has(digest)) return;
      liveManifests.add(digest);
      liveBlobs.add(digest);
      const summary = await this.#manifests.summary(name, digest, entry.mediaType);
      if (!summary) return;
      for (const blob of summary.blobs) liveBlobs.add(blob.digest);
      for (const child of summary.manifests) await mark(child.digest);
      if (summary.subject !== undefined) await mark(summary.subject);
    };

    const isRoot = (entry: Descriptor): boolean =>
      tagOf(entry) !== undefined || !deleteUntagged || (stored.get(entry.digest)?.mtimeMs ?? 0) >= cutoff;
    for (const entry of index.manifests) if (isRoot(entry)) await mark(entry.digest);

    // Referrers of live manifests stay; each round can make new subjects live.
    for (let grew = true; grew; ) {
      grew = false;
      for (const entry of entries.values()) {
        if (liveManifests.has(entry.digest)) continue;
        const subject = (await this.#manifests.summary(name, entry.digest, entry.mediaType))?.subject;
        if (subject !== undefined && liveManifests.has(subject)) {
          await mark(entry.digest);
          grew = true;
        }
      }
    }

    const kept = index.manifests.filter((entry) => liveManifests.has(entry.digest));
    if (kept.length !== index.manifests.length) {
      for (const digest of entries.keys()) if (!liveManifests.has(digest)) report.manifestsRemoved.push(`${name}@${digest}`);
      await this.#layout.writeIndex(name, { ...index, manifests: kept });
    }
    for (const blob of stored.values()) {
      if (liveBlobs.has(blob.digest) || blob.mtimeMs >= cutoff) continue;
      try {
        await unlink(blob.path);
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      report.blobsRemoved.push(`${name}@${blob.digest}`);
      report.bytesFreed += blob.size;
    }
  }
}
