/**
 * Runs a benchmark: the plan of cells (workload × blob size × concurrency), each on every
 * registry, repeated. With `compare` the registries take turns cell by cell (A, B, A, B …), so a
 * machine that slows down for a while slows all of them alike; otherwise each registry runs its
 * whole plan in turn. In a cell, `concurrency` workers start operations until the cell's count,
 * time or volume cap is reached, and the ones in flight finish. After each cell everything it
 * pushed is pulled back, checked, and deleted; what preparation pushed is checked and deleted at
 * the end. Wrong answers are counted by kind; an exception that is not an Anomaly is a bug of the
 * benchmark and ends the run.
 */
import type { RegistryClient } from '../conformance/client/registry-client.ts';
import { BlobFactory, type BlobRef } from './content.ts';
import { deleteLedger, Ledger, verifyLedger, type DeletePolicy } from './ledger.ts';
import { startMeasuring } from './resources.ts';
import type { CellResult, CellSummary, ErrorCount, Measurement, RegistryInfo } from './result.ts';
import { formatSize, opsCap, type Settings } from './settings.ts';
import { percentiles, spread } from './stats.ts';
import { Anomaly } from './verify.ts';
import type { Prepared, Target, Workload } from './workloads/types.ts';

export interface RunTarget {
  readonly label: string;
  readonly url: string;
  readonly client: RegistryClient;
  readonly pid?: number;
}

export interface Step {
  readonly number: number;
  readonly total: number;
  readonly workload: Workload;
  readonly size: number | undefined;
  readonly concurrency: number;
  readonly repetition: number;
  readonly registry: string;
}

export interface Live {
  readonly elapsedMs: number;
  readonly ops: number;
  readonly bytes: number;
  readonly errors: number;
}

export interface RunHooks {
  onPhase?(text: string): void;
  onTick?(step: Step, live: Live): void;
  onCellEnd?(step: Step, measurement: Measurement | undefined, note: string | undefined): void;
}

export interface RunOutcome {
  readonly cells: CellResult[];
  readonly errors: ErrorCount[];
  readonly registries: RegistryInfo[];
  readonly interrupted: boolean;
}

const TICK_MS = 200;

interface State extends Target {
  readonly pid: number | undefined;
  readonly prepared: Map<string, Promise<Prepared | { failed: string }>>;
  readonly deletes: DeletePolicy;
  checked: number;
  deleted: number;
  left: number;
  leftBytes: number;
}

interface Planned {
  readonly workload: Workload;
  readonly size: number | undefined;
  readonly concurrency: number;
  readonly skipped: string | undefined;
}

/** The cells of a run, in order; a cell whose workers would together move more than --cell-volume is skipped. */
export function plan(workloads: readonly Workload[], settings: Settings): Planned[] {
  const cells: Planned[] = [];
  for (const workload of workloads) {
    for (const size of workload.sized ? settings.sizes : [undefined]) {
      for (const concurrency of settings.concurrency) {
        const cap = opsCap(settings, size);
        const skipped = size !== undefined && concurrency > cap ? `${concurrency} × ${formatSize(size)} in flight exceeds --cell-volume ${formatSize(settings.cellVolume)}` : undefined;
        cells.push({ workload, size, concurrency, skipped });
      }
    }
  }
  return cells;
}

/** The most a run may push to one registry: every push its caps allow, preparation included. */
export function volumeEstimate(workloads: readonly Workload[], settings: Settings): number {
  let bytes = 0;
  for (const cell of plan(workloads, settings)) {
    if (cell.skipped !== undefined) continue;
    const size = cell.size ?? 0;
    bytes += Math.ceil(opsCap(settings, cell.size) * cell.workload.pushShare(settings)) * size * settings.repeat;
  }
  for (const workload of workloads) for (const size of workload.sized ? settings.sizes : [Math.min(...settings.sizes)]) bytes += workload.setupBytes(settings, size);
  return bytes;
}

