/**
 * Upload sessions of the store: create/append/finish for sha256 and sha512, out-of-order and
 * mismatched chunks, chunks whose stream fails half-way (the session and its running hash roll
 * back), the last chunk in finish, digest mismatch, sessions bound to their repository, cancel,
 * single-request pushes, the empty blob, and sessions fed in turn past the running hashes kept.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EMPTY_BLOB_SHA256 } from '../../../spec/grammars.ts';
import { dir } from 'tmp-promise';
import { ImageStore } from '../../../reference/store/image-store.ts';
import { sha256, sha512 } from '../../helpers/oci.ts';
import { body, entriesOf, failingBody, openTestStore, rejectsKind } from '../../helpers/store.ts';

const R = 'up/repo';

async function blobBytes(store: ImageStore, name: string, digest: string): Promise<Buffer> {
  return readFile((await store.statBlob(name, digest)).path);
}

t.test('chunked upload with sha256: create, append with ranges, finish', async (t) => {
  const { store, root } = await openTestStore(t);
  const id = await store.uploads.create(R);
  t.equal(await store.uploads.size(R, id), 0, 'a new session is empty');
  t.equal(await store.uploads.append(R, id, body('hello '), { start: 0, end: 5, length: 6 }), 6, 'first chunk');
  t.equal(await store.uploads.append(R, id, body('chunked '), { start: 6, end: 13, length: 8 }), 14, 'second chunk');
  t.equal(await store.uploads.append(R, id, body('world'), {}), 19, 'a streamed chunk without a range');
  t.equal(await store.uploads.size(R, id), 19, 'size reports every byte');
  const whole = Buffer.from('hello chunked world');
  t.equal(await store.uploads.finish(R, id, sha256(whole)), 19, 'finish returns the size');
  t.same(await blobBytes(store, R, sha256(whole)), whole, 'the blob holds the bytes');
  await rejectsKind(t, store.uploads.size(R, id), 'UPLOAD_UNKNOWN', 'the session is gone after finish');
  t.same(await entriesOf(join(root, '_uploads')), [], '_uploads/ is empty');
});

t.test('chunked upload with sha512 (digest-algorithm) and across algorithms', async (t) => {
  const { store } = await openTestStore(t);
  const whole = Buffer.from('a blob hashed with sha512 while streaming');
  const id = await store.uploads.create(R, 'sha512');
  await store.uploads.append(R, id, body(whole.subarray(0, 10)), { start: 0, end: 9, length: 10 });
  await store.uploads.append(R, id, body(whole.subarray(10)), { start: 10, end: whole.length - 1 });
  t.equal(await store.uploads.finish(R, id, sha512(whole)), whole.length, 'finished with the sha512 digest');
  t.same(await blobBytes(store, R, sha512(whole)), whole, 'stored under sha512');

  // A sha256 session closed with a sha512 digest (and the reverse) is rehashed from the file.
  const a = await store.uploads.create(R);
  await store.uploads.append(R, a, body('cross algorithm'), {});
  t.equal(await store.uploads.finish(R, a, sha512(Buffer.from('cross algorithm'))), 15, 'sha256 session, sha512 digest');
  const b = await store.uploads.create(R, 'sha512');
  await store.uploads.append(R, b, body('other way'), {});
  t.equal(await store.uploads.finish(R, b, sha256(Buffer.from('other way'))), 9, 'sha512 session, sha256 digest');
  t.ok(await store.blobs.has(R, sha256(Buffer.from('other way'))), 'stored under sha256');

  await rejectsKind(t, store.uploads.create(R, 'md5'), 'DIGEST_UNSUPPORTED', 'an unknown algorithm is refused');
  await rejectsKind(t, store.uploads.create(R, 'SHA256'), 'DIGEST_UNSUPPORTED', 'algorithm names are case-sensitive');
});

t.test('a chunk out of order is refused with the current size, and the session goes on', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('abc'), { start: 0, end: 2, length: 3 });
  const ahead = await rejectsKind(t, store.uploads.append(R, id, body('xyz'), { start: 5, end: 7, length: 3 }), 'UPLOAD_OUT_OF_ORDER', 'a gap');
  t.same(ahead?.detail, { size: 3 }, 'detail.size is where to resume');
  const behind = await rejectsKind(t, store.uploads.append(R, id, body('bc'), { start: 1, end: 2, length: 2 }), 'UPLOAD_OUT_OF_ORDER', 'an overlap');
  t.same(behind?.detail, { size: 3 }, 'detail.size again');
  await rejectsKind(t, store.uploads.finish(R, id, sha256(Buffer.from('abcdef')), body('def'), { start: 4, end: 6 }), 'UPLOAD_OUT_OF_ORDER', 'a last chunk out of order');
  t.equal(await store.uploads.size(R, id), 3, 'nothing was written');
  await store.uploads.append(R, id, body('def'), { start: 3, end: 5, length: 3 });
  t.equal(await store.uploads.finish(R, id, sha256(Buffer.from('abcdef'))), 6, 'the resumed session has the right digest');
});

t.test('Content-Range and Content-Length that disagree with each other or the body', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('abc'), { start: 0, end: 2, length: 3 });

  await rejectsKind(t, store.uploads.append(R, id, body('defg'), { start: 3, end: 7, length: 4 }), 'UPLOAD_INVALID', 'range of 5 bytes, length 4');
  t.equal(await store.uploads.size(R, id), 3, 'nothing written');
  await rejectsKind(t, store.uploads.append(R, id, body('d'), { start: 3, end: 1 }), 'UPLOAD_INVALID', 'a range that ends before it starts');

  const short = await rejectsKind(t, store.uploads.append(R, id, body('de'), { start: 3, end: 7 }), 'UPLOAD_INVALID', 'range of 5 bytes, body of 2');
  t.same(short?.detail, { declared: 5 }, 'detail says what was declared');
  t.equal(await store.uploads.size(R, id), 3, 'the short chunk is rolled back');
  await rejectsKind(t, store.uploads.append(R, id, body('defghijk'), { length: 4 }), 'UPLOAD_INVALID', 'length 4, body of 8');
  t.equal(await store.uploads.size(R, id), 3, 'the long chunk is rolled back');
  await rejectsKind(t, store.uploads.append(R, id, body('de'), { start: 3, end: 5, length: 3 }), 'UPLOAD_INVALID', 'range and length agree, body shorter');
  t.equal(await store.uploads.size(R, id), 3, 'rolled back again');

  // The running hash was rolled back with the file: the final digest is right.
  await store.uploads.append(R, id, body('def'), { start: 3, end: 5, length: 3 });
  t.equal(await store.uploads.finish(R, id, sha256(Buffer.from('abcdef'))), 6, 'finish after rollbacks yields the digest of the clean prefix');
  t.same(await blobBytes(store, R, sha256(Buffer.from('abcdef'))), Buffer.from('abcdef'), 'content is the clean prefix');
});

t.test('a chunk cut off half-way keeps the bytes that arrived: the client resumes from the size the session reports', async (t) => {
  const { store } = await openTestStore(t);
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const digestOf = algorithm === 'sha256' ? sha256 : sha512;
    const whole = Buffer.concat([Buffer.from('abc'), Buffer.alloc(256 * 1024, 0x5a), Buffer.from('def'), Buffer.from('ghi')]);
    const id = await store.uploads.create(R, algorithm);
    await store.uploads.append(R, id, body('abc'), { start: 0, end: 2, length: 3 });
    await t.rejects(store.uploads.append(R, id, failingBody(whole.subarray(3, 3 + 256 * 1024)), { start: 3, end: whole.length - 1 }), `${algorithm}: a chunk cut off after 256 KiB`);
    const kept = await store.uploads.size(R, id);
    t.ok(kept > 3 && kept <= 3 + 256 * 1024, `${algorithm}: the bytes that arrived stay (${kept})`);
    t.same(await readFile(store.layout.uploadData(id)), whole.subarray(0, kept), `${algorithm}: the session is a prefix of what the client sent`);
    await store.uploads.append(R, id, body(whole.subarray(kept, whole.length - 3)), { start: kept, end: whole.length - 4 });
    // A last chunk in finish that is cut off keeps the session, which can be finished afterwards.
    await t.rejects(store.uploads.finish(R, id, digestOf(whole), failingBody('gh'), {}), `${algorithm}: a last chunk cut off`);
    const before = await store.uploads.size(R, id);
    t.ok(before >= whole.length - 3 && before <= whole.length - 1, `${algorithm}: the session survives with what arrived`);
    const rest = whole.subarray(before);
    t.equal(await store.uploads.finish(R, id, digestOf(whole), body(rest), { start: before, end: whole.length - 1, length: rest.length }), whole.length, `${algorithm}: finish succeeds`);
    t.same(await blobBytes(store, R, digestOf(whole)), whole, `${algorithm}: the blob is exactly what the client sent`);
  }
});

t.test('a chunk hashed but cut off before it reached the disk: the resumed upload still commits under its digest', async (t) => {
  const { store } = await openTestStore(t);
  const whole = Buffer.concat([Buffer.from('abc'), Buffer.alloc(64 * 1024, 0x33), Buffer.from('xyz')]);
  const id = await store.uploads.create(R, 'sha256');
  await store.uploads.append(R, id, body('abc'), { start: 0, end: 2, length: 3 });
  // The body fails right after its first chunk: the chunk is hashed at once, while the write of
  // it has not started (the file is still being opened), so none of it reaches the disk.
  const cut = Readable.from((async function* () {
    yield whole.subarray(3, 3 + 64 * 1024);
    throw new Error('client went away');
  })());
  await t.rejects(store.uploads.append(R, id, cut, { start: 3, end: whole.length - 1 }));
  const kept = await store.uploads.size(R, id);
  t.same(await readFile(store.layout.uploadData(id)), whole.subarray(0, kept), `the session is a prefix of what was sent (${kept} bytes)`);
  const rest = whole.subarray(kept);
  t.equal(await store.uploads.finish(R, id, sha256(whole), body(rest), { start: kept, end: whole.length - 1, length: rest.length }), whole.length, 'finish with the rest succeeds');
  t.same(await blobBytes(store, R, sha256(whole)), whole);
});

t.test('a chunk cut off with bytes still queued: the running hash goes on covering exactly the bytes on disk', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R, 'sha256');
  await store.uploads.append(R, id, body('abc'), { start: 0, end: 2, length: 3 });
  // The first part is on disk before the second is sent; the second is being written and the
  // third queued behind it when the client goes away: the queued bytes never reach the disk.
  const parts = [Buffer.alloc(64 * 1024, 0x41), Buffer.alloc(1024 * 1024, 0x42), Buffer.alloc(1024 * 1024, 0x43)];
  const cut = Readable.from((async function* () {
    yield parts[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
    yield parts[1];
    yield parts[2];
    throw new Error('client went away');
  })());
  await t.rejects(store.uploads.append(R, id, cut, {}));
  const kept = await store.uploads.size(R, id);
  const sent = Buffer.concat([Buffer.from('abc'), ...parts]);
  t.ok(kept > 3 && kept < sent.length, `some of the chunk reached the disk, not all (${kept} bytes)`);
  const onDisk = await readFile(store.layout.uploadData(id));
  t.same(onDisk, sent.subarray(0, kept), 'the session is a prefix of what was sent');
  // The file's bytes are changed behind the store's back: a PUT that hashed the file again would
  // see them; one that goes on from the running hash still finds the digest of what was sent.
  await writeFile(store.layout.uploadData(id), Buffer.alloc(kept, 0x5a));
  t.equal(await store.uploads.finish(R, id, sha256(onDisk)), kept, 'closed from the running hash, which covers exactly the bytes kept');
});

t.test('finish with a last chunk, and with an empty body', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('first part|'), {});
  const whole = Buffer.from('first part|last part in the PUT');
  t.equal(await store.uploads.finish(R, id, sha256(whole), body('last part in the PUT'), { length: 20 }), whole.length, 'size counts the last chunk');
  t.same(await blobBytes(store, R, sha256(whole)), whole, 'the last chunk is part of the blob (the seed ignored it)');

  const only = await store.uploads.create(R);
  const monolithic = Buffer.from('POST then PUT with the whole body');
  t.equal(await store.uploads.finish(R, only, sha256(monolithic), body(monolithic), { length: monolithic.length }), monolithic.length, 'monolithic PUT');
  t.same(await blobBytes(store, R, sha256(monolithic)), monolithic, 'stored');

  const bad = await store.uploads.create(R);
  await rejectsKind(t, store.uploads.finish(R, bad, 'sha256:nothex'), 'DIGEST_INVALID', 'a malformed digest');
  await rejectsKind(t, store.uploads.finish(R, bad, `sha384:${'a'.repeat(96)}`), 'DIGEST_UNSUPPORTED', 'an unsupported algorithm');
  t.equal(await store.uploads.size(R, bad), 0, 'a malformed digest does not end the session');
});

t.test('digest mismatch ends the session and stores nothing', async (t) => {
  const { store, root } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('actual content'), {});
  const claimed = sha256(Buffer.from('claimed content'));
  const error = await rejectsKind(t, store.uploads.finish(R, id, claimed), 'DIGEST_MISMATCH', 'wrong digest');
  t.same(error?.detail, { expected: claimed, actual: sha256(Buffer.from('actual content')) }, 'detail has both digests');
  await rejectsKind(t, store.uploads.size(R, id), 'UPLOAD_UNKNOWN', 'the session is gone');
  t.equal(await store.blobs.has(R, claimed), false, 'no blob under the claimed digest');
  t.equal(await store.blobs.has(R, sha256(Buffer.from('actual content'))), false, 'no blob under the actual digest');
  t.same(await entriesOf(join(root, '_uploads')), [], 'nothing left in _uploads/');

  const withChunk = await store.uploads.create(R);
  await rejectsKind(t, store.uploads.finish(R, withChunk, claimed, body('other'), {}), 'DIGEST_MISMATCH', 'wrong digest with a last chunk');
  await rejectsKind(t, store.uploads.size(R, withChunk), 'UPLOAD_UNKNOWN', 'that session is gone too');
});

t.test('a session belongs to its repository', async (t) => {
  const { store } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('mine'), {});
  const other = 'up/other';
  await rejectsKind(t, store.uploads.size(other, id), 'UPLOAD_UNKNOWN', 'size from another repository');
  await rejectsKind(t, store.uploads.append(other, id, body('theirs'), {}), 'UPLOAD_UNKNOWN', 'append from another repository');
  await rejectsKind(t, store.uploads.finish(other, id, sha256(Buffer.from('mine'))), 'UPLOAD_UNKNOWN', 'finish from another repository');
  await rejectsKind(t, store.uploads.cancel(other, id), 'UPLOAD_UNKNOWN', 'cancel from another repository');
  t.equal(await store.blobs.has(other, sha256(Buffer.from('mine'))), false, 'nothing entered the other repository');
  t.equal(await store.uploads.size(R, id), 4, 'the session is untouched');
  await rejectsKind(t, store.uploads.size(R, 'not-a-uuid'), 'UPLOAD_UNKNOWN', 'an id that is not a uuid');
  await rejectsKind(t, store.uploads.size(R, '../../repositories'), 'UPLOAD_UNKNOWN', 'a path as id');
  await rejectsKind(t, store.uploads.size(R, '3f2a0c47-8a43-4b7e-9d7e-0a1b2c3d4e5f'), 'UPLOAD_UNKNOWN', 'a uuid never issued');
  t.equal(await store.uploads.finish(R, id, sha256(Buffer.from('mine'))), 4, 'the owner finishes it');
});

t.test('cancel removes the session', async (t) => {
  const { store, root } = await openTestStore(t);
  const id = await store.uploads.create(R);
  await store.uploads.append(R, id, body('to be cancelled'), {});
  await store.uploads.cancel(R, id);
  await rejectsKind(t, store.uploads.size(R, id), 'UPLOAD_UNKNOWN', 'status after cancel');
  await rejectsKind(t, store.uploads.append(R, id, body('more'), {}), 'UPLOAD_UNKNOWN', 'append after cancel');
  await rejectsKind(t, store.uploads.finish(R, id, sha256(Buffer.from('to be cancelled'))), 'UPLOAD_UNKNOWN', 'finish after cancel');
  await rejectsKind(t, store.uploads.cancel(R, id), 'UPLOAD_UNKNOWN', 'cancel twice');
  t.same(await entriesOf(join(root, '_uploads')), [], 'nothing left in _uploads/');
  t.equal(await store.blobs.has(R, sha256(Buffer.from('to be cancelled'))), false, 'no blob');
});

t.test('putWhole: single-request push', async (t) => {
  const { store, root } = await openTestStore(t);
  const data = Buffer.from('single POST with digest');
  t.equal(await store.uploads.putWhole(R, sha256(data), body(data)), data.length, 'returns the size');
  t.same(await blobBytes(store, R, sha256(data)), data, 'stored');
  const big = Buffer.alloc(300 * 1024, 0x33);
  t.equal(await store.uploads.putWhole(R, sha512(big), body(big)), big.length, 'sha512, several stream chunks');
  t.same(await blobBytes(store, R, sha512(big)), big, 'stored under sha512');
  t.equal(await store.uploads.putWhole(R, sha256(data), body(data)), data.length, 'pushing the same blob again is fine');

  const wrong = sha256(Buffer.from('something else'));
  await rejectsKind(t, store.uploads.putWhole(R, wrong, body(data)), 'DIGEST_MISMATCH', 'wrong digest');
  t.equal(await store.blobs.has(R, wrong), false, 'nothing stored under the wrong digest');
  await t.rejects(store.uploads.putWhole(R, sha256(Buffer.from('never')), failingBody('nev')), 'a failing body rejects');
  t.equal(await store.blobs.has(R, sha256(Buffer.from('never'))), false, 'nothing stored from a failing body');
  await rejectsKind(t, store.uploads.putWhole(R, 'sha256:short', body(data)), 'DIGEST_INVALID', 'malformed digest');
  t.same(await entriesOf(join(root, '_uploads')), [], 'no temp files left in _uploads/');
});

t.test('the empty blob', async (t) => {
  const { store } = await openTestStore(t);
  t.equal(sha256(Buffer.alloc(0)), EMPTY_BLOB_SHA256);
  const id = await store.uploads.create(R);
  t.equal(await store.uploads.finish(R, id, EMPTY_BLOB_SHA256), 0, 'finish an empty session');
  t.equal((await store.statBlob(R, EMPTY_BLOB_SHA256)).size, 0, 'a zero-byte blob exists');
  const withEmptyChunk = await store.uploads.create('up/empty');
  t.equal(await store.uploads.append('up/empty', withEmptyChunk, body(Buffer.alloc(0)), { length: 0 }), 0, 'an empty chunk');
  t.equal(await store.uploads.finish('up/empty', withEmptyChunk, EMPTY_BLOB_SHA256, body(Buffer.alloc(0)), { length: 0 }), 0, 'an empty last chunk');
  t.equal(await store.uploads.putWhole('up/whole', EMPTY_BLOB_SHA256, body(Buffer.alloc(0))), 0, 'putWhole of nothing');
  t.equal((await store.statBlob('up/whole', EMPTY_BLOB_SHA256)).size, 0, 'stored');
});

t.test('a session survives a restart: the hash is recomputed from the file', async (t) => {
  const { store, root } = await openTestStore(t);
  const id = await store.uploads.create(R, 'sha512');
  await store.uploads.append(R, id, body('before restart|'), {});
  const reopened = await ImageStore.open(root);
  t.equal(await reopened.uploads.size(R, id), 15, 'size read from disk');
  await reopened.uploads.append(R, id, body('after'), { start: 15, end: 19, length: 5 });
  const whole = Buffer.from('before restart|after');
  t.equal(await reopened.uploads.finish(R, id, sha512(whole)), whole.length, 'finished by the new process');
  t.same(await blobBytes(reopened, R, sha512(whole)), whole, 'right content');
});

t.test('cross-repository mount', async (t) => {
  const { store } = await openTestStore(t);
  const data = Buffer.from('a blob to mount');
  await store.uploads.putWhole('up/source', sha256(data), body(data));
  t.equal(await store.mountBlob(R, sha256(data), 'up/source'), true, 'mounted from the named source');
  t.same(await blobBytes(store, R, sha256(data)), data, 'the target holds the bytes');
  t.equal(await store.mountBlob('up/auto', sha256(data), undefined), true, 'automatic discovery finds a source');
  t.equal(await store.mountBlob(R, sha256(data), 'up/source'), true, 'mounting again is fine');
  const absent = sha256(Buffer.from('nowhere'));
  t.equal(await store.mountBlob('up/target', absent, 'up/source'), false, 'a source without the blob: fall back to an upload');
  t.equal(await store.mountBlob('up/target', absent, undefined), false, 'no repository has it');
  t.equal(await store.mountBlob('up/target', sha256(data), 'up/missing'), false, 'a source repository that does not exist');
  t.equal(await store.mountBlob(R, sha256(data), R), true, 'from itself, when it holds the blob');
  t.equal(await store.mountBlob('up/other', sha256(data), 'up/other'), false, 'from itself, when it does not');
  await rejectsKind(t, store.mountBlob(R, 'sha256:bad', 'up/source'), 'DIGEST_INVALID', 'malformed digest');
  await rejectsKind(t, store.mountBlob(R, sha256(data), '../up'), 'NAME_INVALID', 'malformed source name');
  // A hard link: deleting the blob in the source leaves the mount intact.
  await store.deleteBlob('up/source', sha256(data));
  t.same(await blobBytes(store, R, sha256(data)), data, 'the mount survives deletion in the source');
});

t.test('sessions fed in turn, more than the running hashes kept: each later chunk is hashed from the file at finish', async (t) => {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-store-' });
  t.teardown(() => tmp.cleanup());
  const store = await ImageStore.open(join(tmp.path, 'store'), { runningHashes: 2 });
  const blobs = ['first session', 'second session', 'third session'].map((text) => Buffer.from(`${text}: `.padEnd(40, '.')));
  const ids = await Promise.all(blobs.map(() => store.uploads.create(R)));
  for (const [from, to] of [[0, 10], [10, 25], [25, 40]] as const) {
    for (const [i, whole] of blobs.entries()) await store.uploads.append(R, ids[i] as string, body(whole.subarray(from, to)), { start: from, end: to - 1 });
  }
  for (const [i, whole] of blobs.entries()) {
    t.equal(await store.uploads.finish(R, ids[i] as string, sha256(whole)), whole.length, `session ${i + 1} finishes with its digest`);
    t.same(await blobBytes(store, R, sha256(whole)), whole, `session ${i + 1}'s blob holds its bytes`);
  }
});
