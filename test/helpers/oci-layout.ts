/**
 * OCI image layouts (image-spec image-layout.md) written from scratch in code, for the interop
 * tests that feed them to real tools (`skopeo copy oci:DIR:tag …`, oci-image-tool, umoci). Nothing
 * is downloaded: every layer is a real ustar archive built here and gzip-compressed with node:zlib,
 * every config a proper image config whose rootfs.diff_ids are the sha256 of the uncompressed tars.
 *
 *   single-image layout: index.json → image manifest (tagged via org.opencontainers.image.ref.name)
 *   multi-image layout:  index.json → image index → one image manifest per platform (amd64, arm64)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ANNOTATION_REF_NAME, IMAGE_LAYOUT_VERSION, OCI_CONFIG, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../spec/media-types.ts';
import { content, descriptor, sha256, type Content } from './oci.ts';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
}

export interface TarEntry {
  /** Path inside the archive; directories end with "/". */
  readonly path: string;
  /** File contents; absent for a directory. */
  readonly data?: string | Uint8Array;
  readonly mode?: number;
}

export interface BuiltLayer {
  /** The gzip-compressed tar, as stored in blobs/ and pushed to registries. */
  readonly blob: Content;
  /** The uncompressed tar. */
  readonly tar: Buffer;
  /** sha256 of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  readonly diffId: string;
}

export interface BuiltImage {
  readonly platform: Platform;
  readonly config: Content;
  readonly layers: readonly BuiltLayer[];
  readonly manifest: Content;
}

export interface SingleImageLayout {
  readonly dir: string;
  readonly tag: string;
  readonly image: BuiltImage;
  /** Every blob the layout holds (config, layers, manifest). */
  readonly blobs: readonly Content[];
}

export interface MultiImageLayout {
  readonly dir: string;
  readonly tag: string;
  readonly index: Content;
  readonly images: readonly BuiltImage[];
  readonly blobs: readonly Content[];
}

export interface LayoutIndex {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly manifests: ReadonlyArray<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }>;
}

/** A fixed timestamp (2024-01-01T00:00:00Z) so that the same seed always gives the same bytes. */
const MTIME = 1_704_067_200;
const BLOCK = 512;

function octal(value: number, width: number): string {
  // width - 1 octal digits, then NUL
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(path: string, size: number, mode: number, type: '0' | '5'): Buffer {
  const name = Buffer.from(path, 'utf8');
  if (name.length > 100) throw new Error(`tar path too long for a plain ustar header: ${path}`);
  const header = Buffer.alloc(BLOCK, 0);
  name.copy(header, 0);
  header.write(octal(mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(MTIME, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  header.write(type, 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('root', 265, 'ascii'); // uname
  header.write('root', 297, 'ascii'); // gname
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** A POSIX ustar archive of the given entries, ended by two zero blocks. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.data === undefined) {
      const path = entry.path.endsWith('/') ? entry.path : `${entry.path}/`;
      parts.push(tarHeader(path, 0, entry.mode ?? 0o755, '5'));
      continue;
    }
    const data = Buffer.from(entry.data);
    parts.push(tarHeader(entry.path, data.length, entry.mode ?? 0o644, '0'), data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

/** A gzip-compressed tar layer (OCI tar+gzip) holding `entries`. */
export function buildLayer(entries: readonly TarEntry[]): BuiltLayer {
  const tar = tarArchive(entries);
  return { tar, blob: content(gzipSync(tar, { level: 6 }), OCI_LAYER_TAR_GZIP), diffId: sha256(tar) };
}

/** One image: a layer with a directory and one small file named after the seed, its config, its manifest. */
export function buildImage(seed: string, platform: Platform = { architecture: 'amd64', os: 'linux' }): BuiltImage {
  const layer = buildLayer([
    { path: 'etc/' },
    { path: `etc/touchstone-${seed}.txt`, data: `touchstone interop fixture ${seed} for ${platform.os}/${platform.architecture}\n` },
  ]);
  const configBody = {
    created: new Date(MTIME * 1000).toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], Labels: { 'org.example.seed': seed } },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: new Date(MTIME * 1000).toISOString(), created_by: `touchstone fixture ${seed}` }],
  };
  const config = content(JSON.stringify(configBody), OCI_CONFIG);
  const manifest = content(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: [descriptor(layer.blob)] }),
    OCI_MANIFEST,
  );
  return { platform, config, layers: [layer], manifest };
}

