/**
 * The image store: one object over the on-disk layout with the API of zot's early ImageStore —
 * blobs, uploads, manifests, tags, referrers, gc, scrub — without its defects
 * (docs/deviations.md#zots-early-storage-code). It knows nothing of HTTP; reference/http is one front.
 */
import { KeyedMutex } from './keyed-mutex.ts';
import { Layout, validateName } from './layout.ts';
import { BlobStore, type BlobInfo } from './blobs.ts';
import { UploadStore } from './uploads.ts';
import { ManifestStore } from './manifests.ts';
import { GarbageCollector, type GcOptions, type GcReport, type RepositoryPlan } from './gc.ts';
import { Pins } from './pins.ts';
import { scrub, type ScrubReport } from './scrub.ts';
import { StoreError } from './errors.ts';
import { parseDigest } from './digest.ts';

export interface StoreOptions {
  /** Largest blob an upload may make; unlimited by default. */
  readonly maxBlobBytes?: number;
  /** Upload sessions whose running hash is kept in memory (1024 by default); older ones are rehashed from disk. */
  readonly runningHashes?: number;
  /** Descriptors' worth of parsed manifests kept in memory (100,000 by default); others are read from disk again. */
  readonly summaryDescriptors?: number;
}

export class ImageStore {
  readonly layout: Layout;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  readonly #gc: GarbageCollector;
  /** One lock per repository: index.json updates, blob arrivals and GC of that repository. */
  readonly #repoLocks = new KeyedMutex();
  /** What manifest pushes in progress are about to reference: GC keeps it. */
  readonly #pins = new Pins();

  private constructor(root: string, options: StoreOptions) {
    this.layout = new Layout(root);
    this.blobs = new BlobStore(this.layout, this.#repoLocks);
    this.uploads = new UploadStore(this.layout, this.blobs, options.maxBlobBytes, options.runningHashes);
    this.manifests = new ManifestStore(this.layout, this.blobs, this.#repoLocks, this.#pins, options.summaryDescriptors);
    this.#gc = new GarbageCollector(this.layout, this.blobs, this.uploads, this.manifests, this.#repoLocks, this.#pins);
  }

  static async open(root: string, options: StoreOptions = {}): Promise<ImageStore> {
    const store = new ImageStore(root, options);
    await store.layout.init();
    return store;
  }

  /**
   * Cross-repository mount (spec "Mounting a blob from another repository"). With `from`, only
   * that repository is a source; without it, every repository is (automatic content discovery).
   * Returns false when no source holds the blob: the caller falls back to an upload session.
   */
  async mountBlob(name: string, digest: string, from: string | undefined): Promise<boolean> {
    validateName(name);
    parseDigest(digest);
    const sources = from !== undefined ? [from] : await this.layout.listRepositories();
    for (const source of sources) {
      if (source !== name && (await this.blobs.mount(source, name, digest))) return true;
    }
    return from === name && (await this.blobs.has(name, digest));
  }

  /**
   * Deletes a blob unless a manifest of the repository references it (zot's early code deleted
   * blobs still in use: docs/deviations.md#zots-early-storage-code): BLOB_REFERENCED then, and the manifest must go first.
   */
  async deleteBlob(name: string, digest: string): Promise<void> {
    await this.#repoLocks.run(name, async () => {
      const blob = await this.blobs.stat(name, digest);
      const index = await this.layout.readIndex(name);
      for (const entry of index?.manifests ?? []) {
        const summary = entry.digest === digest ? undefined : await this.manifests.summary(name, entry.digest, entry.mediaType);
        const references = entry.digest === digest || summary?.blobs.some((b) => b.digest === digest) || summary?.manifests.some((m) => m.digest === digest);
        if (references) {
          throw new StoreError('BLOB_REFERENCED', `blob ${digest} is referenced by manifest ${entry.digest}`, { digest, manifest: entry.digest });
        }
      }
      await this.blobs.remove(name, blob);
    });
  }

  /**
   * Runs `critical` holding the repository's lock, which index.json updates, blob arrivals and
   * garbage collection of that repository take too. Not reentrant: `critical` must not call a
   * store operation that takes the same lock.
   */
  async exclusive<T>(name: string, critical: () => Promise<T>): Promise<T> {
    return this.#repoLocks.run(name, critical);
  }

  async statBlob(name: string, digest: string): Promise<BlobInfo> {
    return this.blobs.stat(name, digest);
  }

  async collectGarbage(options: GcOptions): Promise<GcReport> {
    return this.#gc.run(options);
  }

  /** What collectGarbage(options) would keep, with the reason, and what it would remove; deletes nothing. */
  async planGarbage(options: GcOptions): Promise<RepositoryPlan[]> {
    return this.#gc.plan(options);
  }

  /**
   * Removes what writes killed mid-way left behind — temporary files inside repositories, layouts
   * built aside, temp files among the upload sessions — whatever their age. For a registry
   * starting on the store (no write of this process is in flight); sessions stay, resumable.
   * Returns how many it removed.
   */
  async recover(): Promise<number> {
    let removed = (await this.layout.sweepTemporary()) + (await this.uploads.sweepTemporary());
    for (const name of await this.layout.listRepositories()) removed += await this.layout.sweepTemporary(name);
    return removed;
  }

  async scrub(): Promise<ScrubReport> {
    return scrub(this.layout, this.blobs, this.manifests);
  }
}
