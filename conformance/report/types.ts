/**
 * The result of a run, as every reporter sees it. The JSON report is this object (plus nothing):
 * {"target", "summary": {"pass","fail","warn","skip","error"}, "results": [{"id","title","level",
 * "status","message","spec", …}]}. A property-test counterexample is a result too, with its seed,
 * path, commands and curl reproduction.
 */
import type { Exchange } from '../client/exchange.ts';
import type { Level, Status } from '../checks/types.ts';
import type { SpecVersion } from '../config.ts';

export interface Counterexample {
  readonly seed: number;
  readonly path: string;
  /** The shrunk command sequence, one line per command. */
  readonly commands: readonly string[];
  /** A bash script of curl commands replaying the shrunk run's HTTP exchanges. */
  readonly curl: string;
  /** Command line that replays exactly this run. */
  readonly replay: string;
  /** Executions of the property up to and including the first failing one. */
  readonly executions: number;
  /** Milliseconds from the property's start to the end of the first failing execution. */
  readonly foundAfterMs: number;
}

export interface Result {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  readonly status: Status;
  readonly message: string;
  readonly spec: string;
  readonly area: string;
  readonly layer: 'scripted' | 'property';
  readonly ms: number;
  readonly nonNormative?: boolean;
  /** The exchanges of a check that did not pass (bounded). */
  readonly exchanges?: readonly Exchange[];
  /** Index in `exchanges` of the one that broke the rule, when the failure names one. */
  readonly failingExchange?: number;
  readonly counterexample?: Counterexample;
}

export type Summary = Record<Status, number>;

/**
 * The exchanges a result keeps: the last `limit` of `all`, the window moved back when needed so
 * the exchange that broke the rule (`failing`, the one a CheckFailure names) stays, and its index.
 */
export function keptExchanges(all: readonly Exchange[], limit: number, failing: Exchange | undefined): Pick<Result, 'exchanges' | 'failingExchange'> {
  const index = failing === undefined ? -1 : all.lastIndexOf(failing);
  const start = Math.max(0, index === -1 ? all.length - limit : Math.min(index, all.length - limit));
  const exchanges = all.slice(start, start + limit);
  return index === -1 ? { exchanges } : { exchanges, failingExchange: index - start };
}

export interface Report {
  readonly tool: 'touchstone';
  readonly target: string;
  readonly specVersion: SpecVersion;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly summary: Summary;
  readonly results: readonly Result[];
}

export function summarize(results: readonly Result[]): Summary {
  const summary: Summary = { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 };
  for (const result of results) summary[result.status] += 1;
  return summary;
}

/** Exit code: 2 for harness errors, 1 when a MUST-level check fails, else 0. */
export function exitCode(report: Report): number {
  if (report.results.some((r) => r.status === 'error')) return 2;
  if (report.results.some((r) => r.status === 'fail' && r.level === 'MUST')) return 1;
  return 0;
}
