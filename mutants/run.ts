/**
 * `npm run mutants [-- [--force | --open] [--concurrency N] [FILE[:RANGES]…]]`: mutation testing of the reference registry
 * (docs/mutants.md). For each source file of reference/http and reference/store — or each FILE
 * given — it runs StrykerJS (mutants/stryker.config.json: command runner, one mutant at a time,
 * under `nice -n 10`) incrementally against that file's checked-in results
 * (mutants/results/<file>.json), so only mutants whose code changed run again; `--force` runs
 * them all (needed after the checks change: Stryker cannot see that a new check covers an old
 * survivor); `--open` runs again, forced, only the mutants the triage leaves open (docs/mutants.json:
 * verdict open, or no entry) and those not reached. Each mutant's command is mutants/check.ts; its verdict line becomes Stryker's status
 * here (not reached → NoCoverage, error → RuntimeError, timed out → Timeout), and the table of
 * every file is written into docs/mutants.md and README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { settle, type ReportMutant } from './profile.ts';
import { triageOf, writeTables, type ResultMutant, type TriageEntry } from './table.ts';

const ROOT = resolve(import.meta.dirname, '..');
const STRYKER = join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js');

/** Smallest and most stable first (the store, then the handlers); files not listed follow, sorted. */
const ORDER = [
  'reference/store/errors.ts', 'reference/store/keyed-mutex.ts', 'reference/store/bounded.ts', 'reference/store/pins.ts',
  'reference/store/fs-atomic.ts', 'reference/store/digest.ts', 'reference/store/blob-writer.ts', 'reference/store/image-store.ts', 'reference/store/blobs.ts',
  'reference/store/manifest-format.ts', 'reference/store/layout.ts', 'reference/store/scrub.ts', 'reference/store/gc.ts',
  'reference/store/manifests.ts', 'reference/store/uploads.ts',
  'reference/http/blobs.ts', 'reference/http/uploads.ts', 'reference/http/tags.ts', 'reference/http/referrers.ts', 'reference/http/catalog.ts',
  'reference/http/manifests.ts', 'reference/http/respond.ts', 'reference/http/errors.ts', 'reference/http/router.ts',
  'reference/http/context.ts', 'reference/http/base.ts', 'reference/http/admin.ts', 'reference/http/limits.ts',
];

export function resultsFile(file: string): string {
  return join(ROOT, 'mutants/results', `${file}.json`);
}

/** The file of a FILE or FILE:RANGES argument. */
function fileOf(target: string): string {
  return target.replace(/:[\d:,-]+$/, '');
}

/**
 * Stryker's --mutate value for FILE or FILE:RANGES, where RANGES is one range or several joined
 * by commas, each LINE-LINE or LINE:COLUMN-LINE:COLUMN (Stryker's mutation range): the mutants
 * wholly within any of them.
 */
export function mutateArg(target: string): string {
  const file = fileOf(target);
  if (target === file) return file;
  return target.slice(file.length + 1).split(',').map((range) => `${file}:${range}`).join(',');
}

async function sourceFiles(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['reference/store', 'reference/http']) {
    for (const entry of await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) found.push(relative(ROOT, join(entry.parentPath, entry.name)));
    }
  }
  const rank = (file: string): number => (ORDER.includes(file) ? ORDER.indexOf(file) : ORDER.length);
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 128 : 1)));
  });
}

async function settleFile(file: string): Promise<void> {
  const report = JSON.parse(await readFile(file, 'utf8')) as { runAt?: string; files: Record<string, { mutants: ReportMutant[] }> };
  for (const entry of Object.values(report.files)) entry.mutants.forEach(settle);
  report.runAt = new Date().toISOString(); // read by the table (mutants/table.ts); Stryker ignores it
  await writeFile(file, `${JSON.stringify(report, null, 1)}\n`);
}

/** True when the results file holds every mutant of the file's current source: nothing to run. */
async function upToDate(file: string, results: string): Promise<boolean> {
  if (!existsSync(results)) return false;
  const recorded = (JSON.parse(await readFile(results, 'utf8')) as { files: Record<string, { source: string }> }).files[file]?.source;
  return recorded === (await readFile(join(ROOT, file), 'utf8'));
}

/** A mutant's place in a results file (Stryker's report: lines and columns from 1, end exclusive). */
interface Placed {
  readonly status: string;
  readonly location: { readonly start: { line: number; column: number }; readonly end: { line: number; column: number } };
}

