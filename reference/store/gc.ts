/**
 * Garbage collection, mark and sweep, one repository at a time (docs/gc.md).
 *
 * Mark: the roots are the tagged manifests, every manifest in index.json unless `deleteUntagged`,
 * anything younger than the grace period, and whatever a manifest push in progress is about to
 * reference. From each root everything reachable stays: index children and nested indexes,
 * configs, layers, and the subject; then referrers of live manifests, to a fixed point. Every
 * kept item records why, so a plan can be shown before anything is deleted.
 * Sweep: unmarked manifests leave index.json, unmarked blobs older than the grace period are
 * deleted, upload sessions idle for longer than the grace period go (never one in use).
 *
 * The expensive part — listing and stat'ing every blob, reading manifests — runs without the
 * repository's lock. Only when there is something to delete is the lock taken, and under it GC
 * re-reads index.json, marks again from it (summaries are cached) and re-checks each candidate:
 * time under the lock grows with the garbage, not with the store, and pushes wait on it only that
 * long. Nothing younger than the grace period is collected, so GC is safe while clients upload the
 * blobs of a manifest they have not pushed yet (zot's early code collected after every PUT with
 * no grace: docs/deviations.md#zots-early-storage-code).
 */
import { stat, unlink } from 'node:fs/promises';
import { tagOf, type ManifestStore } from './manifests.ts';
import type { BlobStore, StoredBlob } from './blobs.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { ImageIndex, Layout } from './layout.ts';
import type { UploadStore } from './uploads.ts';
import type { Pins } from './pins.ts';

export interface GcOptions {
  /** Blobs, manifests and upload sessions younger than this are kept whatever their state. */
  readonly graceMs: number;
  /** Collect manifests that no tag reaches (never an index's child or a live subject's referrer). */
  readonly deleteUntagged: boolean;
  /** The clock, for tests and for collecting as if time had passed. */
  readonly now?: number;
}

export interface GcReport {
  repositories: number;
  manifestsRemoved: string[];
  blobsRemoved: string[];
  uploadsRemoved: number;
  /** Temporary files a killed write left inside repositories. */
  temporaryRemoved: number;
  bytesFreed: number;
}

/** Why something stays: the first rule that reached it. */
export type KeepReason =
  | { readonly rule: 'tagged'; readonly tag: string }
  | { readonly rule: 'untagged-kept' }
  | { readonly rule: 'young' }
  | { readonly rule: 'in-use' }
  | { readonly rule: 'child'; readonly of: string }
  | { readonly rule: 'blob'; readonly of: string }
  | { readonly rule: 'subject'; readonly of: string }
  | { readonly rule: 'referrer'; readonly of: string };

export interface PlannedItem {
  readonly digest: string;
  readonly kind: 'manifest' | 'blob';
  readonly size: number;
  /** Undefined: it would be collected. */
  readonly keep: KeepReason | undefined;
}

export interface RepositoryPlan {
  readonly name: string;
  /** Every manifest of index.json and every blob file, each kept with its reason or doomed. */
  readonly items: readonly PlannedItem[];
}

interface Scan {
  readonly index: ImageIndex;
  readonly stored: ReadonlyMap<string, StoredBlob>;
}

export class GarbageCollector {
  readonly #layout: Layout;
  readonly #blobs: BlobStore;
  readonly #uploads: UploadStore;
  readonly #manifests: ManifestStore;
  readonly #repoLocks: KeyedMutex;
  readonly #pins: Pins;

  constructor(layout: Layout, blobs: BlobStore, uploads: UploadStore, manifests: ManifestStore, repoLocks: KeyedMutex, pins: Pins) {
    this.#layout = layout;
    this.#blobs = blobs;
    this.#uploads = uploads;
    this.#manifests = manifests;
    this.#repoLocks = repoLocks;
    this.#pins = pins;
  }

  /** What a collection now would keep (and why) and remove, without the lock and without deleting. */
  async plan(options: GcOptions): Promise<RepositoryPlan[]> {
    const cutoff = (options.now ?? Date.now()) - options.graceMs;
    const plans: RepositoryPlan[] = [];
    for (const name of await this.#layout.listRepositories()) {
      const scan = await this.#scan(name);
      if (!scan) continue;
      const live = await this.#mark(name, scan, options.deleteUntagged, cutoff);
      const manifests = new Map(scan.index.manifests.map((entry) => [entry.digest, entry]));
      const items: PlannedItem[] = [...manifests.values()].map((entry) => ({ digest: entry.digest, kind: 'manifest', size: entry.size, keep: live.get(entry.digest) }));
      for (const blob of scan.stored.values()) {
        if (manifests.has(blob.digest)) continue;
        items.push({ digest: blob.digest, kind: 'blob', size: blob.size, keep: live.get(blob.digest) ?? (blob.mtimeMs >= cutoff ? { rule: 'young' } : undefined) });
      }
      plans.push({ name, items });
    }
    return plans;
  }

