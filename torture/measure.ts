/**
 * Measurements shared by the scenarios: a process's memory from /proc/PID/status (VmRSS now,
 * VmHWM its peak since it started), an RSS sampler, latency percentiles (nearest rank), the
 * machine's load, and numbers formatted for the one-line reports.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

export interface Memory {
  readonly rssMiB: number;
  /** Peak resident set size since the process started (VmHWM). */
  readonly hwmMiB: number;
}

/** The process's memory, or undefined when it has gone. */
export async function memoryOf(pid: number): Promise<Memory | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Samples a process's RSS every `intervalMs` until stopped; the peak is the larger of the samples and VmHWM. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #peak = 0;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    this.#timer = setInterval(() => void this.sample(), intervalMs);
  }

  async sample(): Promise<number> {
    const memory = await memoryOf(this.#pid);
    if (memory !== undefined) this.#peak = Math.max(this.#peak, memory.rssMiB, memory.hwmMiB);
    return this.#peak;
  }

  /** Stops sampling; the peak RSS seen, in MiB. */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    return this.sample();
  }
}

/** The p-th percentile (0 < p ≤ 100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number;
}

/** 31208 → "31,208". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Milliseconds, to a precision that suits their size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function mib(value: number): string {
  return `${value.toFixed(1)} MiB`;
}

/** The 1-minute load average: figures measured on a busy machine say so. */
export function load(): string {
  return (loadavg()[0] ?? 0).toFixed(1);
}

export const sleep = (delayMs: number): Promise<void> => new Promise((ok) => setTimeout(ok, delayMs));