export async function runBenchmark(targets: readonly RunTarget[], workloads: readonly Workload[], settings: Settings, runId: string, hooks: RunHooks = {}, signal?: AbortSignal): Promise<RunOutcome> {
  const blobs = new BlobFactory(settings.seed);
  let nextBlob = 0;
  const states: State[] = targets.map((t) => ({
    label: t.label,
    url: t.url,
    client: t.client,
    pid: t.pid,
    prefix: `${settings.namespace}/${runId}`,
    blobs,
    fresh: (size: number): BlobRef => blobs.blob(nextBlob++, size),
    setup: new Ledger(),
    prepared: new Map(),
    deletes: { manifests: true, blobs: true },
    checked: 0,
    deleted: 0,
    left: 0,
    leftBytes: 0,
  }));
  const errors = new Map<string, ErrorCount>();
  const count = (registry: string, workload: string, anomaly: Anomaly, n = 1): void => {
    const key = `${registry}\u0000${workload}\u0000${anomaly.kind}`;
    const known = errors.get(key);
    errors.set(key, { registry, workload, kind: anomaly.kind, count: (known?.count ?? 0) + n, example: known?.example ?? anomaly.message });
  };

  const cells = plan(workloads, settings);
  const order: { cell: Planned; repetition: number; state: State }[] = [];
  if (settings.compare) {
    for (const cell of cells) for (let r = 1; r <= settings.repeat; r += 1) for (const state of states) order.push({ cell, repetition: r, state });
  } else {
    for (const state of states) for (const cell of cells) for (let r = 1; r <= settings.repeat; r += 1) order.push({ cell, repetition: r, state });
  }
  const results = new Map<string, { cell: Planned; state: State; status: CellResult['status']; reason?: string; runs: Measurement[]; latency: number[]; ttfb: number[] }>();
  const total = order.filter((o) => o.cell.skipped === undefined).length;
  let number = 0;

  for (const { cell, repetition, state } of order) {
    const key = `${cell.workload.name} ${cell.size ?? '-'} ${cell.concurrency} ${state.label}`;
    let result = results.get(key);
    if (result === undefined) {
      result = { cell, state, status: cell.skipped ? 'skipped' : 'measured', ...(cell.skipped ? { reason: cell.skipped } : {}), runs: [], latency: [], ttfb: [] };
      results.set(key, result);
    }
    if (cell.skipped !== undefined || signal?.aborted) continue;
    number += 1;
    const step: Step = { number, total, workload: cell.workload, size: cell.size, concurrency: cell.concurrency, repetition, registry: state.label };
    const prepared = await prepare(state, cell, settings, hooks, (a) => count(state.label, cell.workload.name, a));
    if ('failed' in prepared || 'unsupported' in prepared) {
      result.status = 'failed' in prepared ? 'failed' : 'unsupported';
      result.reason = 'failed' in prepared ? prepared.failed : prepared.unsupported;
      hooks.onCellEnd?.(step, undefined, result.reason);
      continue;
    }
    const ledger = new Ledger();
    const tag = `${cell.concurrency}-${cell.size ?? 0}-${repetition}`.toLowerCase();
    const measured = await runCell(state, prepared.op, cell, settings, { ledger, tag }, step, hooks, signal);
    for (const [kind, example] of measured.examples) count(state.label, cell.workload.name, example, measured.measurement.errors[kind]);
    result.runs.push(measured.measurement);
    result.latency.push(...measured.latency);
    result.ttfb.push(...measured.ttfb);
    await settle(state, ledger, (a) => count(state.label, cell.workload.name, new Anomaly(`pull-back: ${a.kind}`, a.message)));
    hooks.onCellEnd?.(step, measured.measurement, undefined);
  }

  for (const state of states) {
    hooks.onPhase?.(`${state.label}: pulling back and deleting what preparation pushed`);
    await settle(state, state.setup, (a) => count(state.label, 'setup', new Anomaly(`pull-back: ${a.kind}`, a.message)));
  }

  return {
    cells: [...results.values()].map(({ cell, state, status, reason, runs, latency, ttfb }) => ({
      workload: cell.workload.name,
      size: cell.size ?? null,
      concurrency: cell.concurrency,
      registry: state.label,
      status,
      ...(reason !== undefined ? { reason } : {}),
      runs,
      ...(runs.length > 0 ? { summary: summarize(runs, latency, ttfb) } : {}),
    })),
    errors: [...errors.values()],
    registries: states.map((s) => ({ label: s.label, url: s.url, ...(s.pid !== undefined ? { pid: s.pid } : {}), checked: s.checked, deleted: s.deleted, left: s.left, leftBytes: s.leftBytes })),
    interrupted: signal?.aborted === true,
  };
}

/** The workload prepared on this registry at this size, once; a wrong answer fails every cell that needs it. */
function prepare(state: State, cell: Planned, settings: Settings, hooks: RunHooks, onAnomaly: (a: Anomaly) => void): Promise<Prepared | { failed: string }> {
  const size = cell.size ?? Math.min(...settings.sizes);
  const key = `${cell.workload.name} ${size}`;
  let prepared = state.prepared.get(key);
  if (prepared === undefined) {
    hooks.onPhase?.(`${state.label}: preparing ${cell.workload.name}${cell.size ? ` ${formatSize(cell.size)}` : ''}`);
    prepared = cell.workload.prepare(state, settings, size).catch((error: unknown) => {
      if (!(error instanceof Anomaly)) throw error;
      const anomaly = new Anomaly(`prepare: ${error.kind}`, error.message);
      onAnomaly(anomaly);
      return { failed: `preparation failed: ${error.message}` };
    });
    state.prepared.set(key, prepared);
  }
  return prepared;
}

