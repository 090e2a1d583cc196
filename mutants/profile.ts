/**
 * What `npm run mutants` runs against each mutant and how its command talks to the driver: the
 * check profile (the default profile of `touchstone check` with `--spec-version main`, since the
 * reference registry implements the main branch's additions, and a short property run with a
 * fixed seed so a re-run meets the same command sequences), the marker of the command's verdict
 * line, the baseline the dry run records, and how the driver turns that line into Stryker's status.
 */
export const PROFILE: readonly string[] = ['--spec-version', 'main', '--no-cleanup', '--runs', '10', '--time-budget', '10', '--seed', '1', '--quiet', '--no-color'];

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
