/**
 * Manifests, tags and referrers of a repository, kept in its index.json (spec "Pushing manifests",
 * "Pulling manifests", "Listing tags", "Listing referrers", "Deleting manifests").
 *
 * index.json holds one descriptor per tag (annotated with org.opencontainers.image.ref.name) and
 * one unannotated descriptor for each manifest that has no tag (pushed by digest, or left behind
 * when its last tag moved away or was deleted). A manifest exists in the repository exactly when
 * index.json lists its digest. Every read-modify-write of index.json runs under the repository's
 * lock and is written atomically.
 */
import { readFile } from 'node:fs/promises';
import { ANNOTATION_REF_NAME, MANIFEST_MAX_BYTES } from '../../spec/media-types.ts';
import { BoundedMap } from './bounded.ts';
import { StoreError, isNotFound, isStoreError } from './errors.ts';
import { digestOf, parseDigest, type ParsedDigest } from './digest.ts';
import { emptyIndex, validateName, validateTag, type Descriptor, type ImageIndex, type Layout } from './layout.ts';
import { isNonDistributable, parseManifest, type ManifestSummary } from './manifest-format.ts';
import type { BlobStore } from './blobs.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { Pins } from './pins.ts';

export type Reference = { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'digest'; readonly digest: ParsedDigest };

export interface StoredManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface PutManifestResult {
  readonly digest: string;
  readonly subject: string | undefined;
  readonly tags: readonly string[];
}

/**
 * Parsed manifests are immutable (content-addressed), so a bounded cache is always correct — keyed
 * by digest AND media type: a body without a mediaType field can be pushed as an image manifest
 * in one repository and as an index in another, and each must keep its own meaning. The budget
 * counts descriptors (a few hundred bytes each): tens of megabytes at most, less if the store says.
 */
const SUMMARY_CACHE_DESCRIPTORS = 100_000;

/** Blobs of one manifest stat'ed at a time while checking that they exist. */
const STAT_CONCURRENCY = 16;

/** A reference is a tag or a digest, nothing else (spec "Pulling manifests"). */
export function parseReference(reference: string): Reference {
  if (reference.includes(':')) return { kind: 'digest', digest: parseDigest(reference) };
  validateTag(reference);
  return { kind: 'tag', tag: reference };
}

/**
 * A reference to look up (pull, delete). A tag that fails the grammar names no manifest: 404
 * MANIFEST_UNKNOWN, as for any manifest the registry does not know (the official v1.1.1 suite
 * pulls `.INVALID_MANIFEST_NAME` as its nonexistent manifest); only a PUT under it is refused as
 * invalid. A malformed digest stays DIGEST_INVALID.
 */
function lookupReference(name: string, reference: string): Reference {
  try {
    return parseReference(reference);
  } catch (error) {
    if (!isStoreError(error, 'TAG_INVALID')) throw error;
    throw new StoreError('MANIFEST_UNKNOWN', `no manifest can have the tag ${JSON.stringify(reference)} in repository ${name}`, { reference });
  }
}

export function tagOf(entry: Descriptor): string | undefined {
  return entry.annotations?.[ANNOTATION_REF_NAME];
}

export class ManifestStore {
  readonly #layout: Layout;
  readonly #blobs: BlobStore;
  readonly #repoLocks: KeyedMutex;
  readonly #summaries: BoundedMap<string, ManifestSummary>;
  readonly #pins: Pins;

  constructor(layout: Layout, blobs: BlobStore, repoLocks: KeyedMutex, pins: Pins, summaryDescriptors = SUMMARY_CACHE_DESCRIPTORS) {
    this.#layout = layout;
    this.#blobs = blobs;
    this.#repoLocks = repoLocks;
    this.#pins = pins;
    this.#summaries = new BoundedMap<string, ManifestSummary>(summaryDescriptors, (s) => 1 + s.blobs.length + s.manifests.length);
  }

