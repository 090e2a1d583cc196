/**
 * Crash-safe writes: writeFileAtomic replaces a file whole and leaves no temp file;
 * createFileExclusive creates a file only when it does not exist, exactly once among racers.
 */
import t, { type Test } from 'tap';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { createFileExclusive, syncDirectory, writeFileAtomic } from '../../../reference/store/fs-atomic.ts';

async function tempDir(t: Test): Promise<string> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-fs-' });
  t.teardown(() => tmp.cleanup());
  return tmp.path;
}

t.test('writeFileAtomic creates and replaces content, leaving no temp file', async (t) => {
  const root = await tempDir(t);
  const path = join(root, 'index.json');
  await writeFileAtomic(path, 'first');
  t.equal(await readFile(path, 'utf8'), 'first', 'created');
  await writeFileAtomic(path, Buffer.from('second, longer than the first'));
  t.equal(await readFile(path, 'utf8'), 'second, longer than the first', 'replaced (Uint8Array)');
  await writeFileAtomic(path, 'x');
  t.equal(await readFile(path, 'utf8'), 'x', 'replaced by shorter content: nothing of the old one left');
  t.same(await readdir(root), ['index.json'], 'no temp file left');
});

t.test('concurrent writeFileAtomic: the result is one whole write', async (t) => {
  const root = await tempDir(t);
  const path = join(root, 'index.json');
  const contents = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}:${'z'.repeat(1000 * (i + 1))}`);
  await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
  const final = await readFile(path, 'utf8');
  t.ok(contents.includes(final), 'the file is exactly one of the writes, never a mix');
  t.same(await readdir(root), ['index.json'], 'no temp file left');
});

t.test('writeFileAtomic into a missing directory fails and leaves nothing', async (t) => {
  const root = await tempDir(t);
  await t.rejects(writeFileAtomic(join(root, 'missing', 'file'), 'data'), { code: 'ENOENT' }, 'ENOENT');
  t.same(await readdir(root), [], 'nothing created');
  // A target that is a directory: the rename fails, the temp file is removed.
  await mkdir(join(root, 'taken'));
  await writeFile(join(root, 'taken', 'inside'), 'keep');
  await t.rejects(writeFileAtomic(join(root, 'taken'), 'data'), 'renaming over a non-empty directory fails');
  t.same((await readdir(root)).sort(), ['taken'], 'no temp file left after the failed rename');
});

t.test('createFileExclusive creates once and never replaces', async (t) => {
  const root = await tempDir(t);
  const path = join(root, 'oci-layout');
  t.equal(await createFileExclusive(path, '{"imageLayoutVersion":"1.0.0"}'), true, 'created');
  t.equal(await readFile(path, 'utf8'), '{"imageLayoutVersion":"1.0.0"}', 'with its content');
  t.equal(await createFileExclusive(path, 'other'), false, 'false when the file exists');
  t.equal(await readFile(path, 'utf8'), '{"imageLayoutVersion":"1.0.0"}', 'content unchanged');
  t.same(await readdir(root), ['oci-layout'], 'no temp file left');

  const raced = join(root, 'index.json');
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => createFileExclusive(raced, `writer ${i}`)));
  t.equal(results.filter(Boolean).length, 1, 'exactly one racer creates the file');
  t.equal(await readFile(raced, 'utf8'), `writer ${results.indexOf(true)}`, 'the winner\'s content, whole');
  t.same((await readdir(root)).sort(), ['index.json', 'oci-layout'], 'no temp files left by the losers');
  await t.rejects(createFileExclusive(join(root, 'missing', 'x'), 'data'), { code: 'ENOENT' }, 'other errors propagate');
});

t.test('syncDirectory', async (t) => {
  const root = await tempDir(t);
  await t.resolves(syncDirectory(root), 'syncs an existing directory');
  await t.rejects(syncDirectory(join(root, 'missing')), { code: 'ENOENT' }, 'a missing directory is an error');
});
