/**
 * The project's boundaries: conformance/ never imports reference/
 * (it must work against any registry); spec/ imports nothing; the store knows nothing of HTTP;
 * reference/ uses only node: built-ins and uuid, and reference/auth/ the libraries it needs for
 * bcrypt, JWT and YAML. cli/ is the one place that joins the two halves.
 * bench/ works against any registry too: it never imports reference/ (nor cli/), only its own
 * files, the suite's client (conformance/client/), spec/, node: built-ins and undici.
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

/** What reference/auth/ may import besides: bcrypt (bcryptjs), JWT (jose), the policy file's YAML (yaml). */
const AUTH_LIBRARIES = new Set(['bcryptjs', 'jose', 'yaml']);

t.test('reference/ uses only node: built-ins, uuid, and spec/ (reference/auth/ also its libraries)', async (t) => {
  for (const file of await sources('reference')) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      const library = file.startsWith('reference/auth/') && AUTH_LIBRARIES.has(to);
      t.ok(library || to.startsWith('node:') || to === 'uuid' || to.startsWith('reference/') || to.startsWith('spec/'), `${file} imports ${spec}`);
    }
  }
});

t.test('reference/http, reference/store and reference/auth show only the registry: no fault of the catalog in them', async (t) => {
  const files = [...(await sources('reference/http')), ...(await sources('reference/store')), ...(await sources('reference/auth'))];
  for (const file of files) {
    const text = await readFile(join(ROOT, file), 'utf8');
    t.notMatch(text, /\bfaults?\b/i, `${file} mentions faults`);
    for (const spec of await importsOf(file)) t.notOk(target(file, spec).startsWith('reference/faults'), `${file} imports ${spec}`);
  }
  t.ok(files.length > 10, `${files.length} files checked`);
});

t.test('bench/ never imports reference/: only itself, conformance/client/, spec/, node: and undici', async (t) => {
  const files = await sources('bench');
  t.ok(files.length > 0, 'bench/ has sources');
  for (const file of files) {
    for (const spec of await importsOf(file)) {
      const to = target(file, spec);
      const allowed = to.startsWith('bench/') || to.startsWith('conformance/client/') || to.startsWith('spec/') || to.startsWith('node:') || to === 'undici';
      t.ok(allowed, `${file} imports ${spec}`);
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
