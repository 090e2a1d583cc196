/**
 * Figures across registries and across runs: each registry's ratio to the first, repetition by
 * repetition (they ran interleaved, so each pair shared the machine's state), and the regression
 * gate against a previous result (`--baseline`): a cell regressed when its operations per second
 * fell, or its median latency rose, by more than the tolerance. The verdict says errors first: a
 * fast registry that serves wrong bytes has failed.
 */
import { cellKey, type BenchResult, type CellResult, type ErrorCount, type Ratio, type Regression, type VerdictStatus } from '../result.ts';
import { spread } from '../stats.ts';

function byRepetition(cell: CellResult): Map<number, CellResult['runs'][number]> {
  return new Map(cell.runs.filter((r) => r.ops > 0).map((r) => [r.repetition, r]));
}

/** Every registry after the first, against the first, cell by cell. */
export function ratios(cells: readonly CellResult[], labels: readonly string[]): Ratio[] {
  const [first, ...others] = labels;
  if (first === undefined) return [];
  const out: Ratio[] = [];
  const index = new Map(cells.map((c) => [`${cellKey(c)} ${c.registry}`, c]));
  for (const base of cells.filter((c) => c.registry === first && c.status === 'measured')) {
    const baseRuns = byRepetition(base);
    for (const label of others) {
      const other = index.get(`${cellKey(base)} ${label}`);
      if (other === undefined || other.status !== 'measured') continue;
      const throughput: number[] = [];
      const p50: number[] = [];
      for (const [repetition, run] of byRepetition(other)) {
        const against = baseRuns.get(repetition);
        if (against === undefined) continue;
        throughput.push(run.opsPerSec / against.opsPerSec);
        if (run.latencyMs && against.latencyMs && against.latencyMs.p50 > 0) p50.push(run.latencyMs.p50 / against.latencyMs.p50);
      }
      out.push({ workload: base.workload, size: base.size, concurrency: base.concurrency, registry: label, against: first, throughput: spread(throughput), p50: spread(p50) });
    }
  }
  return out;
}

/** Cells of `now` worse than the same cells (same workload, size, concurrency, registry position) of `baseline`. */
export function regressions(now: Pick<BenchResult, 'cells' | 'registries'>, baseline: Pick<BenchResult, 'cells' | 'registries'>, tolerancePercent: number): { compared: number; found: Regression[] } {
  const position = (result: Pick<BenchResult, 'registries'>, label: string) => result.registries.findIndex((r) => r.label === label);
  const before = new Map(baseline.cells.map((c) => [`${cellKey(c)} #${position(baseline, c.registry)}`, c]));
  const found: Regression[] = [];
  let compared = 0;
  for (const cell of now.cells) {
    const old = before.get(`${cellKey(cell)} #${position(now, cell.registry)}`);
    const a = old?.summary;
    const b = cell.summary;
    if (a === undefined || b === undefined) continue;
    compared += 1;
    const base = { workload: cell.workload, size: cell.size, concurrency: cell.concurrency, registry: cell.registry };
    const oldOps = a.opsPerSec?.median;
    const newOps = b.opsPerSec?.median;
    if (oldOps !== undefined && newOps !== undefined && oldOps > 0) {
      const worse = (100 * (oldOps - newOps)) / oldOps;
      if (worse > tolerancePercent) found.push({ ...base, figure: 'op/s', baseline: oldOps, now: newOps, worsePercent: worse });
    }
    const oldP50 = a.latencyMs?.p50;
    const newP50 = b.latencyMs?.p50;
    if (oldP50 !== undefined && newP50 !== undefined && oldP50 > 0) {
      const worse = (100 * (newP50 - oldP50)) / oldP50;
      if (worse > tolerancePercent) found.push({ ...base, figure: 'p50 ms', baseline: oldP50, now: newP50, worsePercent: worse });
    }
  }
  return { compared, found };
}

export function verdict(errors: readonly ErrorCount[], found: readonly Regression[] | undefined, interrupted: boolean): { status: VerdictStatus; message: string } {
  const wrong = errors.reduce((n, e) => n + e.count, 0);
  if (wrong > 0) {
    const registries = [...new Set(errors.map((e) => e.registry))].join(', ');
    return { status: 'errors', message: `FAILED: ${wrong} wrong answer${wrong === 1 ? '' : 's'} (${registries}); the figures of a registry that answers wrongly do not count` };
  }
  if (found !== undefined && found.length > 0) return { status: 'regression', message: `REGRESSED: ${found.length} figure${found.length === 1 ? '' : 's'} worse than the baseline beyond the tolerance` };
  return { status: 'ok', message: `OK: every answer checked, no error${found !== undefined ? ', no regression' : ''}${interrupted ? ' (interrupted: partial figures)' : ''}` };
}
