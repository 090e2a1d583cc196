/**
 * The content walkthroughs push, built here so every digest and size is exact: text blobs split
 * into chunks, real image layers (a ustar archive, POSIX.1-1988, gzip-compressed with node:zlib),
 * image configs whose rootfs.diff_ids are the sha256 of the uncompressed tars (image-spec
 * config.md), image manifests, indexes and artifacts (image-spec manifest.md, image-index.md).
 * JSON is pretty-printed: the digest is of exactly these bytes, and the page shows them as sent.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../spec/media-types.ts';
import type { StepBody } from './types.ts';

export interface Blob {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blob(bytes: Uint8Array | string, mediaType = 'application/octet-stream'): Blob {
  const buffer = Buffer.from(bytes);
  return { bytes: buffer, digest: sha256(buffer), size: buffer.length, mediaType };
}

/** The body of a step sending this blob: text when it is printable ASCII, else base64. */
export function bodyOf(content: Blob | Buffer): StepBody {
  const bytes = Buffer.isBuffer(content) ? content : content.bytes;
  return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(bytes.toString('latin1')) ? { text: bytes.toString('latin1') } : { base64: bytes.toString('base64') };
}

/** The OCI empty descriptor's content (image-spec manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_JSON = blob('{}', OCI_EMPTY);

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  const octal = (offset: number, length: number, value: number): void => field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, ' '.repeat(8));
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** A ustar archive of regular files. */
export function tar(files: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    parts.push(tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface Layer extends Blob {
  /** sha256 of the uncompressed tar (image-spec config.md rootfs.diff_ids). */
  readonly diffId: string;
}

export function layer(files: Readonly<Record<string, string>>): Layer {
  const archive = tar(files);
  return { ...blob(gzipSync(archive, { level: 9 }), OCI_LAYER_TAR_GZIP), diffId: sha256(archive) };
}

function json(value: unknown, mediaType: string): Blob {
  return blob(`${JSON.stringify(value, null, 2)}\n`, mediaType);
}

export function descriptor(content: Blob, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: content.mediaType, digest: content.digest, size: content.size, ...extra };
}

export function imageConfig(layers: readonly Layer[], architecture = 'amd64'): Blob {
  return json({ architecture, os: 'linux', config: { Cmd: ['/bin/cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }, OCI_CONFIG);
}

export function imageManifest(config: Blob, layers: readonly Blob[], extra: Record<string, unknown> = {}): Blob {
  return json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: layers.map((l) => descriptor(l)), ...extra }, OCI_MANIFEST);
}

export function imageIndex(children: readonly { manifest: Blob; architecture: string }[]): Blob {
  const manifests = children.map((c) => descriptor(c.manifest, { platform: { architecture: c.architecture, os: 'linux' } }));
  return json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
}

/** An OCI 1.1 artifact: artifactType, the empty config, one layer, a subject, annotations. */
export function artifact(subject: Blob, artifactType: string, payload: Blob, annotations: Record<string, string>): Blob {
  return imageManifest(EMPTY_JSON, [payload], { artifactType, subject: descriptor(subject), annotations });
}

/** A small image: one layer with one file, its config, its manifest. */
export function image(text: string, architecture = 'amd64'): { layer: Layer; config: Blob; manifest: Blob } {
  const l = layer({ 'hello.txt': text });
  const config = imageConfig([l], architecture);
  return { layer: l, config, manifest: imageManifest(config, [l]) };
}