  async run(options: GcOptions): Promise<GcReport> {
    const cutoff = (options.now ?? Date.now()) - options.graceMs;
    const report: GcReport = { repositories: 0, manifestsRemoved: [], blobsRemoved: [], uploadsRemoved: 0, temporaryRemoved: 0, bytesFreed: 0 };
    for (const name of await this.#layout.listRepositories()) {
      report.repositories += 1;
      await this.#collect(name, options.deleteUntagged, cutoff, report);
      report.temporaryRemoved += await this.#repoLocks.run(name, () => this.#layout.sweepTemporary(name, cutoff)); // a writer's temp file is never old while it holds the lock
    }
    report.uploadsRemoved = await this.#uploads.expireIdle(cutoff);
    return report;
  }

  async #collect(name: string, deleteUntagged: boolean, cutoff: number, report: GcReport): Promise<void> {
    const scan = await this.#scan(name);
    if (!scan) return;
    const live = await this.#mark(name, scan, deleteUntagged, cutoff);
    const doomed = [...scan.stored.values()].filter((blob) => !live.has(blob.digest) && blob.mtimeMs < cutoff);
    if (doomed.length === 0 && scan.index.manifests.every((entry) => live.has(entry.digest))) return;

    await this.#repoLocks.run(name, async () => {
      // index.json may have changed since the scan: mark again from what it says now. Blobs that
      // arrived since are not candidates; those among the candidates refreshed since (a mount, a
      // new upload of the same content) are young again and stay.
      const index = await this.#layout.readIndex(name);
      if (!index) return;
      const now = await this.#mark(name, { index, stored: scan.stored }, deleteUntagged, cutoff);
      const kept = index.manifests.filter((entry) => now.has(entry.digest));
      if (kept.length !== index.manifests.length) {
        for (const entry of index.manifests) {
          const id = `${name}@${entry.digest}`;
          if (!now.has(entry.digest) && !report.manifestsRemoved.includes(id)) report.manifestsRemoved.push(id);
        }
        await this.#layout.writeIndex(name, { ...index, manifests: kept });
      }
      try {
        for (const blob of doomed) {
          if (now.has(blob.digest)) continue;
          // Arrivals wait for the lock, so what stat says now holds until the unlink; a blob that
          // arrived again since the listing is young and stays, never claimed (a claim tells a
          // push that pins the blob that it is going).
          const current = await stat(blob.path).catch(() => undefined);
          if (!current || current.mtimeMs >= cutoff) continue;
          // A manifest push checking its blobs right now has pinned what it needs: never claimed.
          if (!this.#pins.claim(name, blob.digest)) continue;
          if (!(await unlink(blob.path).then(() => true, () => false))) continue;
          report.blobsRemoved.push(`${name}@${blob.digest}`);
          report.bytesFreed += current.size;
        }
      } finally {
        this.#pins.settle(name);
      }
    });
  }

  /** index.json and every blob file with its size and age, read without the lock. */
  async #scan(name: string): Promise<Scan | undefined> {
    const index = await this.#layout.readIndex(name);
    if (!index) return undefined;
    return { index, stored: new Map((await this.#blobs.list(name)).map((blob) => [blob.digest, blob])) };
  }

  /** Every live manifest and blob digest of the repository, with the reason it stays. */
  async #mark(name: string, scan: Scan, deleteUntagged: boolean, cutoff: number): Promise<Map<string, KeepReason>> {
    const entries = new Map(scan.index.manifests.map((entry) => [entry.digest, entry]));
    const live = new Map<string, KeepReason>();
    const keep = (digest: string, reason: KeepReason): void => {
      if (!live.has(digest)) live.set(digest, reason);
    };
    const mark = async (digest: string, reason: KeepReason): Promise<void> => {
      const entry = entries.get(digest);
      if (!entry || live.has(digest)) return;
      live.set(digest, reason);
      const summary = await this.#manifests.summary(name, digest, entry.mediaType);
      if (!summary) return;
      for (const blob of summary.blobs) keep(blob.digest, { rule: 'blob', of: digest });
      for (const child of summary.manifests) await mark(child.digest, { rule: 'child', of: digest });
      if (summary.subject !== undefined) await mark(summary.subject, { rule: 'subject', of: digest });
    };

    for (const entry of scan.index.manifests) {
      const tag = tagOf(entry);
      // A manifest written after the scan has no known age: young.
      const young = (scan.stored.get(entry.digest)?.mtimeMs ?? Infinity) >= cutoff;
      if (tag !== undefined) await mark(entry.digest, { rule: 'tagged', tag });
      else if (!deleteUntagged) await mark(entry.digest, { rule: 'untagged-kept' });
      else if (young) await mark(entry.digest, { rule: 'young' });
    }
    // Referrers of live manifests stay; each round can make new subjects live.
    for (let grew = true; grew; ) {
      grew = false;
      for (const entry of entries.values()) {
        if (live.has(entry.digest)) continue;
        const subject = (await this.#manifests.summary(name, entry.digest, entry.mediaType))?.subject;
        if (subject === undefined || !live.has(subject)) continue;
        await mark(entry.digest, { rule: 'referrer', of: subject });
        grew = true;
      }
    }
    for (const digest of this.#pins.of(name)) keep(digest, { rule: 'in-use' });
    return live;
  }
}
