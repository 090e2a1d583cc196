/**
 * The pushes the property commands share, each checked as it goes against what the spec makes
 * MUST: blobs by every upload flow (monolithic POST then PUT, single POST with 202 fallback,
 * chunked PATCHes with Content-Range and the last chunk optionally in the PUT, streamed PATCH),
 * manifests (201 with Location, a Docker-Content-Digest equal to the body's digest when present,
 * OCI-Subject for a manifest with a subject when the registry offers referrers), and the model
 * entries those pushes create.
 */
import { ensure, expectErrorCode, expectStatus } from '../client/expect.ts';
import { OCTET, expectRange, locationOf, openUpload, patchChunk, pieces, putClose, putWhole, releaseUpload, sendChunk } from '../client/protocol.ts';
import type { Reply } from '../client/registry-client.ts';
import { artifactManifest, descriptor, dockerManifest, imageIndex, imageManifest, EMPTY_CONFIG, type Content } from '../content.ts';
import { DOCKER_LAYER } from '../../spec/media-types.ts';
import { short } from './gc-expectations.ts';
import type { ManifestFact, Model, RepoModel } from './model.ts';
import { configBlob, poolBlob, type World } from './world.ts';

/** Chunks per chunked upload at most. */
const MAX_CHUNKS = 12;

export type UploadFlow =
  | { readonly kind: 'monolithic' }
  | { readonly kind: 'single-post' }
  | { readonly kind: 'chunked'; readonly chunk: number; readonly lastInPut: boolean; readonly outOfOrderProbe: boolean; readonly statusProbe: boolean }
  | { readonly kind: 'streamed'; readonly chunkedEncoding: boolean };

export function describeFlow(flow: UploadFlow): string {
  switch (flow.kind) {
    case 'chunked':
      return `chunked(${flow.chunk}${flow.lastInPut ? ', last in PUT' : ''}${flow.outOfOrderProbe ? ', out-of-order probe' : ''}${flow.statusProbe ? ', status probe' : ''})`;
    case 'streamed':
      return flow.chunkedEncoding ? 'streamed(chunked encoding)' : 'streamed';
    default:
      return flow.kind;
  }
}

/** The closing PUT (or single POST): 201 with the Location of the blob (end-6, end-4b). */
function closeOk(world: World, reply: Reply, digest: string, what: string): void {
  expectStatus(reply, [201], `${what}: PUT ?digest=${digest}`);
  locationOf(world.client, reply, `${what}: 201`);
}

/**
 * Pushes `blob` into `repo` by `flow`; resolves once the registry answered 201. A streamed PATCH
 * (not defined by the spec) that the registry refuses with a 4xx falls back to a monolithic PUT.
 */
export async function pushBlob(world: World, repo: string, blob: Content, flow: UploadFlow, what: string): Promise<void> {
  const { client } = world;
  if (flow.kind === 'single-post') {
    const reply = await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
      body: blob.bytes,
      headers: { ...OCTET, 'Content-Length': String(blob.size) },
    });
    if (reply.status === 202) {
      // The spec's fallback: a registry without single-POST uploads opens a session instead (end-4b).
      closeOk(world, await putWhole(client, locationOf(client, reply, `${what}: single POST answered 202`), blob.bytes, blob.digest), blob.digest, what);
      return;
    }
    expectStatus(reply, [201], `${what}: POST ?digest=${blob.digest} with the blob`);
    locationOf(client, reply, `${what}: 201`);
    return;
  }
  const session = await openUpload(client, repo);
  if (flow.kind === 'monolithic') {
    closeOk(world, await putWhole(client, session.url, blob.bytes, blob.digest), blob.digest, what);
    return;
  }
  if (flow.kind === 'streamed') {
    const body = flow.chunkedEncoding ? pieces(blob.bytes, 1000) : blob.bytes;
    const headers: Record<string, string> = flow.chunkedEncoding ? { ...OCTET } : { ...OCTET, 'Content-Length': String(blob.size) };
    const reply = await client.request('PATCH', session.url, { body, headers });
    if (reply.status >= 400 && reply.status < 500) {
      await releaseUpload(client, session.url);
      await pushBlob(world, repo, blob, { kind: 'monolithic' }, `${what} (streamed PATCH refused with ${reply.status}: monolithic instead)`);
      return;
    }
    expectStatus(reply, [202], `${what}: streamed PATCH`);
    expectRange(reply, blob.size, `${what}: streamed PATCH`);
    closeOk(world, await putClose(client, locationOf(client, reply, `${what}: streamed PATCH`), blob.digest), blob.digest, what);
    return;
  }
  // Chunked: spec "Pushing a blob in chunks"; chunks of at least OCI-Chunk-Min-Length (SHOULD),
  // and few enough that a one-byte chunk size on a large blob stays a handful of requests.
  const size = Math.max(flow.chunk, session.minChunk, Math.ceil(blob.size / MAX_CHUNKS), 1);
  const chunks: { start: number; bytes: Buffer }[] = [];
  for (let start = 0; start < blob.size; start += size) chunks.push({ start, bytes: blob.bytes.subarray(start, start + size) });
  const last = flow.lastInPut ? chunks.pop() : undefined;
  let url = session.url;
  for (const [i, chunk] of chunks.entries()) {
    if (flow.outOfOrderProbe && i === 1) await probeOutOfOrder(world, url, chunk.start, blob, what);
    url = await patchChunk(client, url, chunk.bytes, chunk.start, `${what}: chunk ${i + 1}`);
    if (flow.statusProbe) url = await probeStatus(world, url, chunk.start + chunk.bytes.length, what);
  }
  closeOk(world, await putClose(client, url, blob.digest, last), blob.digest, what);
}

