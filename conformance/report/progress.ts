/**
 * Live progress of the property layer, from the runner's callbacks (model/property.ts
 * `PropertyProgress`): per property, executions of runs, elapsed time of its budget, and while a
 * counterexample is shrunk, how many smaller ones were found. On a terminal it is one line redrawn
 * in place: carriage return and "erase in line" (ECMA-48 EL, CSI 2 K) in the same write as the new
 * text, so the line never flickers, cut to the terminal's width so it never wraps, and cleared
 * before anything else is printed. Anywhere else (a pipe, a CI log) it is plain lines without
 * escape codes: one when a property starts or starts shrinking, then at most one every
 * PLAIN_EVERY_MS, so a log stays short.
 */
import type { PropertyProgress } from '../model/property.ts';
import { plural } from './text.ts';

/** The least time between two plain lines of one property in the same phase. */
export const PLAIN_EVERY_MS = 5000;

/** The least time between two redraws on a terminal. */
const REDRAW_EVERY_MS = 100;

/** Carriage return, then CSI 2 K: erase the whole line, cursor stays in column 1. */
const CLEAR_LINE = '\r\u001b[2K';

/** The width assumed for a terminal that does not say its own. */
const DEFAULT_COLUMNS = 80;

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "property.gc: running, 12/30 executions, 4.1 s of 7.5 s" (the ids are the suite's own, plain ASCII). */
export function describeProgress(progress: PropertyProgress): string {
  const time = `${seconds(progress.elapsedMs)} of ${seconds(progress.budgetMs)}`;
  if (progress.phase === 'running') return `${progress.property}: running, ${progress.executions}/${progress.runs} executions, ${time}`;
  return `${progress.property}: shrinking a counterexample, ${plural(progress.shrinkSteps, 'shrink step')}, ${plural(progress.executions, 'execution')}, ${time}`;
}

export class ProgressDisplay {
  readonly #out: ProgressOutput;
  readonly #now: () => number;
  /** Terminal: whether the line holds progress now, and when it was last drawn. */
  #drawn = false;
  #drawnAt = Number.NEGATIVE_INFINITY;
  /** Plain: the property, phase and time of the last line. */
  #last: { key: string; at: number } | undefined;

  constructor(out: ProgressOutput, now: () => number = Date.now) {
    this.#out = out;
    this.#now = now;
  }

  update(progress: PropertyProgress): void {
    const now = this.#now();
    const text = describeProgress(progress);
    if (this.#out.isTTY === true) {
      if (now - this.#drawnAt < REDRAW_EVERY_MS) return;
      const room = Math.max(1, (this.#out.columns ?? DEFAULT_COLUMNS) - 1);
      this.#out.write(`${CLEAR_LINE}${text.slice(0, room)}`);
      this.#drawn = true;
      this.#drawnAt = now;
      return;
    }
    const key = `${progress.property} ${progress.phase}`;
    if (this.#last?.key === key && now - this.#last.at < PLAIN_EVERY_MS) return;
    this.#out.write(`${text}\n`);
    this.#last = { key, at: now };
  }

  /** Before any other output: erases the progress line on a terminal (nothing to do elsewhere). */
  clear(): void {
    if (!this.#drawn) return;
    this.#out.write(CLEAR_LINE);
    this.#drawn = false;
    this.#drawnAt = Number.NEGATIVE_INFINITY;
  }
}
