/**
 * Every way a client pushes a blob (distribution-spec "Pushing blobs"): monolithic (POST, then PUT
 * with the whole blob, end-4a/end-6), single POST (POST ?digest= with the blob, end-4b), chunked
 * (POST, PATCH with Content-Range per chunk, PUT closing with the last chunk, end-5/end-6) and
 * streamed (POST, one PATCH without Content-Range, Transfer-Encoding: chunked, as skopeo and podman
 * send it, then PUT), plus cross-repository mount (end-11). Each flow reports the session it opened
 * and every chunk the registry acknowledged, so a scenario can check that acknowledged chunks
 * survive a crash. The final answer is returned whatever its status; no answer throws NoAnswer.
 */
import type { Content } from '../conformance/content.ts';
import type { Answer, Client } from './http.ts';

export const FLOWS = ['monolithic', 'single-post', 'chunked', 'streamed'] as const;
export type Flow = (typeof FLOWS)[number];

export interface FlowHooks {
  /** The session the flow opened (its absolute URL) and how many bytes it will send in total. */
  onSession?(url: string): void;
  /** The registry acknowledged (202 with Range) the first `bytes` bytes of the session. */
  onChunk?(bytes: number): void;
  /** About to send bytes up to `bytes` of the blob (in flight from now on). */
  onSending?(bytes: number): void;
}

const OCTET = 'application/octet-stream';

export function withDigest(location: string, base: string, digest: string): string {
  const url = new URL(location, `${base}/`);
  url.searchParams.append('digest', digest);
  return url.toString();
}

async function open(client: Client, repo: string, hooks: FlowHooks): Promise<Answer | string> {
  const opened = await client.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  const location = opened.header('location');
  if (opened.status !== 202 || location === undefined) return opened;
  const url = new URL(location, `${client.baseUrl}/`).toString();
  hooks.onSession?.(url);
  return url;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Pushes `blob` to `repo` by `flow`; `chunk` is the chunk size of the chunked and streamed flows. */
export async function pushBlob(client: Client, repo: string, blob: Content, flow: Flow, chunk: number, hooks: FlowHooks = {}): Promise<Answer> {
  if (flow === 'single-post') {
    hooks.onSending?.(blob.size);
    return client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: { 'Content-Type': OCTET } });
  }
  const session = await open(client, repo, hooks);
  if (typeof session !== 'string') return session;
  if (flow === 'monolithic') {
    hooks.onSending?.(blob.size);
    return client.request('PUT', withDigest(session, client.baseUrl, blob.digest), { body: blob.bytes, headers: { 'Content-Type': OCTET } });
  }
  let url = session;
  if (flow === 'streamed') {
    hooks.onSending?.(blob.size);
    const patched = await client.request('PATCH', url, { body: pieces(blob.bytes, chunk), headers: { 'Content-Type': OCTET } });
    if (patched.status !== 202) return patched;
    hooks.onChunk?.(blob.size);
    url = new URL(patched.header('location') ?? url, `${client.baseUrl}/`).toString();
    return client.request('PUT', withDigest(url, client.baseUrl, blob.digest), { headers: { 'Content-Length': '0' } });
  }
  // chunked: every chunk but the last by PATCH, the last one with the closing PUT.
  let offset = 0;
  while (blob.size - offset > chunk) {
    const piece = blob.bytes.subarray(offset, offset + chunk);
    hooks.onSending?.(offset + piece.length);
    const headers = { 'Content-Type': OCTET, 'Content-Range': `${offset}-${offset + piece.length - 1}`, 'Content-Length': String(piece.length) };
    const patched = await client.request('PATCH', url, { body: piece, headers });
    if (patched.status !== 202) return patched;
    offset += piece.length;
    hooks.onChunk?.(offset);
    url = new URL(patched.header('location') ?? url, `${client.baseUrl}/`).toString();
  }
  const last = blob.bytes.subarray(offset);
  hooks.onSending?.(blob.size);
  const headers = { 'Content-Type': OCTET, 'Content-Range': `${offset}-${blob.size - 1}`, 'Content-Length': String(last.length) };
  return client.request('PUT', withDigest(url, client.baseUrl, blob.digest), last.length > 0 ? { body: last, headers } : { headers: { 'Content-Length': '0' } });
}

/** Mounts `digest` from `from` into `repo` (POST ?mount=&from=): 201 when mounted. */
export function mountBlob(client: Client, repo: string, digest: string, from: string): Promise<Answer> {
  return client.request('POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, { headers: { 'Content-Length': '0' } });
}