/** A chunk that skips ahead MUST get 416 (end-5) and leave the session as it was. */
async function probeOutOfOrder(world: World, url: string, expectedStart: number, blob: Content, what: string): Promise<void> {
  const ahead = expectedStart + 1;
  const bytes = blob.bytes.subarray(ahead, ahead + 1);
  if (bytes.length === 0) return;
  const reply = await sendChunk(world.client, url, bytes, ahead);
  expectStatus(reply, [416], `${what}: PATCH Content-Range ${ahead}-${ahead} when the upload holds ${expectedStart} bytes (out of order)`);
}

/** GET on the session: 204 with Location and Range: 0-<received - 1> (end-13). */
async function probeStatus(world: World, url: string, received: number, what: string): Promise<string> {
  const reply = await world.client.request('GET', url);
  expectStatus(reply, [204], `${what}: GET upload status`);
  expectRange(reply, received, `${what}: GET upload status after ${received} bytes`);
  return locationOf(world.client, reply, `${what}: GET upload status`);
}

export interface HalfUpload {
  readonly blob: Content;
  /** Bytes sent so far: the first half. */
  readonly half: number;
  /** The session URL the chunk's answer gave. */
  readonly url: string;
  /** When the upload started. */
  readonly at: number;
}

/**
 * Opens a session for a pool blob and sends its first half as a chunk. A pool blob too small to
 * halve (0 or 1 byte) is replaced by 64 bytes of its own, so the step runs whatever sizes the
 * shrinker leaves the pool with: a counterexample keeps failing while it shrinks.
 */
export async function startHalfUpload(world: World, model: Model, repo: string, poolIndex: number, label: string): Promise<HalfUpload | undefined> {
  const index = poolIndex % world.pool.length;
  const pooled = world.pool[index];
  if (!pooled) return undefined;
  const blob = pooled.size >= 2 ? pooled : poolBlob(world.salt, 1000 + index, 64);
  model.noteBlob(blob);
  const half = Math.floor(blob.size / 2);
  const at = Date.now();
  const session = await openUpload(world.client, repo);
  const url = await patchChunk(world.client, session.url, blob.bytes.subarray(0, half), 0, `${label}: first half`);
  return { blob, half, url, at };
}

/** Pushes each blob `repo` lacks in the model (clients HEAD first and skip what is there). */
export async function ensureBlobs(world: World, model: Model, repo: RepoModel, blobs: readonly Content[], what: string): Promise<void> {
  for (const blob of blobs) {
    model.noteBlob(blob);
    if (repo.hasBlob(blob.digest)) continue;
    const at = Date.now();
    await pushBlob(world, repo.name, blob, { kind: 'monolithic' }, `${what}: push blob ${short(blob.digest)}`);
    repo.addBlob({ content: blob, at, done: Date.now() });
  }
}

/**
 * PUT a manifest by tag or by its digest: 201 with Location (end-7); Docker-Content-Digest, when
 * present, equal to the body's digest ("MUST be equal to the client provided digest"); OCI-Subject
 * naming the subject when the manifest has one and the registry offers referrers. When the
 * manifest references blobs or manifests the repository lacks, the registry MAY refuse it, and
 * then "MUST result in one or more MANIFEST_BLOB_UNKNOWN errors" (spec "Push"): the reply says
 * whether it was stored.
 */
export async function putManifest(world: World, repo: string, reference: string, manifest: Content, subject: string | undefined, what: string, missing: readonly string[] = []): Promise<boolean> {
  const reply = await world.client.request('PUT', `/v2/${repo}/manifests/${reference}`, {
    body: manifest.bytes,
    headers: { 'Content-Type': manifest.mediaType },
  });
  const where = `${what}: PUT /v2/${repo}/manifests/${reference}`;
  if (missing.length > 0 && reply.status !== 201) {
    expectStatus(reply, [201, 400], `${where} (it references ${missing.join(', ')}, which the repository lacks)`);
    expectErrorCode(reply, ['MANIFEST_BLOB_UNKNOWN'], `${where} refused for missing references`);
    return false;
  }
  expectStatus(reply, [201], where);
  locationOf(world.client, reply, `${what}: 201`);
  const digest = reply.header('docker-content-digest');
  ensure(digest === undefined || digest === manifest.digest, `${what}: the 201 carries Docker-Content-Digest ${digest}, the manifest's digest is ${manifest.digest}`, reply);
  if (subject !== undefined && world.config.capabilities.referrers) {
    const header = reply.header('oci-subject');
    ensure(header === subject, `${what}: a manifest with a subject was accepted with ${header === undefined ? 'no OCI-Subject header' : `OCI-Subject ${header}`}; a registry offering referrers MUST answer OCI-Subject: ${subject}`, reply);
  }
  return true;
}

