/**
 * The short-write pass's writes (mutants/short-writes.ts): a writev to a file opened under a
 * shortened store writes at most half of its buffers (at least one byte), also through a name
 * imported from node:fs/promises before the shortening (as the reference registry imports it);
 * a writer that goes on after each short write still writes everything; files elsewhere are
 * written whole.
 */
import t from 'tap';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { firstHalf, shortWrites } from '../../mutants/short-writes.ts';

t.test('firstHalf: half the bytes, across buffers, at least one', async (t) => {
  t.same(firstHalf([Buffer.from('abcd'), Buffer.from('efgh')]), [Buffer.from('abcd')]);
  t.same(firstHalf([Buffer.from('ab'), Buffer.from('cdefgh')]), [Buffer.from('ab'), Buffer.from('cd')]);
  t.same(firstHalf([Buffer.from('a')]), [Buffer.from('a')], 'one byte stays one byte');
  t.same(firstHalf([Buffer.from('abc')]), [Buffer.from('a')]);
});

t.test('writes under a shortened store are short; a writer that goes on writes everything', async (t) => {
  const short = await dir({ unsafeCleanup: true });
  const other = await dir({ unsafeCleanup: true });
  t.teardown(async () => {
    await short.cleanup();
    await other.cleanup();
  });
  shortWrites(short.path);
  const bytes = Buffer.from('0123456789abcdef');
  const handle = await open(join(short.path, 'blob'), 'w');
  const first = await handle.writev([bytes]);
  t.equal(first.bytesWritten, 8, 'the first writev took half');
  let written = first.bytesWritten;
  for (let i = 0; written < bytes.length && i < 10; i += 1) written += (await handle.writev([bytes.subarray(written)])).bytesWritten;
  await handle.close();
  t.same(await readFile(join(short.path, 'blob')), bytes, 'going on after each short write writes it all');
  const whole = await open(join(other.path, 'blob'), 'w');
  t.equal((await whole.writev([bytes])).bytesWritten, bytes.length, 'elsewhere a writev takes everything');
  await whole.close();
});
