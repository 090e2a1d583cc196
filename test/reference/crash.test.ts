/**
 * Crash safety: a registry process killed with SIGKILL in the middle of concurrent manifest
 * pushes leaves a store whose index.json files all parse and whose every listed manifest is
 * present (atomic writes: temp file, fsync, rename). Scrub finds nothing damaged.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { dir } from 'tmp-promise';
import { ImageStore } from '../../reference/store/image-store.ts';
import { childEnv } from '../helpers/tools.ts';
import { call } from '../helpers/registry.ts';
import { config, imageManifest, layer, pushBlob, pushManifest } from '../helpers/oci.ts';

const ROOT = resolve(import.meta.dirname, '../..');

t.test('SIGKILL during concurrent pushes leaves no torn index.json', async (t) => {
  const tmp = await dir({ unsafeCleanup: true });
  t.teardown(() => tmp.cleanup());
  const child = spawn(process.execPath, ['--import', 'tsx', 'reference/cli.ts', 'serve', '--port', '0', '--root', tmp.path, '--quiet'], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
  });

  const cfg = config('crash');
  const layers = [layer('crash')];
  for (const blob of [cfg, ...layers]) await pushBlob(url, 'crash/repo', blob);
  const acknowledged: string[] = [];
  const pushes: Promise<unknown>[] = [];
  for (let worker = 0; worker < 8; worker++) {
    pushes.push(
      (async () => {
        for (let i = 0; i < 200; i++) {
          const manifest = imageManifest(cfg, layers, { annotations: { n: `${worker}-${i}` } });
          await pushManifest(url, 'crash/repo', `w${worker}-${i}`, manifest);
          acknowledged.push(`w${worker}-${i}`);
        }
      })().catch(() => undefined), // the kill ends them
    );
  }
  const deadline = Date.now() + 20_000;
  while (acknowledged.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await once(child, 'exit');
  await Promise.all(pushes);
  t.ok(acknowledged.length >= 40, `${acknowledged.length} pushes acknowledged before the kill`);

  const store = await ImageStore.open(tmp.path);
  const tags = await store.manifests.tags('crash/repo');
  const lost = acknowledged.filter((tag) => !tags.includes(tag));
  t.same(lost, [], 'index.json parses and every acknowledged tag survived the kill');
  const report = await store.scrub();
  t.same(report.problems, [], 'scrub finds nothing damaged');
  t.ok((await call(url, 'GET', '/v2/').catch(() => ({ status: 0 }))).status === 0, 'the process is gone');
});
