/**
 * The push workloads: one blob per operation by each upload flow of the spec ("Pushing blobs"):
 * POST then PUT with the whole blob (end-4a, end-6), a single POST with ?digest= (end-4b, which
 * a registry may answer 202 instead: then it does not offer it), chunks PATCHed with
 * Content-Range (end-5; the chunk is raised to the registry's OCI-Chunk-Min-Length), and one
 * PATCH streamed without Content-Range, as skopeo and podman push. Bytes are generated while
 * they stream and hashed as they go out; the digest the closing PUT names is that hash.
 */
import { createHash, type Hash } from 'node:crypto';
import type { BlobRef } from '../content.ts';
import type { Settings } from '../settings.ts';
import { Anomaly, expectStatus, location, send } from '../verify.ts';
import type { Prepared, Target, Workload } from './types.ts';

const OCTET = 'application/octet-stream';

async function* stream(pieces: Iterable<Buffer>): AsyncGenerator<Uint8Array> {
  yield* pieces;
}

function withDigest(url: string, digest: string): string {
  const parsed = new URL(url);
  parsed.searchParams.append('digest', digest);
  return parsed.toString();
}

/** The hash of what was sent must be the digest the blob was made with (else the benchmark itself is wrong). */
function sentDigest(hash: Hash, blob: BlobRef): string {
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== blob.digest) throw new Error(`harness: the bytes sent hash to ${digest}, not ${blob.digest}`);
  return digest;
}

/** POST …/blobs/uploads/: 202 with Location (end-4a); returns the session URL and its minimum chunk. */
async function open(target: Target, repo: string): Promise<{ url: string; minChunk: number }> {
  const reply = await send(target.client, 'POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  expectStatus(reply, [202], `POST /v2/${repo}/blobs/uploads/`);
  const min = Number(reply.header('oci-chunk-min-length') ?? 0);
  return { url: location(target.client, reply, 'POST upload'), minChunk: Number.isFinite(min) && min > 0 ? min : 0 };
}

/** PUT <session>?digest=…: 201 with Location (end-6). */
async function close(target: Target, url: string, digest: string, body?: { bytes: AsyncIterable<Uint8Array>; size: number }): Promise<void> {
  const headers: Record<string, string> = body ? { 'Content-Type': OCTET, 'Content-Length': String(body.size) } : { 'Content-Length': '0' };
  const reply = await send(target.client, 'PUT', withDigest(url, digest), { headers, ...(body ? { body: body.bytes } : {}) });
  expectStatus(reply, [201], 'PUT <session>?digest=');
  location(target.client, reply, 'PUT <session>?digest=');
}

/** `Range: 0-<last byte>` after a PATCH (end-5, end-13). */
function expectRange(reply: { header(name: string): string | undefined }, received: number, what: string): void {
  const range = reply.header('range');
  if (received > 0 && range !== `0-${received - 1}`) throw new Anomaly('wrong Range', `${what}: Range ${range ?? 'missing'} after ${received} bytes`);
}

export async function pushMonolithic(target: Target, repo: string, blob: BlobRef): Promise<number> {
  const session = await open(target, repo);
  const hash = createHash('sha256');
  await close(target, session.url, blob.digest, { bytes: stream(target.blobs.bytes(blob, 0, blob.size, hash)), size: blob.size });
  sentDigest(hash, blob);
  return 2;
}

/** Single POST; resolves to the status when the registry answers 202 (it does not offer it). */
export async function pushPost(target: Target, repo: string, blob: BlobRef): Promise<number | 'session'> {
  const hash = createHash('sha256');
  const what = `POST /v2/${repo}/blobs/uploads/?digest=`;
  const reply = await send(target.client, 'POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    headers: { 'Content-Type': OCTET, 'Content-Length': String(blob.size) },
    body: stream(target.blobs.bytes(blob, 0, blob.size, hash)),
  });
  if (reply.status === 202) {
    const session = reply.header('location');
    if (session) await send(target.client, 'DELETE', target.client.resolve(session)).catch(() => undefined);
    return 'session';
  }
  expectStatus(reply, [201], what);
  location(target.client, reply, what);
  sentDigest(hash, blob);
  return 1;
}

export async function pushChunked(target: Target, repo: string, blob: BlobRef, chunkSize: number): Promise<number> {
  const session = await open(target, repo);
  const chunk = Math.max(chunkSize, session.minChunk);
  const hash = createHash('sha256');
  let url = session.url;
  let requests = 1;
  for (let start = 0; start < blob.size; start += chunk) {
    const end = Math.min(blob.size, start + chunk);
    const what = `PATCH Content-Range ${start}-${end - 1}`;
    const reply = await send(target.client, 'PATCH', url, {
      headers: { 'Content-Type': OCTET, 'Content-Range': `${start}-${end - 1}`, 'Content-Length': String(end - start) },
      body: stream(target.blobs.bytes(blob, start, end, hash)),
    });
    requests += 1;
    expectStatus(reply, [202], what);
    url = location(target.client, reply, what);
    expectRange(reply, end, what);
  }
  await close(target, url, sentDigest(hash, blob));
  return requests + 1;
}

export async function pushStreamed(target: Target, repo: string, blob: BlobRef): Promise<number> {
  const session = await open(target, repo);
  const hash = createHash('sha256');
  const what = 'PATCH (streamed, no Content-Range)';
  const reply = await send(target.client, 'PATCH', session.url, { headers: { 'Content-Type': OCTET }, body: stream(target.blobs.bytes(blob, 0, blob.size, hash)) });
  expectStatus(reply, [202], what);
  const url = location(target.client, reply, what);
  expectRange(reply, blob.size, what);
  await close(target, url, sentDigest(hash, blob));
  return 3;
}

type Flow = (target: Target, repo: string, blob: BlobRef, settings: Settings) => Promise<number | 'session'>;

function pushWorkload(name: string, description: string, flow: Flow, probe = false): Workload {
  return {
    name,
    description,
    sized: true,
    pushShare: () => 1,
    setupBytes: (_settings, size) => (probe ? size : 0),
    async prepare(target, settings, size): Promise<Prepared> {
      const repo = `${target.prefix}/${name}`;
      if (probe) {
        const blob = target.fresh(size);
        if ((await flow(target, repo, blob, settings)) === 'session') return { unsupported: `${name}: 202 with an upload session (the registry does not offer it; spec end-4b allows that)` };
        target.setup.blob(repo, blob);
      }
      return {
        op: async (_index, scope) => {
          const blob = target.fresh(size);
          const requests = await flow(target, repo, blob, settings);
          if (requests === 'session') throw new Anomaly('status 202', `POST ?digest=: 202 after the registry had answered 201`);
          scope.ledger.blob(repo, blob);
          return { bytes: blob.size, requests };
        },
      };
    },
  };
}

export const PUSH_WORKLOADS: readonly Workload[] = [
  pushWorkload('push-monolithic', 'POST, then PUT ?digest= with the whole blob (end-4a, end-6)', (t, r, b) => pushMonolithic(t, r, b)),
  pushWorkload('push-post', 'single POST ?digest= with the whole blob (end-4b)', (t, r, b) => pushPost(t, r, b), true),
  pushWorkload('push-chunked', 'POST, PATCH chunks with Content-Range, PUT ?digest= (end-5, end-6)', (t, r, b, s) => pushChunked(t, r, b, s.chunkSize)),
  pushWorkload('push-streamed', 'POST, one PATCH streamed without Content-Range (as skopeo), PUT ?digest=', (t, r, b) => pushStreamed(t, r, b)),
];

