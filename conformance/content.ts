/**
 * Test content built in memory: blobs, image configs, image manifests, indexes, artifacts and
 * Docker schema2 manifests, each as exact bytes with digest and size. Shared by the scripted
 * checks, the model and the project's own tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST,
  OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST,
} from '../spec/media-types.ts';

export interface Content {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function content(bytes: Uint8Array | string, mediaType = 'application/octet-stream', algorithm: 'sha256' | 'sha512' = 'sha256'): Content {
  const buffer = Buffer.from(bytes);
  return { bytes: buffer, digest: digestOf(buffer, algorithm), size: buffer.length, mediaType };
}

/** A digest no registry holds: the sha256 of fresh random bytes. */
export function unknownDigest(): string {
  return digestOf(randomBytes(32));
}

/** Random bytes: fresh content every run, so a shared registry never already has it. */
export function randomBlob(size: number, mediaType = OCI_LAYER_TAR_GZIP): Content {
  return content(randomBytes(size), mediaType);
}

export function descriptor(c: Content, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: c.mediaType, digest: c.digest, size: c.size, ...extra };
}

export function imageConfig(seed: string, mediaType = OCI_CONFIG): Content {
  return content(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed }), mediaType);
}

export const EMPTY_CONFIG = content('{}', OCI_EMPTY);

export function imageManifest(config: Content, layers: readonly Content[], extra: Record<string, unknown> = {}): Content {
  const body = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: layers.map((l) => descriptor(l)), ...extra };
  return content(JSON.stringify(body), OCI_MANIFEST);
}

export function imageIndex(children: readonly Content[], extra: Record<string, unknown> = {}): Content {
  const body = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((c) => descriptor(c)), ...extra };
  return content(JSON.stringify(body), OCI_INDEX);
}

/** An OCI 1.1 artifact: image manifest with artifactType, empty config, and a subject. */
export function artifactManifest(subject: Content | undefined, artifactType: string, layers: readonly Content[] = [EMPTY_CONFIG], annotations?: Record<string, string>): Content {
  return imageManifest(EMPTY_CONFIG, layers, {
    artifactType,
    ...(subject ? { subject: descriptor(subject) } : {}),
    ...(annotations ? { annotations } : {}),
  });
}

export function dockerConfig(seed: string): Content {
  return imageConfig(seed, DOCKER_CONFIG);
}

export function dockerLayer(seed: string): Content {
  return content(`docker layer ${seed}`, DOCKER_LAYER);
}

export function dockerManifest(config: Content, layers: readonly Content[]): Content {
  const body = { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: descriptor(config), layers: layers.map((l) => descriptor(l)) };
  return content(JSON.stringify(body), DOCKER_MANIFEST);
}

export function dockerManifestList(children: readonly Content[]): Content {
  const manifests = children.map((c) => descriptor(c, { platform: { architecture: 'amd64', os: 'linux' } }));
  return content(JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests }), DOCKER_MANIFEST_LIST);
}
