/**
 * How the benchmark judges every answer. An answer the spec does not allow for the request — a
 * status outside the expected set, a blob whose bytes do not hash to its digest (spec "Pulling
 * blobs": the content is addressed by its digest), a body shorter or longer than the blob, a
 * manifest not served byte for byte as pushed ("Pulling manifests") — is an Anomaly of a named
 * kind, counted per kind. A connection the registry drops is one too ("connection UND_ERR_SOCKET"),
 * and an answer that breaks off after its status line ("short body").
 * Blob bodies stream through a hash (the client's sink), never buffered.
 */
import { createHash } from 'node:crypto';
import { BrokenResponse, HarnessError } from '../conformance/client/errors.ts';
import { bodyText } from '../conformance/client/exchange.ts';
import type { RegistryClient, Reply, RequestOptions } from '../conformance/client/registry-client.ts';

/** A wrong answer of the registry, by kind ("status 500", "digest mismatch", "short body"). */
export class Anomaly extends Error {
  override readonly name = 'Anomaly';
  readonly kind: string;

  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The kind of a network failure from the client's message, which ends in "(CODE)". */
function connectionKind(error: HarnessError): string {
  return `connection ${/\(([^()]+)\)$/.exec(error.message)?.[1] ?? 'error'}`;
}

/** One request; a dropped connection becomes an Anomaly. Returns the reply and its time to first body byte. */
export async function send(client: RegistryClient, method: string, path: string, options: RequestOptions = {}): Promise<Reply & { ttfbMs: number }> {
  const started = performance.now();
  let first: number | undefined;
  const sink = options.sink;
  const timed: RequestOptions = sink === undefined ? options : {
    ...options,
    sink: (chunk) => {
      first ??= performance.now();
      sink(chunk);
    },
  };
  try {
    const reply = await client.request(method, path, timed);
    return Object.assign(reply, { ttfbMs: (first ?? performance.now()) - started });
  } catch (error) {
    if (error instanceof HarnessError) throw new Anomaly(connectionKind(error), error.message);
    // An answer that began and broke off (or was not HTTP): the registry's, like a short body.
    if (error instanceof BrokenResponse) throw new Anomaly(error.exchange?.status === 0 ? 'malformed response' : 'short body', error.message);
    throw error;
  }
}

/** Throws `status N` unless the reply's status is one of `allowed`. */
export function expectStatus(reply: Reply, allowed: readonly number[], what: string): void {
  if (allowed.includes(reply.status)) return;
  const body = bodyText(reply.exchange.responseBody, 200);
  throw new Anomaly(`status ${reply.status}`, `${what}: expected ${allowed.join(' or ')}, got ${reply.status}${body ? ` ${body}` : ''}`);
}

export function location(client: RegistryClient, reply: Reply, what: string): string {
  const value = reply.header('location');
  if (value === undefined || value === '') throw new Anomaly('missing Location', `${what}: ${reply.status} without Location`);
  return client.resolve(value);
}

/** The parts of a blob pull a workload measures. */
export interface Pulled {
  readonly bytes: number;
  readonly ttfbMs: number;
}

/**
 * GET a blob, hashing it as it streams: 200 with exactly `size` bytes that hash to `digest`, and
 * a Docker-Content-Digest, when sent, naming that digest.
 */
export async function pullBlob(client: RegistryClient, repo: string, digest: string, size: number): Promise<Pulled> {
  const hash = createHash('sha256');
  let received = 0;
  const what = `GET /v2/${repo}/blobs/${digest}`;
  let reply;
  try {
    reply = await send(client, 'GET', `/v2/${repo}/blobs/${digest}`, {
      sink: (chunk) => {
        received += chunk.length;
        hash.update(chunk);
      },
    });
  } catch (error) {
    if (error instanceof Anomaly && received > 0 && received < size) throw new Anomaly('short body', `${what}: the connection ended after ${received} of ${size} bytes`);
    throw error;
  }
  expectStatus(reply, [200], what);
  if (received < size) throw new Anomaly('short body', `${what}: ${received} of ${size} bytes`);
  if (received > size) throw new Anomaly('long body', `${what}: ${received} bytes for a ${size}-byte blob`);
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest) throw new Anomaly('digest mismatch', `${what}: the bytes hash to ${got}`);
  const header = reply.header('docker-content-digest');
  if (header !== undefined && header !== digest) throw new Anomaly('wrong Docker-Content-Digest', `${what}: Docker-Content-Digest ${header}`);
  return { bytes: received, ttfbMs: reply.ttfbMs };
}

/** GET a small document (manifest, tag list, referrers index) through the sink, so its time to first byte is known. */
export async function getDocument(client: RegistryClient, path: string, headers: Record<string, string> = {}): Promise<{ reply: Reply; body: Buffer; ttfbMs: number }> {
  const chunks: Uint8Array[] = [];
  const reply = await send(client, 'GET', path, { headers, sink: (chunk) => chunks.push(chunk) });
  const body = reply.status >= 200 && reply.status < 300 ? Buffer.concat(chunks) : reply.body;
  return { reply, body, ttfbMs: reply.ttfbMs };
}

/** JSON of a document body, or an Anomaly. */
export function parseJson<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new Anomaly('invalid JSON', `${what}: the body is not JSON (${body.length} bytes)`);
  }
}