/** An OCI image index over `images`, each child descriptor carrying its platform. */
export function buildIndex(images: readonly BuiltImage[]): Content {
  const manifests = images.map((image) => descriptor(image.manifest, { platform: { ...image.platform } }));
  return content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), OCI_INDEX);
}

function blobsOf(image: BuiltImage): Content[] {
  return [image.config, ...image.layers.map((l) => l.blob), image.manifest];
}

/**
 * Writes an image layout: oci-layout, blobs/sha256/<hex> for every blob, and index.json whose
 * entries are `refs` (each the descriptor of a manifest or index, tagged through the ref.name
 * annotation).
 */
export async function writeLayout(dir: string, blobs: readonly Content[], refs: ReadonlyArray<{ readonly tag: string; readonly target: Content }>): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }));
  for (const blob of blobs) {
    const [algorithm, encoded] = blob.digest.split(':') as [string, string];
    await mkdir(join(dir, 'blobs', algorithm), { recursive: true });
    await writeFile(join(dir, 'blobs', algorithm, encoded), blob.bytes);
  }
  const manifests = refs.map((ref) => descriptor(ref.target, { annotations: { [ANNOTATION_REF_NAME]: ref.tag } }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, null, 2));
}

/** A layout holding one linux image tagged `tag`. */
export async function writeSingleImageLayout(dir: string, options: { tag?: string; seed?: string; platform?: Platform } = {}): Promise<SingleImageLayout> {
  const tag = options.tag ?? 'latest';
  const image = buildImage(options.seed ?? 'single', options.platform);
  const blobs = blobsOf(image);
  await writeLayout(dir, blobs, [{ tag, target: image.manifest }]);
  return { dir, tag, image, blobs };
}

export const DEFAULT_PLATFORMS: readonly Platform[] = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
];

/** A layout whose tag `tag` names an image index with one image per platform (amd64 and arm64 by default). */
export async function writeMultiImageLayout(dir: string, options: { tag?: string; seed?: string; platforms?: readonly Platform[] } = {}): Promise<MultiImageLayout> {
  const tag = options.tag ?? 'multi';
  const seed = options.seed ?? 'multi';
  const images = (options.platforms ?? DEFAULT_PLATFORMS).map((platform) => buildImage(`${seed}-${platform.architecture}`, platform));
  const index = buildIndex(images);
  const blobs = [...images.flatMap(blobsOf), index];
  await writeLayout(dir, blobs, [{ tag, target: index }]);
  return { dir, tag, index, images, blobs };
}

/** The layout's index.json. */
export async function readLayoutIndex(dir: string): Promise<LayoutIndex> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as LayoutIndex;
}

/** The index.json descriptor tagged `tag`, or undefined. */
export async function taggedDescriptor(dir: string, tag: string): Promise<LayoutIndex['manifests'][number] | undefined> {
  const index = await readLayoutIndex(dir);
  return index.manifests.find((m) => m.annotations?.[ANNOTATION_REF_NAME] === tag);
}

/** Every tag the layout's index.json names, sorted. */
export async function layoutTags(dir: string): Promise<string[]> {
  const index = await readLayoutIndex(dir);
  const tags = index.manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME]).filter((t): t is string => t !== undefined);
  return [...new Set(tags)].sort();
}

/** A blob of the layout, by digest. */
export async function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  const [algorithm, encoded] = digest.split(':') as [string, string];
  return readFile(join(dir, 'blobs', algorithm, encoded));
}