/** Blobs and child manifests a manifest references that the repository does not hold (its subject may be missing). */
export function missingReferences(repo: RepoModel, fact: ManifestFact): string[] {
  return [...fact.blobs.filter((d) => !repo.hasBlob(d)), ...fact.children.filter((d) => !repo.hasManifest(d))];
}

export interface ImageSpec {
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly docker: boolean;
  readonly annotations?: Record<string, string> | undefined;
}

export interface BuiltManifest {
  readonly manifest: Content;
  /** Blobs to push before the manifest. */
  readonly blobs: readonly Content[];
  /** The digest of the manifest's subject, if it has one. */
  readonly subject: string | undefined;
  readonly fact: (arrival: { at: number; done: number }) => ManifestFact;
}

export function buildImage(world: World, spec: ImageSpec): BuiltManifest {
  const config = configBlob(world, spec.configSeed, spec.docker);
  const layers = spec.layers.map((i) => world.pool[i % world.pool.length]).filter((c): c is Content => c !== undefined);
  const typed = layers.map((l) => ({ ...l, mediaType: spec.docker ? DOCKER_LAYER : l.mediaType }));
  const manifest = spec.docker ? dockerManifest(config, typed) : imageManifest(config, typed, spec.annotations ? { annotations: spec.annotations } : {});
  return {
    manifest,
    blobs: [config, ...layers],
    subject: undefined,
    fact: (arrival) => ({
      ...arrival,
      content: manifest,
      kind: 'image',
      blobs: [config.digest, ...layers.map((l) => l.digest)],
      children: [],
      subject: undefined,
      artifactType: config.mediaType,
      annotations: spec.docker ? undefined : spec.annotations,
    }),
  };
}

export function buildIndex(children: readonly ManifestFact[], annotations: Record<string, string> | undefined, subject?: Content): BuiltManifest {
  const extra: Record<string, unknown> = {};
  if (annotations) extra.annotations = annotations;
  if (subject) extra.subject = descriptor(subject);
  const manifest = imageIndex(children.map((c) => c.content), extra);
  return {
    manifest,
    blobs: [],
    subject: subject?.digest,
    fact: (arrival) => ({
      ...arrival,
      content: manifest,
      kind: 'index',
      blobs: [],
      children: children.map((c) => c.content.digest),
      subject: subject?.digest,
      artifactType: undefined,
      annotations,
    }),
  };
}

/** An OCI 1.1 artifact: artifactType, the empty config, one layer (a pool blob or the empty descriptor). */
export function buildArtifact(world: World, subject: Content, type: string, layer: number | undefined, annotations: Record<string, string> | undefined): BuiltManifest {
  const blob = layer === undefined ? EMPTY_CONFIG : (world.pool[layer % world.pool.length] ?? EMPTY_CONFIG);
  const manifest = artifactManifest(subject, type, [blob], annotations);
  const blobs = blob === EMPTY_CONFIG ? [EMPTY_CONFIG] : [EMPTY_CONFIG, blob];
  return {
    manifest,
    blobs,
    subject: subject.digest,
    fact: (arrival) => ({
      ...arrival,
      content: manifest,
      kind: 'image',
      blobs: [...new Set(blobs.map((b) => b.digest))],
      children: [],
      subject: subject.digest,
      artifactType: type,
      annotations,
    }),
  };
}

/** Pushes the blobs a built manifest needs and puts the manifest in the run's universe. */
export async function prepareBuilt(world: World, model: Model, repo: RepoModel, built: BuiltManifest, what: string): Promise<void> {
  await ensureBlobs(world, model, repo, built.blobs, what);
  model.noteManifest(built.manifest);
}

/** Pushes a built manifest (its blobs first) by `tag`, or by digest when undefined, and records it. */
export async function pushBuilt(world: World, model: Model, repo: RepoModel, built: BuiltManifest, tag: string | undefined, what: string): Promise<void> {
  await prepareBuilt(world, model, repo, built, what);
  const at = Date.now();
  await putManifest(world, repo.name, tag ?? built.manifest.digest, built.manifest, built.subject, what);
  repo.addManifest(built.fact({ at, done: Date.now() }), tag === undefined ? [] : [tag]);
}
