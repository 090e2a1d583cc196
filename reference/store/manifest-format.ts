/**
 * Validates a manifest body and extracts what the store needs from it: the blobs it references
 * (config and layers), its child manifests (an index), its subject, artifactType and annotations.
 * Accepts the OCI image manifest and index (image-spec manifest.md, image-index.md, incl. artifacts
 * and nested indexes) and Docker schema2 manifest and manifest list, which clients still push
 * (docs/clients.md; zot's early code accepted only the OCI manifest: docs/deviations.md#zots-early-storage-code). Pure: no I/O.
 */
import { INDEX_MANIFEST_TYPES, IMAGE_MANIFEST_TYPES, MANIFEST_TYPES } from '../../spec/media-types.ts';
import { StoreError } from './errors.ts';
import { parseDigest } from './digest.ts';
import type { Descriptor } from './layout.ts';

export interface ManifestSummary {
  readonly mediaType: string;
  /** artifactType, else the config's mediaType for an image manifest (spec "Listing Referrers"). */
  readonly artifactType: string | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly subject: string | undefined;
  /** Config and layers: blobs that must exist in the repository. */
  readonly blobs: readonly Descriptor[];
  /** Children of an index: manifests that must exist in the repository. */
  readonly manifests: readonly Descriptor[];
}

/** Strict: a byte sequence that is not UTF-8 is an error, never replaced with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string): StoreError {
  return new StoreError('MANIFEST_INVALID', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media type without parameters ("a/b; charset=utf-8" → "a/b"). */
/**
 * A non-distributable blob: its descriptor lists `urls` it is fetched from (image-spec
 * descriptor.md "urls"), so the registry neither needs nor holds it.
 */
export function isNonDistributable(descriptor: Descriptor): boolean {
  return descriptor.urls !== undefined && descriptor.urls.length > 0;
}

function bareMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function parseManifest(body: Uint8Array, contentType: string | undefined): ManifestSummary {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw invalid('manifest is not valid UTF-8 (JSON exchanged between systems must be: RFC 8259 §8.1)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isObject(json)) throw invalid('manifest is not a JSON object');
  if (json.schemaVersion !== 2) throw invalid('schemaVersion must be 2');

  const declared = json.mediaType;
  if (declared !== undefined && typeof declared !== 'string') throw invalid('mediaType must be a string');
  const header = bareMediaType(contentType);
  // image-spec: when mediaType is set, the Content-Type of the push must match it.
  if (declared !== undefined && header !== '' && declared !== header) {
    throw invalid(`Content-Type ${header} does not match the manifest's mediaType ${declared}`);
  }
  const mediaType = declared ?? header;
  if (!MANIFEST_TYPES.includes(mediaType)) throw invalid(`unsupported manifest media type ${JSON.stringify(mediaType)}`);

  const artifactType = optionalString(json.artifactType, 'artifactType');
  const annotations = optionalAnnotations(json.annotations, 'annotations');
  const subject = json.subject === undefined ? undefined : descriptor(json.subject, 'subject').digest;

  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    const config = descriptor(json.config, 'config');
    if (!Array.isArray(json.layers)) throw invalid('layers must be an array');
    const layers = json.layers.map((layer, i) => descriptor(layer, `layers[${i}]`));
    return { mediaType, artifactType: artifactType ?? config.mediaType, annotations, subject, blobs: [config, ...layers], manifests: [] };
  }
  if (!INDEX_MANIFEST_TYPES.includes(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);
  if (!Array.isArray(json.manifests)) throw invalid('manifests must be an array');
  const manifests = json.manifests.map((child, i) => descriptor(child, `manifests[${i}]`));
  return { mediaType, artifactType, annotations, subject, blobs: [], manifests };
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof digest !== 'string') throw invalid(`${where}.digest must be a string`);
  try {
    parseDigest(digest);
  } catch {
    throw invalid(`${where}.digest ${JSON.stringify(digest)} is not a supported digest`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  const urls = value.urls;
  if (urls !== undefined && !(Array.isArray(urls) && urls.every((u) => typeof u === 'string'))) {
    throw invalid(`${where}.urls must be an array of strings`);
  }
  optionalAnnotations(value.annotations, `${where}.annotations`);
  optionalString(value.artifactType, `${where}.artifactType`);
  return value as Descriptor;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${where} must be a string`);
  return value;
}

function optionalAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}
