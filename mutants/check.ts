/**
 * The command StrykerJS runs for every mutant (`npm run mutants`, docs/mutants.md): the default
 * profile of `touchstone check` — the scripted checks of `--spec-version main`, then a short
 * property run with a fixed seed — against the reference registry embedded in this process, then
 * the auth checks against the same registry with TLS and tokens, and the disabled-delete checks
 * against one with tag deletes off (mutants/passes.ts), so every registry is the sandbox's mutated
 * copy of reference/http and reference/store; Stryker switches one mutant on through
 * `__STRYKER_ACTIVE_MUTANT__`.
 *
 * Without an active mutant (Stryker's dry run) it records the baseline: each result's status and,
 * for each mutant the run reached, which parts of the run reached it (each check runs as
 * Stryker's "current test", so the instrumented code counts per check; then the property layer;
 * start-up and the preflight count as everywhere). The baseline must pass cleanly: any fail, warn
 * or error stops the whole run. With a mutant, only the parts that reached it run again (the
 * whole run when start-up did): a check that never executed the mutated code sees exactly what
 * it saw, since each check works in repositories of its own. It exits
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
import type { Check } from '../conformance/checks/types.ts';
import type { ParsedCheck } from '../conformance/cli.ts';
import type { Result } from '../conformance/report/types.ts';
import { EVERYWHERE, firstFor, MARK, PROPERTIES, type Baseline } from './profile.ts';

const RANK = { pass: 0, skip: 1, warn: 2, fail: 3 } as const;

const stateDir = process.env.TOUCHSTONE_MUTANTS_STATE;
const active = process.env.__STRYKER_ACTIVE_MUTANT__;
const deadlineMs = Number(process.env.TOUCHSTONE_MUTANTS_DEADLINE_S ?? 360) * 1000;

/** A harness error: the registry left a request unanswered (the client's timeout) is a hang, else an error. */
function failure(message: string): string {
  return /UND_ERR_(HEADERS|BODY)_TIMEOUT/.test(message) ? `timed out: ${message}` : `error: ${message}`;
}

function finish(code: number, line: string): never {
  process.stdout.write(`${MARK} ${line}\n`);
  process.exit(code);
}

interface StrykerNamespace {
  currentTestId?: string;
  mutantCoverage?: { static?: Record<string, number>; perTest?: Record<string, Record<string, number>> };
}

/** Stryker's global namespace, which its instrumented code reads and writes. */
function stryker(): StrykerNamespace {
  const g = globalThis as { __stryker__?: StrykerNamespace };
  g.__stryker__ ??= {};
  return g.__stryker__;
}

/**
 * The parts of the run that executed each mutant so far. The instrumented code counts a mutant
 * under Stryker's "current test" when one is set, else as static: here the current test is the
 * check running (traced), then PROPERTIES; static (start-up, the preflight) is EVERYWHERE.
 */
function reachedBy(): Record<string, string[]> {
  const coverage = stryker().mutantCoverage ?? {};
  const by: Record<string, string[]> = {};
  const add = (id: string, part: string): void => {
    (by[id] ??= []).push(part);
  };
  for (const id of Object.keys(coverage.static ?? {})) add(id, EVERYWHERE);
  for (const [part, ids] of Object.entries(coverage.perTest ?? {})) for (const id of Object.keys(ids)) add(id, part);
  return by;
}

/**
 * The checks, each run as Stryker's current test under its id in the pass (`id`); what follows a
 * check of the main pass, until the next, counts as PROPERTIES, in the other passes as start-up.
 */
function traced(checks: readonly Check[], pass: string, id: (checkId: string) => string): Check[] {
  const after = pass === 'main' ? PROPERTIES : undefined;
  return checks.map((check) => ({
    ...check,
    async run(ctx) {
      stryker().currentTestId = id(check.id);
      try {
        return await check.run(ctx);
      } finally {
        stryker().currentTestId = after;
      }
    },
  }));
}

