/**
 * The shape of a benchmark's result: what `--json` writes and `--baseline` reads back, and what
 * every report is made from. One cell is one workload × blob size × concurrency on one registry;
 * its runs are the repetitions, its summary their medians (throughput, with the min–max spread)
 * and the latency percentiles of all its operations together.
 */
import type { RegistryMemory } from './resources.ts';
import type { Settings } from './settings.ts';
import type { Percentiles, Spread } from './stats.ts';

export interface Measurement {
  readonly repetition: number;
  /** Operations that succeeded; failed ones are in `errors` only. */
  readonly ops: number;
  readonly requests: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly requestsPerSec: number;
  /** 10^6 bytes per second. */
  readonly mbPerSec: number;
  readonly latencyMs: Percentiles | undefined;
  readonly ttfbMs: Percentiles | undefined;
  readonly errors: Readonly<Record<string, number>>;
  readonly clientCpuPercent: number;
  readonly registryMemory: RegistryMemory | undefined;
}

export interface CellSummary {
  readonly opsPerSec: Spread | undefined;
  readonly requestsPerSec: Spread | undefined;
  readonly mbPerSec: Spread | undefined;
  readonly latencyMs: Percentiles | undefined;
  readonly ttfbMs: Percentiles | undefined;
  readonly errors: number;
  readonly clientCpuPercent: number;
  readonly registryPeakMb: number | undefined;
  readonly registrySampledMaxMb: number | undefined;
}

export type CellStatus = 'measured' | 'skipped' | 'unsupported' | 'failed';

export interface CellResult {
  readonly workload: string;
  /** Blob size in bytes; null for workloads without one (manifests, tags, referrers, mount). */
  readonly size: number | null;
  readonly concurrency: number;
  readonly registry: string;
  readonly status: CellStatus;
  readonly reason?: string;
  readonly runs: readonly Measurement[];
  readonly summary?: CellSummary;
}

export interface ErrorCount {
  readonly registry: string;
  readonly workload: string;
  readonly kind: string;
  readonly count: number;
  readonly example: string;
}

export interface RegistryInfo {
  readonly label: string;
  readonly url: string;
  readonly pid?: number;
  /** What the run pushed and checked again at the end, deleted, and had to leave. */
  readonly checked: number;
  readonly deleted: number;
  readonly left: number;
  readonly leftBytes: number;
}

/** A figure of one registry against the first, per repetition (they ran interleaved). */
export interface Ratio {
  readonly workload: string;
  readonly size: number | null;
  readonly concurrency: number;
  readonly registry: string;
  readonly against: string;
  /** Operations per second, this registry over the first: > 1 is faster. */
  readonly throughput: Spread | undefined;
  /** Median latency, this registry over the first: < 1 is faster. */
  readonly p50: Spread | undefined;
}

export interface Regression {
  readonly workload: string;
  readonly size: number | null;
  readonly concurrency: number;
  readonly registry: string;
  readonly figure: 'op/s' | 'p50 ms';
  readonly baseline: number;
  readonly now: number;
  /** How much worse, in percent. */
  readonly worsePercent: number;
}

export type VerdictStatus = 'ok' | 'errors' | 'regression';

export interface BenchResult {
  readonly tool: 'touchstone bench';
  readonly format: 1;
  readonly startedAt: string;
  readonly seconds: number;
  /** Every repository the run used is under <namespace>/<runId>. */
  readonly runId: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly platform: string; readonly release: string };
  readonly command: string;
  readonly settings: Settings;
  readonly registries: readonly RegistryInfo[];
  readonly cells: readonly CellResult[];
  readonly errors: readonly ErrorCount[];
  readonly ratios: readonly Ratio[];
  readonly regressions: readonly Regression[] | undefined;
  readonly interrupted: boolean;
  readonly verdict: { readonly status: VerdictStatus; readonly message: string };
}

/** "push-streamed 16 MiB c8": a cell's name without the registry. */
export function cellKey(cell: Pick<CellResult, 'workload' | 'size' | 'concurrency'>): string {
  return `${cell.workload} ${cell.size ?? '-'} c${cell.concurrency}`;
}