/**
 * FILE:RANGES naming exactly the mutants of `file` the triage leaves open (verdict open, or a
 * survivor no entry names) and those not reached, or undefined when there are none: what `--open`
 * runs again. Stryker's
 * ranges count columns from 0, inclusive at both ends.
 */
export async function openTarget(file: string): Promise<string | undefined> {
  const results = resultsFile(file);
  if (!existsSync(results)) return undefined;
  const report = JSON.parse(await readFile(results, 'utf8')) as { files: Record<string, { mutants: (ResultMutant & Placed)[] }> };
  const triage = (JSON.parse(await readFile(join(ROOT, 'docs/mutants.json'), 'utf8')) as { entries: TriageEntry[] }).entries;
  // Every mutant not reached too: a new check may reach it (it costs nothing when none does).
  const open = (report.files[file]?.mutants ?? []).filter((m) => m.status === 'NoCoverage' || (m.status === 'Survived' && (triageOf(file, m, triage)?.verdict ?? 'open') === 'open'));
  if (open.length === 0) return undefined;
  return `${file}:${open.map(({ location: { start, end } }) => `${start.line}:${start.column - 1}-${end.line}:${end.column - 1}`).join(',')}`;
}

async function main(argv: readonly string[]): Promise<number> {
  // --open: only the mutants the triage leaves open, run again (after new checks).
  const onlyOpen = argv.includes('--open');
  const force = argv.includes('--force') || onlyOpen;
  // --concurrency N: N mutants at a time (Stryker's own option; 1 by default, as the config says).
  const at = argv.indexOf('--concurrency');
  const concurrency = at === -1 ? undefined : argv[at + 1];
  if (concurrency !== undefined && !/^[1-9]\d*$/.test(concurrency)) {
    process.stderr.write('--concurrency needs a positive whole number\n');
    return 2;
  }
  const named = argv.filter((arg, i) => arg !== '--force' && arg !== '--open' && arg !== '--concurrency' && !(at !== -1 && i === at + 1));
  const all = await sourceFiles();
  const unknown = named.filter((arg) => !all.includes(fileOf(arg)));
  if (unknown.length > 0) {
    process.stderr.write(`not a file of reference/http or reference/store: ${unknown.join(', ')}\n`);
    return 2;
  }
  let files = named.length > 0 ? named : all;
  if (onlyOpen) {
    const targets = await Promise.all(files.map((target) => openTarget(fileOf(target))));
    files.forEach((target, i) => targets[i] === undefined && process.stderr.write(`${fileOf(target)}: no open mutant\n`));
    files = targets.filter((target): target is string => target !== undefined);
  }
  // FILE:RANGES (Stryker's mutation ranges, e.g. reference/http/tags.ts:15-24 or
  // reference/http/errors.ts:40:27-40:48,44:19-44:140) re-runs only the mutants within them.
  const state = join(ROOT, 'reports/mutants');
  let failed = 0;
  for (const target of files) {
    const file = fileOf(target);
    const results = resultsFile(file);
    if (!force && target === file && (await upToDate(file, results))) {
      process.stderr.write(`${file}: unchanged since its results were recorded (--force runs it again)\n`);
      continue;
    }
    await mkdir(dirname(results), { recursive: true });
    await rm(state, { recursive: true, force: true });
    await mkdir(join(state, 'tmp'), { recursive: true });
    process.stderr.write(`\n=== ${file} (${new Date().toISOString()})\n`);
    const env = { ...process.env, TOUCHSTONE_MUTANTS_STATE: state, TOUCHSTONE_MUTANTS_FILE: file, TMPDIR: join(state, 'tmp') };
    const args = ['-n', '10', process.execPath, STRYKER, 'run', 'mutants/stryker.config.json', '--mutate', mutateArg(target), '--incremental', '--incrementalFile', relative(ROOT, results), ...(force ? ['--force'] : []), ...(concurrency ? ['--concurrency', concurrency] : [])];
    const code = await run('nice', args, env);
    if (code !== 0 || !existsSync(results)) {
      process.stderr.write(`Stryker exited ${code} on ${file}\n`);
      failed += 1;
      continue;
    }
    await settleFile(results);
    await writeTables(ROOT);
  }
  await writeTables(ROOT);
  await rm(state, { recursive: true, force: true });
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