async function main(): Promise<void> {
  if (!stateDir) finish(1, 'error: TOUCHSTONE_MUTANTS_STATE is not set (run it through npm run mutants)');
  const baselineFile = join(stateDir, 'baseline.json');
  const baseline = active === undefined ? undefined : (JSON.parse(await readFile(baselineFile, 'utf8')) as Baseline);
  const parts = baseline?.reachedBy[active as string];
  if (baseline && parts === undefined) finish(1, 'not reached: the baseline run never executed this code');

  // Imported only now: a mutant the baseline never reached costs no more than this process's start.
  const { parseCheckArgs } = await import('../conformance/cli.ts');
  const { runSuite } = await import('../conformance/run.ts');
  const { ALL_CHECKS } = await import('../conformance/checks/index.ts');
  const { partId, passes: passesOf } = await import('./passes.ts');
  const timer = setTimeout(() => finish(1, `timed out after ${deadlineMs / 1000} s`), deadlineMs);
  timer.unref();
  const passes = await passesOf(stateDir as string);
  // With a mutant, only the parts of the run that executed it in the baseline: a check that never
  // reached the mutated code runs exactly as it did (each check works in repositories of its own).
  // A mutant reached outside every check (start-up, a preflight) gets the whole run.
  const everywhere = parts === undefined || parts.includes(EVERYWHERE);
  const errors: Result[] = [];
  const results: Result[] = [];
  let durationMs = 0;
  let ran = 0;
  for (const pass of passes) {
    const id = (checkId: string): string => partId(pass.name, checkId);
    const inPass = ALL_CHECKS.filter((check) => pass.select(check));
    const checks = everywhere ? inPass : inPass.filter((check) => parts.includes(id(check.id)));
    const withProperties = pass.name === 'main' && (everywhere || parts.includes(PROPERTIES));
    if (checks.length === 0 && !withProperties) continue;
    const target = await pass.target();
    const onResult = (result: Result): void => {
      if (!baseline) return;
      const before = baseline.results[id(result.id)] ?? 'pass';
      if (result.status === 'error') {
        // The registry left a request unanswered for the client's whole timeout: it hangs, and every
        // check after this one would wait as long.
        if (/UND_ERR_(HEADERS|BODY)_TIMEOUT/.test(result.message)) finish(1, failure(`${id(result.id)}: ${result.message.replace(/\s+/g, ' ').slice(0, 300)}`));
        if (before !== 'error') errors.push({ ...result, id: id(result.id) });
        return;
      }
      if (RANK[result.status] > RANK[before as keyof typeof RANK]) {
        finish(1, `killed: ${id(result.id)} ${before} → ${result.status}: ${result.message.replace(/\s+/g, ' ').slice(0, 400)}`);
      }
    };
    const parsed = parseCheckArgs(pass.args) as ParsedCheck;
    const config = { ...parsed.config, url: target.url, gc: { ...target.gc, races: parsed.config.gc.races === true }, restart: target.restart, property: withProperties ? parsed.config.property : undefined };
    const ordered = firstFor(process.env.TOUCHSTONE_MUTANTS_FILE, checks);
    // Between checks and in a pass's preflight, code counts as start-up (everywhere), except after
    // the main pass's last check, where the property layer follows.
    stryker().currentTestId = undefined;
    const report = await runSuite(config, { onResult, checks: baseline ? ordered : traced(ordered, pass.name, id) });
    results.push(...report.results.map((r) => ({ ...r, id: id(r.id) })));
    durationMs += report.durationMs;
    ran += checks.length;
  }
  if (!baseline) {
    const bad = results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
    if (bad.length > 0) finish(1, `baseline is not clean: ${bad.map((r) => `${r.id} ${r.status}: ${r.message}`).join('; ')}`);
    const record: Baseline = { results: Object.fromEntries(results.map((r) => [r.id, r.status])), reachedBy: reachedBy() };
    await mkdir(stateDir as string, { recursive: true });
    await writeFile(baselineFile, JSON.stringify(record));
    finish(0, `baseline: ${results.length} results over ${passes.length} registries, ${Object.keys(record.reachedBy).length} mutants reached, ${durationMs} ms`);
  }
  if (errors.length > 0) finish(1, failure(errors.map((r) => `${r.id}: ${r.message.replace(/\s+/g, ' ').slice(0, 300)}`).join('; ')));
  finish(0, `survived: ${results.length} results as in the baseline (${everywhere ? 'the whole run' : `the ${ran} checks${parts.includes(PROPERTIES) ? ' and the property layer' : ''} that reach it`})`);
}

process.on('uncaughtException', (error) => finish(1, `error: crash: ${error.stack ?? String(error)}`));
process.on('unhandledRejection', (error) => finish(1, `error: crash (unhandled rejection): ${(error as Error)?.stack ?? String(error)}`));
main().catch((error: unknown) => finish(1, failure((error as Error)?.stack ?? String(error))));
