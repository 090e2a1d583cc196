/**
 * A child process for crash tests: runs one store operation on ROOT and kills itself with SIGKILL
 * just before its Nth file-system step (mkdir, open, rename, link, unlink, a write or fsync of an
 * open file), so a test can leave the store exactly as a crash at that instant would. Exits 0 when
 * the operation finished before step N.
 *
 *   node --import tsx test/helpers/crash-child.ts ROOT N ensure-repo NAME
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { FileHandle } from 'node:fs/promises';

const [root = '', stepText = '0', operation = '', name = ''] = process.argv.slice(2);
const killAt = Number(stepText);
let steps = 0;
function step(): void {
  steps += 1;
  if (steps === killAt) process.kill(process.pid, 'SIGKILL');
}

const require = createRequire(import.meta.url);
const fsp = require('node:fs/promises') as Record<string, (...args: unknown[]) => Promise<unknown>>;
for (const method of ['mkdir', 'rename', 'link', 'unlink', 'rm', 'writeFile']) {
  const original = fsp[method] as (...args: unknown[]) => Promise<unknown>;
  fsp[method] = (...args: unknown[]) => {
    step();
    return original(...args);
  };
}
const open = fsp.open as (...args: unknown[]) => Promise<FileHandle>;
fsp.open = async (...args: unknown[]) => {
  step();
  const handle = await open(...args);
  for (const method of ['writeFile', 'write', 'sync'] as const) {
    const original = handle[method].bind(handle) as (...a: unknown[]) => Promise<unknown>;
    (handle as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
      step();
      return original(...a);
    };
  }
  return handle;
};
syncBuiltinESMExports();

const { ImageStore } = await import('../../reference/store/image-store.ts');
const store = await ImageStore.open(root);
if (operation === 'ensure-repo') await store.layout.ensureRepo(name);
else throw new Error(`unknown operation ${operation}`);
process.stdout.write(`done after ${steps} steps\n`);
