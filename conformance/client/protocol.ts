/**
 * The upload protocol, step by step (spec "Pushing blobs"): open a session (POST, end-4a), send a
 * chunk with Content-Range (PATCH, end-5), close with ?digest= (PUT, end-6), each with the
 * statuses and headers the spec makes MUST — 202 with Location, `Range: 0-<end-of-range>` after a
 * chunk, 201 with Location on close. Shared by the scripted upload checks and the property
 * layer's commands, so both hold a registry to the same protocol. A miss throws CheckFailure.
 */
import { CheckFailure } from './errors.ts';
import { ensure, expectStatus } from './expect.ts';
import type { RegistryClient, Reply } from './registry-client.ts';

export const OCTET = { 'Content-Type': 'application/octet-stream' } as const;

export interface Session {
  /** The absolute URL of the session (its Location resolved). */
  readonly url: string;
  /** OCI-Chunk-Min-Length of the POST, 0 when absent. */
  readonly minChunk: number;
}

/** The absolute URL of a reply's Location, or a failure naming `what`. */
export function locationOf(client: RegistryClient, reply: Reply, what: string): string {
  const location = reply.header('location');
  if (location === undefined || location === '') throw new CheckFailure(`${what}: ${reply.status} without Location`, reply.exchange);
  return client.resolve(location);
}

/** Adds `?digest=` (or `&digest=`) to a session URL, keeping its own query (spec: clients MUST keep it). */
export function withDigest(session: string, digest: string): string {
  const url = new URL(session);
  url.searchParams.append('digest', digest);
  return url.toString();
}

/** POST …/blobs/uploads/[?query] with Content-Length: 0 (as the chunked flow requires): 202 with Location. */
export async function openUpload(client: RegistryClient, repo: string, query = ''): Promise<Session> {
  const reply = await client.request('POST', `/v2/${repo}/blobs/uploads/${query}`, { headers: { 'Content-Length': '0' } });
  expectStatus(reply, [202], `POST /v2/${repo}/blobs/uploads/${query}`);
  const minChunk = Number(reply.header('oci-chunk-min-length') ?? 0);
  return { url: locationOf(client, reply, 'POST upload'), minChunk: Number.isFinite(minChunk) && minChunk > 0 ? minChunk : 0 };
}

/** The `Range: 0-<end>` of a session reply must end at the last byte received (`received` - 1). */
export function expectRange(reply: Reply, received: number, what: string): void {
  const range = reply.header('range');
  const expected = `0-${received - 1}`;
  // An empty session has no last byte: "0-0" (Distribution, the reference) or "0--1" are both seen.
  const ok = range === expected || (received === 0 && (range === '0-0' || range === undefined));
  ensure(ok, `${what}: expected header Range: ${expected}, got ${range === undefined ? 'none' : JSON.stringify(range)}`, reply);
}

/** The headers of a chunk of `length` bytes at `start`: Content-Range `<start>-<end>`, inclusive (end-5). */
export function chunkHeaders(start: number, length: number): Record<string, string> {
  return { ...OCTET, 'Content-Range': `${start}-${start + length - 1}`, 'Content-Length': String(length) };
}

/** PATCH `bytes` as the chunk at `start`: the reply, not yet judged (out-of-order and cancelled-session probes judge it themselves). */
export function sendChunk(client: RegistryClient, url: string, bytes: Uint8Array, start: number): Promise<Reply> {
  return client.request('PATCH', url, { body: bytes, headers: chunkHeaders(start, bytes.length) });
}

/** PATCH one chunk with Content-Range; 202 with Location and Range; returns the next session URL. */
export async function patchChunk(client: RegistryClient, url: string, bytes: Uint8Array, start: number, what: string): Promise<string> {
  const end = start + bytes.length - 1;
  const reply = await sendChunk(client, url, bytes, start);
  expectStatus(reply, [202], `${what}: PATCH Content-Range ${start}-${end}`);
  const next = locationOf(client, reply, `${what}: PATCH`);
  expectRange(reply, end + 1, `${what}: PATCH Content-Range ${start}-${end}`);
  return next;
}

/** PUT <session>?digest= (optionally with a last chunk at `last.start`): the reply, not yet judged. */
export function putClose(client: RegistryClient, url: string, digest: string, last?: { bytes: Uint8Array; start: number }): Promise<Reply> {
  const headers = last ? chunkHeaders(last.start, last.bytes.length) : { 'Content-Length': '0' };
  return client.request('PUT', withDigest(url, digest), { headers, ...(last ? { body: last.bytes } : {}) });
}

/** The whole blob in the PUT that closes a fresh session (monolithic POST then PUT). */
export function putWhole(client: RegistryClient, url: string, bytes: Uint8Array, digest: string): Promise<Reply> {
  return client.request('PUT', withDigest(url, digest), { body: bytes, headers: { ...OCTET, 'Content-Length': String(bytes.length) } });
}

/** Best effort: release a session no longer needed (end-14); failures are ignored. */
export async function releaseUpload(client: RegistryClient, url: string): Promise<void> {
  await client.request('DELETE', url).catch(() => undefined);
}

/** Splits `bytes` into pieces of `size` for a streamed body (Transfer-Encoding: chunked). */
export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
