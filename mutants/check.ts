/**
 * The command StrykerJS runs for every mutant (`npm run mutants`, docs/mutants.md): the default
 * profile of `touchstone check` — the scripted checks of `--spec-version main`, then a short
 * property run with a fixed seed — against the reference registry embedded in this process, so
 * the registry is the sandbox's mutated copy of reference/http and reference/store; Stryker
 * switches one mutant on through `__STRYKER_ACTIVE_MUTANT__`.
 *
 * Without an active mutant (Stryker's dry run) it records the baseline: each result's status and
 * the ids of the mutants the run reached (Stryker's instrumented code counts them). The baseline
 * must pass cleanly: any fail, warn or error stops the whole run. With a mutant it exits
 *   0  survived: every result as in the baseline;
 *   1  `killed: <id> <status>`: a result worse than its baseline status in the suite's lattice
 *      (pass < skip < warn < fail). A new warn or skip counts: the mutant changed what a client
 *      sees and the suite said so (a SHOULD broken, an optional feature gone). It stops there;
 *   1  `not reached`, `error: …`, `timed out`: the driver (mutants/run.ts) turns these into
 *      Stryker's NoCoverage, RuntimeError and Timeout. A harness error or a crash is never a kill;
 *      a request the registry never answered (the client's timeout) or a run past the deadline
 *      is a timeout: the mutant hangs the registry.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParsedCheck } from '../conformance/cli.ts';
import type { Result } from '../conformance/report/types.ts';
import { MARK, PROFILE, type Baseline } from './profile.ts';

/** Check id prefixes most likely to notice a mutant of a file, by file. */
const AREAS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/http\/blobs\.ts$|store\/blobs\.ts$/, ['blobs.pull', 'deletes.blob', 'blobs']],
  [/uploads\.ts$|digest\.ts$/, ['blobs.upload', 'blobs.mount']],
  [/http\/tags\.ts$/, ['tags']],
  [/referrers\.ts$/, ['referrers']],
  [/http\/catalog\.ts$/, ['catalog']],
  [/manifests\.ts$|manifest-format\.ts$/, ['manifests', 'deletes', 'referrers', 'tags']],
  [/base\.ts$/, ['base']],
  [/admin\.ts$|gc\.ts$|pins\.ts$/, ['gc']],
  [/image-store\.ts$/, ['blobs.mount', 'deletes', 'gc']],
  [/router\.ts$|errors\.ts$|respond\.ts$|layout\.ts$/, ['validation']],
];

const RANK = { pass: 0, skip: 1, warn: 2, fail: 3 } as const;

const stateDir = process.env.TOUCHSTONE_MUTANTS_STATE;
const active = process.env.__STRYKER_ACTIVE_MUTANT__;
const deadlineMs = Number(process.env.TOUCHSTONE_MUTANTS_DEADLINE_S ?? 180) * 1000;

/**
 * Every check, those of the areas the mutated file serves first: a mutant is usually killed by
 * them, and the run stops at the first kill. The set and each result are the same in any order.
 */
function firstFor<T extends { readonly id: string }>(file: string | undefined, checks: readonly T[]): T[] {
  const prefixes = AREAS.find(([pattern]) => file !== undefined && pattern.test(file))?.[1] ?? [];
  const rank = (check: T): number => {
    const index = prefixes.findIndex((prefix) => check.id.startsWith(prefix));
    return index === -1 ? prefixes.length : index;
  };
  return [...checks].sort((a, b) => rank(a) - rank(b));
}

/** A harness error: the registry left a request unanswered (the client's timeout) is a hang, else an error. */
function failure(message: string): string {
  return /UND_ERR_(HEADERS|BODY)_TIMEOUT/.test(message) ? `timed out: ${message}` : `error: ${message}`;
}

function finish(code: number, line: string): never {
  process.stdout.write(`${MARK} ${line}\n`);
  process.exit(code);
}

/** Ids of the mutants the run has reached so far (Stryker's instrumentation counts every one). */
function reached(): string[] {
  const ns = (globalThis as { __stryker__?: { mutantCoverage?: { static?: Record<string, number> } } }).__stryker__;
  return Object.keys(ns?.mutantCoverage?.static ?? {});
}

async function main(): Promise<void> {
  if (!stateDir) finish(1, 'error: TOUCHSTONE_MUTANTS_STATE is not set (run it through npm run mutants)');
  const baselineFile = join(stateDir, 'baseline.json');
  const baseline = active === undefined ? undefined : (JSON.parse(await readFile(baselineFile, 'utf8')) as Baseline);
  if (baseline && !baseline.reached.includes(active as string)) finish(1, 'not reached: the baseline run never executed this code');

  // Imported only now: a mutant the baseline never reached costs no more than this process's start.
  const { parseCheckArgs } = await import('../conformance/cli.ts');
  const { runSuite } = await import('../conformance/run.ts');
  const { startEmbeddedReference } = await import('../cli/embedded.ts');
  const { ALL_CHECKS } = await import('../conformance/checks/index.ts');
  const parsed = parseCheckArgs(PROFILE) as ParsedCheck;
  const embedded = await startEmbeddedReference();
  const timer = setTimeout(() => finish(1, `timed out after ${deadlineMs / 1000} s`), deadlineMs);
  timer.unref();
  const errors: Result[] = [];
  const onResult = (result: Result): void => {
    if (!baseline) return;
    const before = baseline.results[result.id] ?? 'pass';
    if (result.status === 'error') {
      // The registry left a request unanswered for the client's whole timeout: it hangs, and every
      // check after this one would wait as long.
      if (/UND_ERR_(HEADERS|BODY)_TIMEOUT/.test(result.message)) finish(1, failure(`${result.id}: ${result.message.replace(/\s+/g, ' ').slice(0, 300)}`));
      if (before !== 'error') errors.push(result);
      return;
    }
    if (RANK[result.status] > RANK[before as keyof typeof RANK]) {
      finish(1, `killed: ${result.id} ${before} → ${result.status}: ${result.message.replace(/\s+/g, ' ').slice(0, 400)}`);
    }
  };
  const config = { ...parsed.config, url: embedded.url, gc: embedded.gc };
  const report = await runSuite(config, { onResult, checks: firstFor(process.env.TOUCHSTONE_MUTANTS_FILE, ALL_CHECKS) });
  if (!baseline) {
    const bad = report.results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
    if (bad.length > 0) finish(1, `baseline is not clean: ${bad.map((r) => `${r.id} ${r.status}: ${r.message}`).join('; ')}`);
    const record: Baseline = { results: Object.fromEntries(report.results.map((r) => [r.id, r.status])), reached: reached() };
    await mkdir(stateDir, { recursive: true });
    await writeFile(baselineFile, JSON.stringify(record));
    finish(0, `baseline: ${report.results.length} results, ${record.reached.length} mutants reached, ${report.durationMs} ms`);
  }
  if (errors.length > 0) finish(1, failure(errors.map((r) => `${r.id}: ${r.message.replace(/\s+/g, ' ').slice(0, 300)}`).join('; ')));
  finish(0, `survived: ${report.results.length} results as in the baseline`);
}

process.on('uncaughtException', (error) => finish(1, `error: crash: ${error.stack ?? String(error)}`));
process.on('unhandledRejection', (error) => finish(1, `error: crash (unhandled rejection): ${(error as Error)?.stack ?? String(error)}`));
main().catch((error: unknown) => finish(1, failure((error as Error)?.stack ?? String(error))));
