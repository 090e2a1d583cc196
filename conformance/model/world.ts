/**
 * The real side of the property layer: the registry under test as the commands see it — the
 * client, the run's configuration, two fresh repositories per execution, and the pool of blobs
 * the execution's commands draw from. Blob bytes are derived from a salt unique to each execution
 * and the pool entry (index, size), so executions never share content and a pool entry means the
 * same bytes every time it is picked: that is how two images come to share a layer.
 */
import { createHash } from 'node:crypto';
import { content, imageConfig, dockerConfig, type Content } from '../content.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import type { RunConfig } from '../config.ts';
import { OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../spec/media-types.ts';

export interface World {
  readonly client: RegistryClient;
  readonly config: RunConfig;
  /** Unique per execution; part of every blob, config and missing-subject digest. */
  readonly salt: string;
  /** Repository names, in the order of the model's repositories. */
  readonly repos: readonly string[];
  /** The execution's blob pool (layers and plain blobs). */
  readonly pool: readonly Content[];
}

/** Deterministic bytes for a pool entry: a SHA-256 chain over (salt, index), `size` bytes long. */
export function poolBlob(salt: string, index: number, size: number): Content {
  const bytes = Buffer.alloc(size);
  for (let offset = 0, block = 0; offset < size; offset += 32, block += 1) {
    createHash('sha256').update(`${salt}/${index}/${block}`).digest().copy(bytes, offset);
  }
  return content(bytes, OCI_LAYER_TAR_GZIP);
}

export function makePool(salt: string, sizes: readonly number[]): Content[] {
  return sizes.map((size, i) => poolBlob(salt, i, size));
}

/** The config blob of an image: valid image-config JSON, different for each (salt, seed). */
export function configBlob(world: World, seed: number, docker: boolean): Content {
  const name = `${world.salt}-config-${seed}`;
  return docker ? dockerConfig(name) : imageConfig(name);
}

/** The digest of a manifest that was never pushed: a subject a referrer may point at first. */
export function missingSubject(world: World, seed: number): Content {
  return content(JSON.stringify({ schemaVersion: 2, note: `never pushed ${world.salt} ${seed}` }), OCI_MANIFEST);
}