  /**
   * Stores a manifest under a tag or its digest, plus any `extraTags` (spec main: PUT ?tag=).
   * Config, layers and index children must already be in the repository (MANIFEST_BLOB_UNKNOWN),
   * with the size their descriptors give (MANIFEST_INVALID); the subject need not exist (spec
   * "Pushing Manifests with Subject").
   */
  async put(name: string, reference: string, contentType: string | undefined, body: Uint8Array, extraTags: readonly string[] = []): Promise<PutManifestResult> {
    validateName(name);
    if (body.length > MANIFEST_MAX_BYTES) {
      throw new StoreError('MANIFEST_TOO_LARGE', `manifest of ${body.length} bytes exceeds ${MANIFEST_MAX_BYTES}`, { limit: MANIFEST_MAX_BYTES });
    }
    const ref = parseReference(reference);
    extraTags.forEach(validateTag);
    const algorithm = ref.kind === 'digest' ? ref.digest.algorithm : 'sha256';
    const digest = digestOf(algorithm, body);
    if (ref.kind === 'digest' && ref.digest.digest !== digest) {
      throw new StoreError('DIGEST_MISMATCH', `manifest has digest ${digest}, not ${reference}`, { expected: reference, actual: digest });
    }
    const summary = parseManifest(body, contentType);
    const tags = [...new Set(ref.kind === 'tag' ? [ref.tag, ...extraTags] : extraTags)];

    // Config and layers are checked without the repository's lock (a manifest may list tens of
    // thousands); pinned first, so garbage collection cannot take one before index.json lists
    // the manifest. Under the lock: only index.json, of a size independent of the manifest's.
    const blobs = summary.blobs.filter((blob) => !isNonDistributable(blob)); // fetched from their urls, not from this registry
    const hold = this.#pins.hold(name, blobs.map((blob) => blob.digest));
    try {
      const going = hold.claimed[0];
      if (going !== undefined) throw new StoreError('MANIFEST_BLOB_UNKNOWN', `blob ${going} is being collected from repository ${name}`, { digest: going });
      await this.#checkBlobs(name, blobs);
      return await this.#repoLocks.run(name, async () => {
        await this.#layout.ensureRepo(name);
        const index = (await this.#layout.readIndex(name)) ?? emptyIndex();
        checkChildren(name, index, summary);
        await this.#blobs.write(name, parseDigest(digest), body);
        this.#cache(digest, summary.mediaType, summary);
        const entry: Descriptor = { mediaType: summary.mediaType, digest, size: body.length };
        await this.#layout.writeIndex(name, withManifest(index, entry, tags));
        return { digest, subject: summary.subject, tags };
      });
    } finally {
      hold.release();
    }
  }

  /** The manifest's bytes exactly as pushed, with its media type and digest. */
  async get(name: string, reference: string): Promise<StoredManifest & { body: Buffer }> {
    const entry = await this.resolve(name, reference);
    const body = await this.#readBody(name, entry.digest);
    return { mediaType: entry.mediaType, digest: entry.digest, size: body.length, body };
  }

  /** The index.json entry a tag or digest names; MANIFEST_UNKNOWN when there is none. */
  async resolve(name: string, reference: string): Promise<StoredManifest> {
    const ref = lookupReference(name, reference);
    const index = await this.#layout.readIndex(name);
    const entry = index?.manifests.find((m) => (ref.kind === 'tag' ? tagOf(m) === ref.tag : m.digest === ref.digest.digest));
    if (!entry) throw new StoreError('MANIFEST_UNKNOWN', `manifest ${reference} unknown to repository ${name}`, { reference });
    return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
  }

  /**
   * By digest: the manifest and every tag pointing to it go (zot's early code left other tags dangling:
   * docs/deviations.md#zots-early-storage-code). By tag: only that tag goes; the manifest stays, reachable by digest.
   */
  async delete(name: string, reference: string): Promise<void> {
    const ref = lookupReference(name, reference);
    await this.#repoLocks.run(name, async () => {
      const index = await this.#layout.readIndex(name);
      const unknown = new StoreError('MANIFEST_UNKNOWN', `manifest ${reference} unknown to repository ${name}`, { reference });
      if (!index) throw unknown;
      let manifests: Descriptor[];
      if (ref.kind === 'digest') {
        if (!index.manifests.some((m) => m.digest === ref.digest.digest)) throw unknown;
        manifests = index.manifests.filter((m) => m.digest !== ref.digest.digest);
      } else {
        const tagged = index.manifests.find((m) => tagOf(m) === ref.tag);
        if (!tagged) throw unknown;
        manifests = index.manifests.filter((m) => m !== tagged);
        if (!manifests.some((m) => m.digest === tagged.digest)) manifests.push(untagged(tagged));
      }
      await this.#layout.writeIndex(name, { ...index, manifests });
    });
  }

  /** Tags in lexical (code point) order (spec "Listing tags"); NAME_UNKNOWN for a missing repository. */
  async tags(name: string): Promise<string[]> {
    const index = await this.#layout.readIndex(name);
    if (!index) throw new StoreError('NAME_UNKNOWN', `repository ${name} not known`, { name });
    const tags = new Set<string>();
    for (const entry of index.manifests) {
      const tag = tagOf(entry);
      if (tag !== undefined) tags.add(tag);
    }
    return [...tags].sort(compareCodePoints);
  }

  /**
   * Descriptors of every manifest whose subject is `digest`, with artifactType and annotations
   * (spec "Listing referrers"), ordered by digest so pages are stable. Empty, never an error,
   * when nothing refers to it or the repository does not exist.
   */
  async referrers(name: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    parseDigest(digest);
    const index = await this.#layout.readIndex(name);
    if (!index) return [];
    const found = new Map<string, Descriptor>();
    for (const entry of index.manifests) {
      if (found.has(entry.digest)) continue;
      const summary = await this.summary(name, entry.digest, entry.mediaType);
      if (summary?.subject !== digest) continue;
      if (artifactType !== undefined && summary.artifactType !== artifactType) continue;
      const descriptor: Descriptor = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
      if (summary.artifactType !== undefined) descriptor.artifactType = summary.artifactType;
      if (summary.annotations !== undefined) descriptor.annotations = summary.annotations;
      found.set(entry.digest, descriptor);
    }
    return [...found.values()].sort((a, b) => compareCodePoints(a.digest, b.digest));
  }

  /** What a stored manifest references; undefined when its blob is missing or unreadable. */
  async summary(name: string, digest: string, mediaType: string): Promise<ManifestSummary | undefined> {
    const cached = this.#summaries.get(cacheKey(digest, mediaType));
    if (cached) return cached;
    try {
      const summary = parseManifest(await this.#readBody(name, digest), mediaType);
      this.#cache(digest, mediaType, summary);
      return summary;
    } catch (error) {
      if (isStoreError(error)) return undefined;
      throw error;
    }
  }

  /** Every distinct blob stat'ed once, a few at a time; each descriptor's size must be the blob's. */
  async #checkBlobs(name: string, descriptors: readonly Descriptor[]): Promise<void> {
    const digests = [...new Set(descriptors.map((d) => d.digest))];
    const sizes = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < digests.length) {
        const digest = digests[next++] as string;
        try {
          sizes.set(digest, (await this.#blobs.stat(name, digest)).size);
        } catch (error) {
          if (isStoreError(error, 'BLOB_UNKNOWN')) {
            throw new StoreError('MANIFEST_BLOB_UNKNOWN', `blob ${digest} unknown to repository ${name}`, { digest });
          }
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, digests.length) }, worker));
    for (const blob of descriptors) {
      const size = sizes.get(blob.digest);
      if (size !== blob.size) {
        throw new StoreError('MANIFEST_INVALID', `descriptor of ${blob.digest} says ${blob.size} bytes, the blob has ${size}`, { digest: blob.digest });
      }
    }
  }

  async #readBody(name: string, digest: string): Promise<Buffer> {
    try {
      return await readFile(this.#layout.blobPath(name, parseDigest(digest)));
    } catch (error) {
      if (isNotFound(error)) throw new StoreError('MANIFEST_UNKNOWN', `manifest ${digest} is missing from repository ${name}`, { digest });
      throw error;
    }
  }

  #cache(digest: string, mediaType: string, summary: ManifestSummary): void {
    this.#summaries.set(cacheKey(digest, mediaType), summary);
  }
}

