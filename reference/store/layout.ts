/**
 * The on-disk layout. Every repository is a valid OCI image layout (image-spec image-layout.md):
 *
 *   <root>/repositories/<url-encoded name>/oci-layout
 *   <root>/repositories/<url-encoded name>/index.json      tags as org.opencontainers.image.ref.name
 *   <root>/repositories/<url-encoded name>/blobs/<alg>/<hex>
 *   <root>/_uploads/<upload id>/{data,session.json}         outside every blobs tree
 *
 * Names are flattened with encodeURIComponent ("library/ubuntu" → "library%2Fubuntu") so that one
 * repository's directory can never sit inside another's layout ("a" and "a/blobs" are both valid
 * names). Every name, tag and digest is checked against the spec grammar before a path is built,
 * so no request can reach outside the root (zot's early code never validated names: docs/deviations.md#zots-early-storage-code). A
 * name whose flattened form exceeds a file name's 255 bytes (each "/" becomes three characters)
 * is NAME_INVALID too: the file system could not hold its directory. The sessions' directory is
 * `_uploads`, a name no repository's directory can take (a name starts with a letter or a digit,
 * spec "Pulling manifests" grammar, and encoding keeps that first character), as Distribution keeps
 * its `_uploads`: the two trees cannot meet, wherever the repositories' directory is.
 */
import { lstat, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { NAME_MAX_LENGTH, NAME_PATTERN, TAG_PATTERN } from '../../spec/grammars.ts';
import { IMAGE_LAYOUT_VERSION, OCI_INDEX } from '../../spec/media-types.ts';
import { StoreError, isNotFound } from './errors.ts';
import { createFileExclusive, syncDirectory, TEMP_SUFFIX, writeFileAtomic, writeFileDurable } from './fs-atomic.ts';
import type { ParsedDigest } from './digest.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  [field: string]: unknown;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: typeof OCI_INDEX;
  manifests: Descriptor[];
}

/** Repository layouts being built start with this: never a valid (encoded) repository name. */
const ASIDE_PREFIX = '.new-';

/** Longest file name (one path component) of ext4, xfs, btrfs and tmpfs, in bytes. */
const FILE_NAME_MAX_BYTES = 255;

export function validateName(name: string): void {
  // The grammar admits only ASCII, so the flattened name's length is its length in bytes.
  if (name.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(name) || encodeURIComponent(name).length > FILE_NAME_MAX_BYTES) {
    throw new StoreError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}`, { name });
  }
}

export function validateTag(tag: string): void {
  if (!TAG_PATTERN.test(tag)) {
    throw new StoreError('TAG_INVALID', `invalid tag ${JSON.stringify(tag)}`, { tag });
  }
}

export class Layout {
  readonly root: string;
  readonly repositoriesDir: string;
  readonly uploadsDir: string;

  constructor(root: string) {
    this.root = root;
    this.repositoriesDir = join(root, 'repositories');
    this.uploadsDir = join(root, '_uploads');
  }

  async init(): Promise<void> {
    await mkdir(this.repositoriesDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  repoDir(name: string): string {
    validateName(name);
    return join(this.repositoriesDir, encodeURIComponent(name));
  }

  blobPath(name: string, digest: ParsedDigest): string {
    return join(this.repoDir(name), 'blobs', digest.algorithm, digest.encoded);
  }

  /** The bytes received so far by upload session `id`. */
  uploadData(id: string): string {
    return join(this.uploadsDir, id, 'data');
  }

  async repoExists(name: string): Promise<boolean> {
    try {
      return (await stat(join(this.repoDir(name), 'index.json'))).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Creates the repository's image layout if it does not exist yet, atomically: the layout is
   * built aside, in a directory whose name is no repository's, and renamed into place complete, so
   * a kill at any instant leaves either no repository or a valid one. When the rename finds the
   * directory there (another writer was first, or an older version left it without index.json),
   * the missing files are created in place, never replacing one that exists.
   */
  async ensureRepo(name: string): Promise<void> {
    if (await this.repoExists(name)) return;
    const dir = this.repoDir(name);
    const aside = join(this.repositoriesDir, `${ASIDE_PREFIX}${randomUUID()}`);
    const layoutFile = JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION });
    try {
      await mkdir(join(aside, 'blobs'), { recursive: true });
      await writeFileDurable(join(aside, 'oci-layout'), layoutFile);
      await writeFileDurable(join(aside, 'index.json'), serializeIndex(emptyIndex()));
      await syncDirectory(aside);
      await rename(aside, dir);
      await syncDirectory(this.repositoriesDir);
      return;
    } catch (error) {
      await rm(aside, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    await mkdir(join(dir, 'blobs'), { recursive: true });
    await createFileExclusive(join(dir, 'oci-layout'), layoutFile);
    await createFileExclusive(join(dir, 'index.json'), serializeIndex(emptyIndex()));
  }

  /**
   * Removes what killed writes left behind, older than `olderThanMs`: temporary files of atomic
   * writes inside the repository `name`, or (without a name) layouts being built aside. Returns how
   * many it removed.
   */
  async sweepTemporary(name?: string, olderThanMs = Infinity): Promise<number> {
    const dir = name === undefined ? this.repositoriesDir : this.repoDir(name);
    const stale = (entry: string): boolean => (name === undefined ? entry.startsWith(ASIDE_PREFIX) : entry.startsWith('.') && entry.endsWith(TEMP_SUFFIX));
    let removed = 0;
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (!stale(entry)) continue;
      const path = join(dir, entry);
      const info = await lstat(path).catch(() => undefined);
      if (!info || info.mtimeMs >= olderThanMs) continue;
      await rm(path, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  /** The repository's index.json, or undefined when the repository does not exist. */
  async readIndex(name: string): Promise<ImageIndex | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.repoDir(name), 'index.json'), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return parseIndex(text);
  }

  /** Atomic: temp file, fsync, rename. Callers hold the repository lock. */
  async writeIndex(name: string, index: ImageIndex): Promise<void> {
    await writeFileAtomic(join(this.repoDir(name), 'index.json'), serializeIndex(index));
  }

  /** Every repository name in the store, sorted. Directories that are not valid names are ignored. */
  async listRepositories(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.repositoriesDir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries) {
      let name: string;
      try {
        name = decodeURIComponent(entry);
        validateName(name);
      } catch {
        continue;
      }
      if (encodeURIComponent(name) === entry) names.push(name);
    }
    return names.sort();
  }
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
}

export function serializeIndex(index: ImageIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}

/** Parses index.json; throws a plain Error when it is damaged (scrub reports it). */
export function parseIndex(text: string): ImageIndex {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || !Array.isArray((value as ImageIndex).manifests)) {
    throw new Error('index.json is not an image index');
  }
  const index = value as ImageIndex;
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: index.manifests };
}
