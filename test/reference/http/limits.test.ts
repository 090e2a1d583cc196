/**
 * Bounded time and memory per request: a client that stalls is cut off after the idle timeout and
 * its upload stays resumable from what arrived; uploads streaming at once and manifest bytes held
 * at once are capped with 429 TOOMANYREQUESTS and Retry-After (spec code-14); a blob larger than
 * the maximum is refused with 413; garbage collection finishes while a client stalls mid-PATCH
 * (it never waits on a client).
 */
import t from 'tap';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OCI_MANIFEST, MANIFEST_MAX_BYTES } from '../../../spec/media-types.ts';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { closedWithin, openSocket, readReply } from '../../helpers/raw.ts';
import { sha256 } from '../../helpers/oci.ts';

const name = 'limits/repo';

async function openSession(url: string): Promise<string> {
  const reply = await call(url, 'POST', `/v2/${name}/blobs/uploads/`);
  return reply.header('location') ?? '';
}

/** Starts a PATCH of `declared` bytes on a raw connection and sends only `sent` of them. */
async function stalledPatch(url: string, session: string, declared: number, sent: Buffer) {
  const socket = await openSocket(url);
  socket.write(`PATCH ${session} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
  socket.write(sent);
  return socket;
}

t.test('a stalled PATCH is cut off after the idle timeout; the upload resumes from what arrived', async (t) => {
  const registry = await startTestRegistry(t, { idleTimeoutMs: 1_000 });
  const whole = Buffer.alloc(1000, 7);
  const session = await openSession(registry.url);
  const socket = await stalledPatch(registry.url, session, 1000, whole.subarray(0, 100));
  const ms = await closedWithin(socket, 5_000);
  t.ok(ms < 5_000, `the registry closed the stalled connection (after ${ms} ms)`);
  let status = await call(registry.url, 'GET', session);
  for (let i = 0; i < 50 && status.header('range') !== '0-99'; i++) {
    await sleep(20);
    status = await call(registry.url, 'GET', session);
  }
  t.equal(status.status, 204, 'the session is still there');
  t.equal(status.header('range'), '0-99', 'with the 100 bytes that arrived');
  const rest = await call(registry.url, 'PATCH', session, { body: whole.subarray(100), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '100-999' } });
  t.equal(rest.status, 202, 'the client resumes at 100');
  const put = await call(registry.url, 'PUT', `${session}?digest=${sha256(whole)}`);
  t.equal(put.status, 201, 'and finishes with the digest of the whole blob');

  const idle = await openSocket(registry.url);
  t.ok((await closedWithin(idle, 5_000)) < 5_000, 'a connection that never sends a byte is closed too');
});

t.test('uploads streaming at once are capped: 429 TOOMANYREQUESTS with Retry-After, then a free slot is taken', async (t) => {
  const registry = await startTestRegistry(t, { maxUploads: 2 });
  const sockets: Socket[] = [];
  for (let i = 0; i < 2; i++) sockets.push(await stalledPatch(registry.url, await openSession(registry.url), 1000, Buffer.alloc(10)));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await sleep(100);
  const third = await call(registry.url, 'PATCH', await openSession(registry.url), { body: Buffer.alloc(10), headers: { 'Content-Type': 'application/octet-stream' } });
  t.equal(third.status, 429);
  t.equal(third.json<{ errors: { code: string }[] }>().errors[0]?.code, 'TOOMANYREQUESTS');
  t.equal(third.header('retry-after'), '1');
  const single = await call(registry.url, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(Buffer.from('x'))}`, { body: 'x' });
  t.equal(single.status, 429, 'a single POST with the blob takes a slot too');
  t.equal((await call(registry.url, 'GET', '/v2/')).status, 200, 'other requests are served');
  sockets[0]?.destroy();
  let after = 429;
  for (let i = 0; i < 50 && after === 429; i++) {
    await sleep(20);
    after = (await call(registry.url, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(Buffer.from('x'))}`, { body: 'x' })).status;
  }
  t.equal(after, 201, 'a slot frees when its client goes');
});

t.test('manifest bytes held at once are capped: 429 before the body is read', async (t) => {
  const registry = await startTestRegistry(t, { maxManifestMemory: 2 * MANIFEST_MAX_BYTES });
  const sockets: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = await openSocket(registry.url);
    socket.write(`PUT /v2/${name}/manifests/stalled${i} HTTP/1.1\r\nHost: x\r\nContent-Type: ${OCI_MANIFEST}\r\nContent-Length: ${MANIFEST_MAX_BYTES}\r\n\r\n`);
    socket.write(Buffer.alloc(64 * 1024, 0x20));
    sockets.push(socket);
  }
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await sleep(100);
  const socket = await openSocket(registry.url);
  t.teardown(() => socket.destroy());
  socket.write(`PUT /v2/${name}/manifests/third HTTP/1.1\r\nHost: x\r\nContent-Type: ${OCI_MANIFEST}\r\nContent-Length: 100\r\n\r\n`);
  const reply = await readReply(socket);
  t.equal(reply?.status, 429, 'no room for another manifest: answered before its body');
  t.equal(reply?.headers['retry-after'], '1');
  t.equal(reply?.headers.connection, 'close', 'and the connection closed, its body never read');
});

t.test('a blob larger than the maximum is refused with 413 SIZE_INVALID', async (t) => {
  const registry = await startTestRegistry(t, { maxBlobBytes: 1000 });
  const declared = await call(registry.url, 'PATCH', await openSession(registry.url), { body: Buffer.alloc(1001), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-1000' } });
  t.equal(declared.status, 413, 'a chunk declared too large');
  t.equal(declared.json<{ errors: { code: string }[] }>().errors[0]?.code, 'SIZE_INVALID');
  const session = await openSession(registry.url);
  t.equal((await call(registry.url, 'PATCH', session, { body: Buffer.alloc(600) })).status, 202);
  t.equal((await call(registry.url, 'PATCH', session, { body: Buffer.alloc(600) })).status, 413, 'a streamed chunk that passes the maximum');
  t.equal((await call(registry.url, 'GET', session)).header('range'), '0-599', 'the refused chunk left nothing behind');
  const big = Buffer.alloc(1001, 1);
  t.equal((await call(registry.url, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(big)}`, { body: big })).status, 413, 'a single POST too');
});

t.test('garbage collection completes while a client stalls mid-PATCH, and leaves its session', async (t) => {
  const registry = await startTestRegistry(t, { gcGraceMs: 0 });
  const session = await openSession(registry.url);
  const socket = await stalledPatch(registry.url, session, 1000, Buffer.alloc(2));
  t.teardown(() => socket.destroy());
  await sleep(100);
  const started = Date.now();
  const gc = await Promise.race([call(registry.url, 'POST', '/_touchstone/gc?advance=3600'), sleep(5_000).then(() => undefined)]);
  t.equal(gc?.status, 200, `GC answered (in ${Date.now() - started} ms) instead of waiting for the stalled client`);
  t.equal(gc?.json<{ uploadsRemoved: number }>().uploadsRemoved, 0, 'the session in use is not idle: kept');
  socket.destroy();
  await sleep(100);
  const again = await call(registry.url, 'POST', '/_touchstone/gc?advance=3600');
  t.equal(again.json<{ uploadsRemoved: number }>().uploadsRemoved, 1, 'once its client is gone, the idle session goes');
});
