/**
 * The plain summary a run prints: errors first (by registry, workload and kind, with the first
 * example of each), then one table row per cell and registry — throughput (op/s, MB/s), latency
 * percentiles, time to first byte, client CPU, registry memory — with each later registry's
 * ratio to the first, then regressions and the verdict. Also the number formats every report uses.
 */
import { cellKey, type BenchResult, type CellResult, type Ratio } from '../result.ts';
import { formatSize } from '../settings.ts';
import type { Spread } from '../stats.ts';

/** 3 significant figures at most, no exponent: 1234 → "1234", 12.34 → "12.3", 0.1234 → "0.12". */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "0.52× (0.48–0.57)". */
export function ratioText(spread: Spread | undefined): string {
  if (spread === undefined) return '—';
  return spread.min === spread.max ? `${num(spread.median)}×` : `${num(spread.median)}× (${num(spread.min)}–${num(spread.max)})`;
}

export function sizeText(size: number | null): string {
  return size === null ? '—' : formatSize(size);
}

export function ratioOf(result: Pick<BenchResult, 'ratios'>, cell: CellResult): Ratio | undefined {
  return result.ratios.find((r) => r.registry === cell.registry && cellKey(r) === cellKey(cell));
}

export const COLUMNS = ['workload', 'size', 'c', 'registry', 'op/s', 'MB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'ttfb p50', 'errors', 'cpu %', 'rss MB', 'op/s vs first'] as const;

/** One row of the summary table, as text cells (an unmeasured cell says why). */
export function row(result: Pick<BenchResult, 'ratios'>, cell: CellResult): string[] {
  const head = [cell.workload, sizeText(cell.size), String(cell.concurrency), cell.registry];
  const s = cell.summary;
  if (s === undefined) return [...head, `${cell.status}: ${cell.reason ?? ''}`];
  const rss = s.registryPeakMb ?? s.registrySampledMaxMb;
  return [
    ...head,
    num(s.opsPerSec?.median),
    num(s.mbPerSec?.median),
    num(s.latencyMs?.p50),
    num(s.latencyMs?.p90),
    num(s.latencyMs?.p99),
    num(s.latencyMs?.max),
    num(s.ttfbMs?.p50),
    String(s.errors),
    num(s.clientCpuPercent),
    num(rss),
    ratioText(ratioOf(result, cell)?.throughput),
  ];
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => { if (r.length > 5) widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((r) => r.map((cell, i) => (i < 4 || r.length <= 5 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function formatSummary(result: BenchResult): string {
  const lines: string[] = [];
  if (result.errors.length > 0) {
    lines.push('ERRORS (wrong answers, by kind)');
    for (const e of result.errors) lines.push(`  ${e.registry}  ${e.workload}  ${e.kind}: ${e.count}`, `      e.g. ${e.example}`);
    lines.push('');
  }
  lines.push(`registries: ${result.registries.map((r) => `${r.label} = ${r.url}${r.pid !== undefined ? ` (pid ${r.pid})` : ''}`).join(', ')}`);
  const compare = result.settings.compare ? `, interleaved cell by cell, ${result.settings.repeat} repetitions: figures are medians, "vs first" is op/s over ${result.registries[0]?.label ?? 'the first'} (min–max over repetitions)` : '';
  lines.push(`cells of at most ${result.settings.count} operations, ${result.settings.durationMs / 1000} s, ${formatSize(result.settings.cellVolume)}${compare}`);
  lines.push('');
  lines.push(table([[...COLUMNS], ...result.cells.map((c) => row(result, c))]));
  lines.push('');
  for (const r of result.registries) lines.push(`${r.label}: ${r.checked} blobs and manifests pulled back and checked, ${r.deleted} deleted${r.left > 0 ? `, ${r.left} left (${formatSize(r.leftBytes)}): deletes refused` : ''}`);
  if (result.regressions !== undefined) {
    lines.push('');
    if (result.regressions.length === 0) lines.push(`baseline: no figure regressed beyond --max-regression`);
    for (const g of result.regressions) lines.push(`REGRESSION ${g.registry} ${g.workload} ${sizeText(g.size)} c${g.concurrency}: ${g.figure} ${num(g.baseline)} → ${num(g.now)} (${num(g.worsePercent)} % worse)`);
  }
  lines.push('', result.verdict.message);
  return lines.join('\n');
}