/** An index's children must be manifests of the repository, with the sizes their descriptors give. */
function checkChildren(name: string, index: ImageIndex, summary: ManifestSummary): void {
  const present = new Map(index.manifests.map((m) => [m.digest, m.size]));
  for (const child of summary.manifests) {
    const size = present.get(child.digest);
    if (size === undefined) {
      throw new StoreError('MANIFEST_BLOB_UNKNOWN', `manifest ${child.digest} unknown to repository ${name}`, { digest: child.digest });
    }
    if (size !== child.size) {
      throw new StoreError('MANIFEST_INVALID', `descriptor of ${child.digest} says ${child.size} bytes, the manifest has ${size}`, { digest: child.digest });
    }
  }
}

/**
 * index.json after storing `entry` under `tags`: moved tags leave their old manifest behind as
 * an untagged entry (it stays pullable by digest); a manifest with no tag has one untagged entry.
 */
export function withManifest(index: ImageIndex, entry: Descriptor, tags: readonly string[]): ImageIndex {
  const moving = (m: Descriptor): boolean => {
    const tag = tagOf(m);
    return tag !== undefined && tags.includes(tag);
  };
  const manifests = index.manifests.filter((m) => !moving(m) && !(tags.length > 0 && m.digest === entry.digest && tagOf(m) === undefined));
  for (const displaced of index.manifests.filter(moving)) {
    if (displaced.digest !== entry.digest && !manifests.some((m) => m.digest === displaced.digest)) manifests.push(untagged(displaced));
  }
  if (tags.length === 0) {
    if (!manifests.some((m) => m.digest === entry.digest)) manifests.push(entry);
  } else {
    for (const tag of tags) manifests.push({ ...entry, annotations: { [ANNOTATION_REF_NAME]: tag } });
  }
  return { ...index, manifests };
}

function cacheKey(digest: string, mediaType: string): string {
  return `${mediaType} ${digest}`;
}

function untagged(entry: Descriptor): Descriptor {
  const { annotations: _annotations, ...rest } = entry;
  return rest;
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
