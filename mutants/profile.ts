/**
 * What `npm run mutants` runs against each mutant and how its command talks to the driver: the
 * check profile (the default profile of `touchstone check` with `--spec-version main`, since the
 * reference registry implements the main branch's additions, the race checks (gc.race.*: pushes
 * racing collections, which the default profile leaves out for their time), and a short property
 * run with a fixed seed so a re-run meets the same command sequences), the marker of the command's verdict
 * line, the baseline the dry run records, how the driver turns that line into Stryker's status,
 * and the order in which a mutant's checks run.
 */
export const PROFILE: readonly string[] = ['--spec-version', 'main', '--race-checks', '--no-cleanup', '--runs', '10', '--time-budget', '10', '--seed', '1', '--quiet', '--no-color'];

/** Starts the one line of the command's output the driver reads (Stryker keeps it as statusReason). */
export const MARK = 'touchstone-mutants:';

/** The part of the run a mutant was reached in when it was reached outside every check (start-up, module load, cleanup). */
export const EVERYWHERE = '*';
/** The part of the run after the scripted checks: the property layer. */
export const PROPERTIES = 'properties';

export interface Baseline {
  /** Status of every result of the run without a mutant, by check id. */
  readonly results: Readonly<Record<string, string>>;
  /**
   * The parts of the run that executed each mutant, by mutant id: check ids, PROPERTIES, or
   * EVERYWHERE. A mutant absent here cannot change what the run sees.
   */
  readonly reachedBy: Readonly<Record<string, readonly string[]>>;
}

export interface ReportMutant {
  status: string;
  statusReason?: string;
  [key: string]: unknown;
}

/** Turns the command's verdict line into Stryker's status: only a `killed:` line is a kill. */
export function settle(mutant: ReportMutant): void {
  // A kill settled by an earlier run and kept by --incremental holds its verdict line alone.
  if (mutant.status !== 'Killed' || mutant.statusReason?.startsWith('killed:')) return;
  const line = (mutant.statusReason ?? '').split('\n').find((l) => l.startsWith(MARK))?.slice(MARK.length).trim();
  if (line === undefined) {
    mutant.status = 'RuntimeError';
    mutant.statusReason = `the command gave no verdict: ${(mutant.statusReason ?? '').slice(-600)}`;
    return;
  }
  mutant.statusReason = line;
  if (line.startsWith('not reached')) mutant.status = 'NoCoverage';
  else if (line.startsWith('timed out')) mutant.status = 'Timeout';
  else if (!line.startsWith('killed:')) mutant.status = 'RuntimeError';
}

/** Check id prefixes most likely to notice a mutant of a file, by file. */
const AREAS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/http\/blobs\.ts$|store\/blobs\.ts$/, ['blobs.pull', 'deletes.blob', 'blobs']],
  [/uploads\.ts$|digest\.ts$/, ['blobs.upload', 'blobs.mount']],
  [/http\/tags\.ts$/, ['tags']],
  [/referrers\.ts$/, ['referrers']],
  [/http\/catalog\.ts$/, ['catalog']],
  [/manifests\.ts$|manifest-format\.ts$/, ['manifests', 'deletes', 'referrers', 'tags', 'gc.race.pull']],
  [/base\.ts$/, ['base']],
  [/admin\.ts$|gc\.ts$|pins\.ts$/, ['gc']],
  [/image-store\.ts$/, ['blobs.mount', 'deletes', 'gc']],
  [/router\.ts$|errors\.ts$|respond\.ts$|layout\.ts$/, ['validation']],
];

/** The check that judges every error answer the run received before it: it keeps its place after the others. */
const JUDGES_THE_RUN = 'validation.errors.every-answer';

/**
 * Every check, those of the areas the mutated file serves first: a mutant is usually killed by
 * them, and the run stops at the first kill. Each result is the same in any order, except that of
 * JUDGES_THE_RUN, which reads the answers of the checks before it: it stays behind every check
 * that came before it in the suite's own order (moved forward with the validation area, it would
 * judge only the answers of that area).
 */
export function firstFor<T extends { readonly id: string }>(file: string | undefined, checks: readonly T[]): T[] {
  const prefixes = AREAS.find(([pattern]) => file !== undefined && pattern.test(file))?.[1] ?? [];
  const rank = (check: T): number => {
    if (check.id === JUDGES_THE_RUN) return prefixes.length + 1;
    const index = prefixes.findIndex((prefix) => check.id.startsWith(prefix));
    return index === -1 ? prefixes.length : index;
  };
  const judge = checks.findIndex((check) => check.id === JUDGES_THE_RUN);
  // Checks after the judge in the suite's order (GC, for one) stay after it.
  const after = (check: T): boolean => judge !== -1 && checks.indexOf(check) > judge;
  return [...checks].sort((a, b) => Number(after(a)) - Number(after(b)) || rank(a) - rank(b));
}
