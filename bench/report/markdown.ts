/**
 * `--markdown FILE`: the verdict, the errors, and, when several registries ran, a comparison table
 * (one row per cell: each registry's MB/s, op/s and p99 latency, and each later registry's op/s
 * and p50 ratios to the first with their spread over repetitions), then every figure.
 */
import { cellKey, type BenchResult } from '../result.ts';
import { formatSize } from '../settings.ts';
import { COLUMNS, num, ratioText, row, sizeText } from './text.ts';

/** A Markdown table; the first `labels` columns are left-aligned, the figures right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[], labels = 4): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < labels ? '---' : '---:'))), ...rows.map((r) => line([...r, ...Array(Math.max(0, head.length - r.length)).fill('')]))].join('\n');
}

/** The comparison of every registry against the first, cell by cell. */
export function comparisonTable(result: BenchResult): string {
  const [first, ...others] = result.registries.map((r) => r.label);
  const head = ['workload', 'size', 'c'];
  for (const label of [first, ...others]) head.push(`${label} MB/s`, `${label} op/s`, `${label} p99 ms`);
  for (const label of others) head.push(`${label}/${first} op/s`, `${label}/${first} p50`);
  const keys = [...new Map(result.cells.map((c) => [cellKey(c), c])).values()];
  const rows = keys.map((cell) => {
    const out = [cell.workload, sizeText(cell.size), String(cell.concurrency)];
    for (const label of [first, ...others]) {
      const c = result.cells.find((x) => x.registry === label && cellKey(x) === cellKey(cell));
      const s = c?.summary;
      if (s === undefined) out.push(c?.status ?? '—', '', '');
      else out.push(num(s.mbPerSec?.median), num(s.opsPerSec?.median), num(s.latencyMs?.p99));
    }
    for (const label of others) {
      const r = result.ratios.find((x) => x.registry === label && cellKey(x) === cellKey(cell));
      out.push(ratioText(r?.throughput), ratioText(r?.p50));
    }
    return out;
  });
  return table(head, rows, 3);
}

export function toMarkdown(result: BenchResult): string {
  const s = result.settings;
  const out = [
    '# touchstone bench',
    '',
    `**${result.verdict.message}**`,
    '',
    result.registries.map((r) => `- ${r.label}: ${r.url}`).join('\n'),
    '',
    `${result.machine.cpus} CPUs, Node ${result.machine.node}, ${result.machine.platform} ${result.machine.release}. Cells of at most ${s.count} operations, ${s.durationMs / 1000} s, ${formatSize(s.cellVolume)}; ${s.repeat} repetition${s.repeat === 1 ? '' : 's'}${s.compare ? ', interleaved' : ''}. Command: \`${result.command}\``,
  ];
  if (result.errors.length > 0) {
    out.push('', '## Errors', '', table(['registry', 'workload', 'kind', 'count', 'first example'], result.errors.map((e) => [e.registry, e.workload, e.kind, String(e.count), e.example])));
  }
  if (result.registries.length > 1) out.push('', '## Comparison', '', comparisonTable(result));
  out.push('', '## All figures', '', table([...COLUMNS], result.cells.map((c) => row(result, c))), '');
  return out.join('\n');
}
