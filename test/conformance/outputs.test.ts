/**
 * Errors found before the run, not after it: every report path (--json, --junit, --html, --repro,
 * OCI_REPORT_DIR) is checked before any request — a parent that is a file, an existing directory
 * given as a file, a directory no one can write — and refused with exit 2 and one clear line, no
 * stack trace, the target untouched. A selection (--only) that matches no check and no property
 * is a usage error that lists the areas there are.
 */
import t from 'tap';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../conformance/cli.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/tools.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function check(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A directory the user cannot create files in: mode 0555, or for root (who ignores modes) /proc. */
async function unwritableDir(dir: string): Promise<string> {
  if (process.getuid?.() === 0) return '/proc';
  const locked = join(dir, 'locked');
  await mkdir(locked);
  await chmod(locked, 0o555);
  return locked;
}

t.test('report paths that cannot be written: exit 2 before any request, one line, no stack trace', async (t) => {
  const registry = await startTestRegistry(t);
  const dir = await tempDir(t);
  const file = join(dir, 'a-file');
  await writeFile(file, 'not a directory');
  const existingDir = join(dir, 'a-dir');
  await mkdir(existingDir);
  const locked = await unwritableDir(dir);
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--json', join(file, 'report.json')], {}, /^--json .*a-file\/report\.json cannot be written: .*a-file is a file, not a directory$/],
    [['--junit', join(file, 'deeper', 'junit.xml')], {}, /^--junit .*a-file\/deeper\/junit\.xml cannot be written: .*a-file is a file, not a directory$/],
    [['--html', existingDir], {}, /^--html .*a-dir cannot be written: it is a directory$/],
    [['--repro', join(locked, 'sub', 'repro.sh')], {}, /^--repro .*repro\.sh cannot be written: the directory .* cannot be written to \(E[A-Z]+\)$/],
    [[], { OCI_REPORT_DIR: file }, /^OCI_REPORT_DIR \(report\.json\) .*a-file\/report\.json cannot be written: .*a-file is a file, not a directory$/],
    [['--json', join(dir, 'same.out'), '--junit', join(dir, 'same.out')], {}, /^--json and --junit name the same file, .*same\.out$/],
  ];
  for (const [args, env, message] of cases) {
    const before = registry.logs.length;
    const run = await check(['--url', registry.url, '--no-properties', '--only', 'base', ...args], env);
    const what = `${args.join(' ')} ${JSON.stringify(env)}`;
    t.equal(run.code, 2, `${what}: exit 2`);
    t.match(run.stderr.trimEnd(), message, `${what}: says which path and why`);
    t.equal(run.stderr.trimEnd().split('\n').length, 1, `${what}: one line`);
    t.notMatch(run.stderr, /\n\s+at /, `${what}: no stack trace`);
    t.equal(run.stdout, '', `${what}: nothing ran`);
    t.equal(registry.logs.length, before, `${what}: the registry saw no request`);
  }
  t.equal((await stat(existingDir)).isDirectory(), true, 'the directory is untouched');
  t.equal(await readFile(file, 'utf8'), 'not a directory', 'the file is untouched');
});

t.test('report paths that can be written pass the check: missing directories are created, existing files replaced', async (t) => {
  const registry = await startTestRegistry(t);
  const dir = await tempDir(t);
  const existing = join(dir, 'old.json');
  await writeFile(existing, 'old');
  const run = await check(['--url', registry.url, '--no-properties', '--only', 'base', '--quiet', '--json', existing, '--junit', join(dir, 'new', 'deeper', 'junit.xml')]);
  t.equal(run.code, 0, run.stderr);
  t.match(await readFile(existing, 'utf8'), /"tool": "touchstone"/);
  t.match(await readFile(join(dir, 'new', 'deeper', 'junit.xml'), 'utf8'), /<testsuites/);
});

t.test('--only matching no check and no property is a usage error listing the areas', async (t) => {
  const registry = await startTestRegistry(t);
  for (const args of [['--only', 'nosuchcheck'], ['--only', 'tags', '--only', 'manifets']]) {
    const before = registry.logs.length;
    const run = await check(['--url', registry.url, ...args]);
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`);
    t.match(run.stderr, /--only (nosuchcheck|manifets) matches no check and no property; the areas are base, .*blobs, .*manifests, .*tags, .*property \(property\.blobs, .*property\.gc\)/, 'lists the areas');
    t.equal(run.stdout, '', 'nothing ran');
    t.equal(registry.logs.length, before, 'the registry saw no request');
  }
  const nothingLeft = await check(['--url', registry.url, '--only', 'tags', '--skip', 'tags']);
  t.equal(nothingLeft.code, 2, '--only tags --skip tags selects nothing');
  t.match(nothingLeft.stderr, /^the selection \(--only tags --skip tags\) leaves no check and no property to run/);
  const onlyProperties = await check(['--url', registry.url, '--only', 'property.gc', '--no-properties']);
  t.equal(onlyProperties.code, 2, 'only a property, with --no-properties');
  t.match(onlyProperties.stderr, /leaves no check and no property to run \(--no-properties\)/);
  const skipTypo = await check(['--url', registry.url, '--only', 'base', '--skip', 'nosuch', '--no-properties', '--quiet']);
  t.equal(skipTypo.code, 0, 'a --skip matching nothing runs');
  t.match(skipTypo.stderr, /^--skip nosuch matches no check and no property$/m, 'but says so');
});
