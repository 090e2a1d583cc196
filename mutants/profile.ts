/**
 * What `npm run mutants` runs against each mutant and how its command talks to the driver: the
 * check profile (the default profile of `touchstone check` with `--spec-version main`, since the
 * reference registry implements the main branch's additions, and a short property run with a
 * fixed seed so a re-run meets the same command sequences), the marker of the command's verdict
 * line, and the baseline the dry run records.
 */
export const PROFILE: readonly string[] = ['--spec-version', 'main', '--no-cleanup', '--runs', '10', '--time-budget', '10', '--seed', '1', '--quiet', '--no-color'];

/** Starts the one line of the command's output the driver reads (Stryker keeps it as statusReason). */
export const MARK = 'touchstone-mutants:';

export interface Baseline {
  /** Status of every result of the run without a mutant, by check id. */
  readonly results: Readonly<Record<string, string>>;
  /** Ids of the mutants that run executed: any other cannot change what the run sees. */
  readonly reached: readonly string[];
}
