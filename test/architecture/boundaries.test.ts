/**
 * The project's boundaries (DEVELOPERS.md "Architecture"): conformance/ never imports reference/
 * (it must work against any registry); spec/ imports nothing; the store knows nothing of HTTP;
 * reference/ uses only node: built-ins and uuid. cli/ is the one place that joins the two halves.
 * torture/ drives the registry only as a separate process: it never imports reference/ or cli/.
 */
import t from 'tap';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.ts')) out.push(relative(ROOT, join(entry.parentPath, entry.name)));
  }
  return out;
}

/** Every module specifier a file imports, statically or dynamically. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.add((match[1] ?? match[2]) as string);
  }
  return [...found];
}

function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)) : specifier;
}

t.test('spec/ imports nothing but itself', async (t) => {
  for (const file of await sources('spec')) {
    for (const spec of await importsOf(file)) t.ok(target(file, spec).startsWith('spec/'), `${file} imports ${spec}`);
  }
});

t.test('conformance/ never imports reference/ (nor cli/, which joins the halves)', async (t) => {
  const files = await sources('conformance');
  for (const file of files) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      t.notOk(to.startsWith('reference/') || to.startsWith('cli/'), `${file} imports ${spec}`);
    }
  }
  t.pass(`${files.length} conformance files checked`);
});

t.test('the store knows nothing of HTTP', async (t) => {
  for (const file of await sources('reference/store')) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      t.notOk(to.startsWith('reference/http') || /^(node:)?https?$/.test(to) || to === 'undici', `${file} imports ${spec}`);
    }
  }
});

t.test('reference/ uses only node: built-ins, uuid, and spec/', async (t) => {
  for (const file of await sources('reference')) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      t.ok(to.startsWith('node:') || to === 'uuid' || to.startsWith('reference/') || to.startsWith('spec/'), `${file} imports ${spec}`);
    }
  }
});

t.test('torture/ drives the registry as a process: never imports reference/ nor cli/', async (t) => {
  const files = await sources('torture');
  for (const file of files) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      const allowed =
        to.startsWith('node:') || ['tmp-promise', 'undici'].includes(to) || to.startsWith('torture/') || to.startsWith('spec/') ||
        to.startsWith('conformance/client/') || to === 'conformance/content.ts';
      t.ok(allowed, `${file} imports ${spec}`);
    }
  }
  t.ok(files.length >= 10, `${files.length} torture files checked`);
});

t.test('the checker itself sees imports', async (t) => {
  t.ok((await importsOf('reference/http/router.ts')).includes('./errors.ts'));
});
