/**
 * Test helpers for the image store used directly (no HTTP): a store over a temp directory torn
 * down with the test, request bodies as streams (including one that fails half-way), pushes of
 * blobs, manifests and whole images, a StoreError assertion, and a consistency check of a store.
 */
import { Readable } from 'node:stream';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import type { Test } from 'tap';
import { ImageStore, type StoreOptions } from '../../reference/store/image-store.ts';
import { StoreError, type StoreErrorKind } from '../../reference/store/errors.ts';
import { config, imageManifest, layer, type Content } from './oci.ts';

export interface TestStore {
  readonly store: ImageStore;
  /** The store's root directory. */
  readonly root: string;
  /** The temp directory holding `root` (nothing else is created in it). */
  readonly parent: string;
}

/** A store at <tmp>/store, removed when the test ends. */
export async function openTestStore(t: Test, options: StoreOptions = {}): Promise<TestStore> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-store-' });
  t.teardown(() => tmp.cleanup());
  const root = join(tmp.path, 'store');
  return { store: await ImageStore.open(root, options), root, parent: tmp.path };
}

/** A request body carrying `bytes`. */
export function body(bytes: Uint8Array | string): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

/** A body that sends `first` and then fails, like a client that disconnects half-way. */
export function failingBody(first: Uint8Array | string, message = 'client went away'): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(first);
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error(message);
    })(),
  );
}

/** Awaits `promise`, asserts that it rejects with a StoreError of `kind`, and returns the error. */
export async function rejectsKind(t: Test, promise: Promise<unknown>, kind: StoreErrorKind, message?: string): Promise<StoreError | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) {
      t.equal(error.kind, kind, message ?? `rejects with ${kind}`);
      return error;
    }
    t.fail(`${message ?? kind}: rejected with a non-store error: ${String(error)}`);
    return undefined;
  }
  t.fail(`${message ?? kind}: resolved, expected ${kind}`);
  return undefined;
}

/** Stores a blob in `name` with a single-request push. */
export async function putBlob(store: ImageStore, name: string, blob: Content): Promise<void> {
  await store.uploads.putWhole(name, blob.digest, body(blob.bytes));
}

/** Stores a manifest under `reference` (a tag or its digest) with its own media type as Content-Type. */
export async function putManifest(store: ImageStore, name: string, reference: string, manifest: Content, extraTags: readonly string[] = []): Promise<string> {
  return (await store.manifests.put(name, reference, manifest.mediaType, manifest.bytes, extraTags)).digest;
}

export interface StoredImage {
  readonly manifest: Content;
  readonly config: Content;
  readonly layers: Content[];
}

/** Config, two layers and the manifest of an image; `shared` layers are added to its own. */
export function buildImage(seed: string, shared: readonly Content[] = []): StoredImage {
  const cfg = config(seed);
  const layers = [layer(`${seed}-a`), layer(`${seed}-b`), ...shared];
  return { manifest: imageManifest(cfg, layers), config: cfg, layers };
}

/** Pushes an image's blobs and its manifest under `reference` (a tag, or its digest when absent). */
export async function putImage(store: ImageStore, name: string, reference: string | undefined, image: StoredImage): Promise<StoredImage> {
  for (const blob of [image.config, ...image.layers]) await putBlob(store, name, blob);
  await putManifest(store, name, reference ?? image.manifest.digest, image.manifest);
  return image;
}

/** Names of the entries of a directory, sorted; [] when it does not exist. */
export async function entriesOf(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Every problem of a repository's consistency: a manifest index.json lists that cannot be fetched,
 * or a blob or child manifest it references that the repository lacks. [] when consistent.
 */
export async function inconsistencies(store: ImageStore, name: string): Promise<string[]> {
  const problems: string[] = [];
  const index = await store.layout.readIndex(name);
  if (!index) return problems;
  const listed = new Set(index.manifests.map((m) => m.digest));
  for (const entry of index.manifests) {
    let manifest: { body: Buffer };
    try {
      manifest = await store.manifests.get(name, entry.digest);
    } catch (error) {
      problems.push(`${entry.digest}: cannot be fetched (${String(error)})`);
      continue;
    }
    const json = JSON.parse(manifest.body.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string }[]; manifests?: { digest: string }[] };
    for (const blob of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) {
      if (!(await store.blobs.has(name, blob.digest))) problems.push(`${entry.digest}: blob ${blob.digest} missing`);
    }
    for (const child of json.manifests ?? []) {
      if (!listed.has(child.digest)) problems.push(`${entry.digest}: child ${child.digest} not listed`);
      if (!(await store.blobs.has(name, child.digest))) problems.push(`${entry.digest}: child ${child.digest} missing`);
    }
  }
  return problems;
}
