/**
 * What every scenario returns: its figures, the one line that reports them, and its goals (the
 * figures issue 9 sets a target for); the runner exits 1 when any goal is missed. `samples` are a
 * few offending requests or items, printed under the line when there are any.
 */
export interface Goal {
  /** The figure and its target, e.g. "lost tags 0". */
  readonly target: string;
  /** What was measured, e.g. "3". */
  readonly got: string;
  readonly met: boolean;
}

export interface Outcome<F> {
  readonly figures: F;
  readonly line: string;
  readonly goals: readonly Goal[];
  readonly samples: readonly string[];
}

export function goal(target: string, got: number | string, met: boolean): Goal {
  return { target, got: typeof got === 'number' ? got.toLocaleString('en-US') : got, met };
}

/** Options every scenario takes. */
export interface CommonOptions {
  /** The environment of the registry processes (tests turn coverage off in children). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra `touchstone serve` flags for every registry the scenario starts. */
  readonly serveArgs?: readonly string[];
  /** Progress messages (one per cycle or phase); silent by default. */
  readonly progress?: (message: string) => void;
}
