/**
 * Crash consistency of the store's structure. A repository appears complete or not at all: a
 * SIGKILL at every file-system step of its creation leaves either no repository or a valid OCI
 * image layout, and `scrub` finds nothing damaged. What killed writes leave behind — temporary
 * files of atomic writes inside repositories, layouts being built aside, temp files among the
 * upload sessions — is swept when a registry starts on the store, and by garbage collection once
 * older than the grace period; upload sessions survive both (they are resumable).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ImageStore } from '../../reference/store/image-store.ts';
import { IMAGE_LAYOUT_VERSION } from '../../spec/media-types.ts';
import { childEnv } from '../helpers/tools.ts';
import { openTestStore } from '../helpers/store.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { dir } from 'tmp-promise';

const ROOT = resolve(import.meta.dirname, '../..');
const NAME = 'crash/new-repo';

function runChild(root: string, step: number): Promise<{ killed: boolean; stdout: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'test/helpers/crash-child.ts', root, String(step), 'ensure-repo', NAME], { cwd: ROOT, env: childEnv(), timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && error.signal !== 'SIGKILL') reject(new Error(`child failed: ${error.message}\n${stderr}`));
      else resolveRun({ killed: error?.signal === 'SIGKILL', stdout });
    });
  });
}

t.test('a SIGKILL at every step of creating a repository leaves no repository or a valid one', async (t) => {
  let completed = false;
  for (let step = 1; step <= 40 && !completed; step++) {
    const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-crash-' });
    try {
      const run = await runChild(tmp.path, step);
      completed = !run.killed;
      const store = await ImageStore.open(tmp.path);
      await store.recover();
      const listed = (await store.layout.listRepositories()).includes(NAME);
      const entries = await readdir(store.layout.repositoriesDir);
      if (!listed) {
        t.same(entries, [], `killed at step ${step}: no repository, and nothing left beside the repositories`);
        continue;
      }
      const repo = store.layout.repoDir(NAME);
      const layout = JSON.parse(await readFile(join(repo, 'oci-layout'), 'utf8')) as { imageLayoutVersion: string };
      const index = JSON.parse(await readFile(join(repo, 'index.json'), 'utf8')) as { schemaVersion: number; manifests: unknown[] };
      t.ok(layout.imageLayoutVersion === IMAGE_LAYOUT_VERSION && index.schemaVersion === 2 && Array.isArray(index.manifests), `${completed ? 'finished' : `killed at step ${step}`}: a complete layout`);
      t.same((await store.scrub()).problems, [], `step ${step}: scrub clean`);
      t.same(entries.filter((e) => e.startsWith('.')), [], `step ${step}: nothing left beside the repositories`);
    } finally {
      await tmp.cleanup();
    }
  }
  t.ok(completed, 'the creation finished once the kill came after its last step');
});

t.test('leftovers of killed writes are swept at start-up, upload sessions stay', async (t) => {
  const { store, root } = await openTestStore(t);
  await store.layout.ensureRepo('leftovers/repo');
  const repo = store.layout.repoDir('leftovers/repo');
  await writeFile(join(repo, `.index.json.${'1'.repeat(8)}.tmp`), '{"torn');
  await writeFile(join(repo, `.oci-layout.${'2'.repeat(8)}.tmp`), '');
  await mkdir(join(store.layout.repositoriesDir, '.new-0123'), { recursive: true });
  await writeFile(join(store.layout.uploadsDir, '.whole-abc'), 'half a blob');
  const session = await store.uploads.create('leftovers/repo');

  const registry = await startTestRegistry(t, { root });
  t.equal(registry.recovered, 4, 'four leftovers removed at start-up');
  t.same((await readdir(repo)).sort(), ['blobs', 'index.json', 'oci-layout'], 'the repository holds its layout only');
  t.same(await readdir(registry.store.layout.repositoriesDir), [encodeURIComponent('leftovers/repo')], 'no layout built aside is left');
  t.same(await readdir(registry.store.layout.uploadsDir), [session], 'the upload session is kept');
  t.equal(await registry.store.uploads.size('leftovers/repo', session), 0, 'and still usable');
});

t.test('garbage collection sweeps temporary files older than the grace period', async (t) => {
  const { store } = await openTestStore(t);
  await store.layout.ensureRepo('leftovers/gc');
  const repo = store.layout.repoDir('leftovers/gc');
  const old = join(repo, '.index.json.old.tmp');
  const fresh = join(repo, '.index.json.fresh.tmp');
  await writeFile(old, '');
  await writeFile(fresh, '');
  const hourAgo = new Date(Date.now() - 2 * 3_600_000);
  await utimes(old, hourAgo, hourAgo);
  const report = await store.collectGarbage({ graceMs: 3_600_000, deleteUntagged: false });
  t.equal(report.temporaryRemoved, 1, 'the old one');
  t.same((await readdir(repo)).filter((e) => e.endsWith('.tmp')), ['.index.json.fresh.tmp'], 'a fresh one may belong to a write in flight: kept');
});
