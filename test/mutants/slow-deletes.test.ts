/**
 * The slow-delete pass's deletes (mutants/slow-deletes.ts): an unlink under a slowed store waits
 * SLOW_DELETE_MS first, also through a name imported from node:fs/promises before the slowing (as
 * the reference registry imports it); unlinks elsewhere work as before.
 */
import t from 'tap';
import { unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { SLOW_DELETE_MS, slowDeletes } from '../../mutants/slow-deletes.ts';

t.test('unlinks under a slowed store wait; others do not change', async (t) => {
  const slow = await dir({ unsafeCleanup: true });
  const other = await dir({ unsafeCleanup: true });
  t.teardown(async () => {
    await slow.cleanup();
    await other.cleanup();
  });
  slowDeletes(slow.path);
  for (let i = 0; i < 3; i += 1) {
    const file = join(slow.path, `blob-${i}`);
    await writeFile(file, 'x');
    const started = performance.now();
    await unlink(file);
    t.ok(performance.now() - started >= SLOW_DELETE_MS - 1, `an unlink under the slowed store waited ${SLOW_DELETE_MS} ms`);
    t.notOk(existsSync(file), 'and deleted the file');
  }
  const elsewhere = join(other.path, 'blob');
  await writeFile(elsewhere, 'x');
  await unlink(elsewhere);
  t.notOk(existsSync(elsewhere), 'an unlink elsewhere deletes the file');
  // A directory whose name only starts like the slowed one is not under it.
  await t.rejects(unlink(`${slow.path}-sibling/none`), { code: 'ENOENT' });
});
