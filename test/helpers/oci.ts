/**
 * Test content (built on conformance/content.ts) and push helpers that upload blobs and
 * manifests to a registry the monolithic way.
 */
import { OCI_CONFIG, OCI_LAYER_TAR_GZIP } from '../../spec/media-types.ts';
import { artifactManifest, content, digestOf, EMPTY_CONFIG, imageIndex, imageManifest, type Content } from '../../conformance/content.ts';
import { call } from './registry.ts';

export { content, descriptor, imageManifest, type Content } from '../../conformance/content.ts';

export const sha256 = (bytes: Uint8Array): string => digestOf(bytes, 'sha256');
export const sha512 = (bytes: Uint8Array): string => digestOf(bytes, 'sha512');
export const emptyConfig = EMPTY_CONFIG;
export const indexManifest = imageIndex;

export function layer(seed: string): Content {
  return content(`layer ${seed}`, OCI_LAYER_TAR_GZIP);
}

export function config(seed: string): Content {
  return content(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }), OCI_CONFIG);
}

/** An artifact manifest (image manifest with artifactType and the empty config) referring to `subject`. */
export function artifact(subject: Content, artifactType: string, annotations: Record<string, string> = {}): Content {
  return artifactManifest(subject, artifactType, [EMPTY_CONFIG], Object.keys(annotations).length > 0 ? annotations : undefined);
}

export async function pushBlob(url: string, name: string, blob: Content): Promise<void> {
  const opened = await call(url, 'POST', `/v2/${name}/blobs/uploads/`);
  if (opened.status !== 202) throw new Error(`POST upload: ${opened.status}`);
  const location = opened.header('location') ?? '';
  const separator = location.includes('?') ? '&' : '?';
  const closed = await call(url, 'PUT', `${location}${separator}digest=${blob.digest}`, {
    body: blob.bytes,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (closed.status !== 201) throw new Error(`PUT upload: ${closed.status} ${closed.body.toString()}`);
}

export async function pushManifest(url: string, name: string, reference: string, manifest: Content): Promise<void> {
  const reply = await call(url, 'PUT', `/v2/${name}/manifests/${reference}`, {
    body: manifest.bytes,
    headers: { 'Content-Type': manifest.mediaType },
  });
  if (reply.status !== 201) throw new Error(`PUT manifest: ${reply.status} ${reply.body.toString()}`);
}

/** Pushes config, layers and the manifest of a whole image; returns the manifest. */
export async function pushImage(url: string, name: string, tag: string, seed: string): Promise<{ manifest: Content; config: Content; layers: Content[] }> {
  const cfg = config(seed);
  const layers = [layer(`${seed}-a`), layer(`${seed}-b`)];
  for (const blob of [cfg, ...layers]) await pushBlob(url, name, blob);
  const manifest = imageManifest(cfg, layers);
  await pushManifest(url, name, tag, manifest);
  return { manifest, config: cfg, layers };
}
