/**
 * The blob write stream: every byte written is hashed, in order, and counted; a file that may not
 * be created fails the stream and still settles; a short write (a file size limit, as a full disk
 * would cause) counts and hashes exactly the bytes the disk took.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { dir } from 'tmp-promise';
import { BlobWriter } from '../../../reference/store/blob-writer.ts';

const WRITER = join(import.meta.dirname, '../../../reference/store/blob-writer.ts');

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

t.test('many chunks: written, hashed in order and counted; settled once the file is closed', async (t) => {
  const tmp = await dir({ unsafeCleanup: true });
  t.teardown(() => tmp.cleanup());
  const path = join(tmp.path, 'blob');
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i, i));
  const hash = createHash('sha256');
  const writer = new BlobWriter(path, 'wx', hash);
  await pipeline(Readable.from(chunks), writer);
  await writer.settled;
  const whole = Buffer.concat(chunks);
  t.equal(writer.written, whole.length, 'every byte counted');
  t.same(await readFile(path), whole, 'the file holds the chunks in order');
  t.equal(hash.digest('hex'), sha256(whole), 'the hash covers the same bytes in the same order');

  const appended = new BlobWriter(path, 'a');
  await pipeline(Readable.from([Buffer.from('tail')]), appended);
  t.equal(appended.written, 4, "'a' counts only its own bytes");
  t.same(await readFile(path), Buffer.concat([whole, Buffer.from('tail')]), "'a' appends");
});

t.test('a file that may not be created: the stream fails, nothing is written, and it settles', async (t) => {
  const tmp = await dir({ unsafeCleanup: true });
  t.teardown(() => tmp.cleanup());
  const path = join(tmp.path, 'taken');
  await writeFile(path, 'already here');
  const writer = new BlobWriter(path, 'wx', createHash('sha256'));
  await t.rejects(pipeline(Readable.from([Buffer.from('new bytes')]), writer), { code: 'EEXIST' });
  await writer.settled;
  t.equal(writer.written, 0);
  t.equal(await readFile(path, 'utf8'), 'already here', 'the file is untouched');
});

t.test('a short write (file size limit of 1 KiB): written and the hash cover exactly the bytes the disk took', async (t) => {
  const tmp = await dir({ unsafeCleanup: true });
  t.teardown(() => tmp.cleanup());
  const path = join(tmp.path, 'blob');
  const script = join(tmp.path, 'short.mts');
  // Run in a child under `ulimit -f 1`, which takes SIGXFSZ itself: the first writev of 4000 bytes
  // takes 1024 (a short write), the next fails with EFBIG. The child writes no other file: tsx's
  // cache is off, and its environment is clean of tap's (process info and coverage at exit).
  await writeFile(script, `
    import { BlobWriter } from ${JSON.stringify(WRITER)};
    import { createHash } from 'node:crypto';
    import { Readable } from 'node:stream';
    import { pipeline } from 'node:stream/promises';
    process.on('SIGXFSZ', () => undefined);
    const hash = createHash('sha256');
    const writer = new BlobWriter(${JSON.stringify(path)}, 'wx', hash);
    let code = 'none';
    try {
      await pipeline(Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(3000, 2)]), writer);
    } catch (error) {
      code = error.code;
    }
    await writer.settled;
    console.log(JSON.stringify({ code, written: writer.written, hash: hash.digest('hex') }));
  `);
  const { stdout } = await promisify(execFile)('bash', ['-c', `ulimit -f 1 && TSX_DISABLE_CACHE=1 exec "${process.execPath}" --import tsx "${script}"`], {
    cwd: join(import.meta.dirname, '../../..'),
    env: { PATH: process.env['PATH'] },
    timeout: 60_000,
  });
  const result = JSON.parse(stdout) as { code: string; written: number; hash: string };
  const onDisk = await readFile(path);
  t.equal(onDisk.length, 1024, 'the disk took 1 KiB');
  t.equal(result.code, 'EFBIG', 'then the stream failed');
  t.equal(result.written, 1024, 'written counts the bytes the disk took, not those sent');
  t.equal(result.hash, sha256(onDisk), 'the hash covers exactly the bytes in the file');
});