async function settle(state: State, ledger: Ledger, onAnomaly: (a: Anomaly) => void): Promise<void> {
  state.checked += await verifyLedger(state.client, ledger, onAnomaly);
  const settled = await deleteLedger(state.client, ledger, state.deletes);
  state.deleted += settled.deleted;
  state.left += settled.left;
  state.leftBytes += settled.leftBytes;
}

interface CellRun {
  readonly measurement: Measurement;
  readonly latency: number[];
  readonly ttfb: number[];
  /** The first anomaly of each kind (the measurement counts them all). */
  readonly examples: Map<string, Anomaly>;
}

async function runCell(state: State, op: Extract<Prepared, { op: unknown }>['op'], cell: Planned, settings: Settings, scope: { ledger: Ledger; tag: string }, step: Step, hooks: RunHooks, signal: AbortSignal | undefined): Promise<CellRun> {
  const cap = opsCap(settings, cell.size);
  const latency: number[] = [];
  const ttfb: number[] = [];
  const errors: Record<string, number> = {};
  const examples = new Map<string, Anomaly>();
  let started = 0;
  let bytes = 0;
  let requests = 0;
  let failed = 0;
  const measuring = await startMeasuring(state.pid);
  const begin = performance.now();
  const deadline = begin + settings.durationMs;
  const ticker = setInterval(() => hooks.onTick?.(step, { elapsedMs: performance.now() - begin, ops: latency.length, bytes, errors: failed }), TICK_MS);
  const worker = async (): Promise<void> => {
    while (started < cap && performance.now() < deadline && signal?.aborted !== true) {
      const index = started;
      started += 1;
      const t0 = performance.now();
      try {
        const done = await op(index, scope);
        latency.push(performance.now() - t0);
        if (done.ttfbMs !== undefined) ttfb.push(done.ttfbMs);
        bytes += done.bytes;
        requests += done.requests;
      } catch (error) {
        if (!(error instanceof Anomaly)) throw error;
        failed += 1;
        errors[error.kind] = (errors[error.kind] ?? 0) + 1;
        if (!examples.has(error.kind)) examples.set(error.kind, error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: cell.concurrency }, worker));
  } finally {
    clearInterval(ticker);
  }
  const seconds = (performance.now() - begin) / 1000;
  const used = await measuring.stop();
  const perSecond = (n: number): number => (seconds > 0 ? n / seconds : 0);
  const measurement: Measurement = {
    repetition: step.repetition,
    ops: latency.length,
    requests,
    bytes,
    seconds,
    opsPerSec: perSecond(latency.length),
    requestsPerSec: perSecond(requests),
    mbPerSec: perSecond(bytes) / 1e6,
    latencyMs: percentiles(latency),
    ttfbMs: percentiles(ttfb),
    errors,
    clientCpuPercent: used.cpuPercent,
    registryMemory: used.memory,
  };
  return { measurement, latency, ttfb, examples };
}

function summarize(runs: readonly Measurement[], latency: readonly number[], ttfb: readonly number[]): CellSummary {
  const peaks = runs.map((r) => r.registryMemory?.peakMb).filter((v): v is number => v !== undefined);
  const sampled = runs.map((r) => r.registryMemory?.sampledMaxMb).filter((v): v is number => v !== undefined);
  const cpu = spread(runs.map((r) => r.clientCpuPercent));
  return {
    opsPerSec: spread(runs.filter((r) => r.ops > 0).map((r) => r.opsPerSec)),
    requestsPerSec: spread(runs.filter((r) => r.ops > 0).map((r) => r.requestsPerSec)),
    mbPerSec: spread(runs.filter((r) => r.ops > 0).map((r) => r.mbPerSec)),
    latencyMs: percentiles(latency),
    ttfbMs: percentiles(ttfb),
    errors: runs.reduce((n, r) => n + Object.values(r.errors).reduce((a, b) => a + b, 0), 0),
    clientCpuPercent: cpu?.median ?? 0,
    registryPeakMb: peaks.length > 0 ? Math.max(...peaks) : undefined,
    registrySampledMaxMb: sampled.length > 0 ? Math.max(...sampled) : undefined,
  };
}
