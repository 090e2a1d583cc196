/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched) that
 * compares the registries: the verdict and the errors first, then per workload its charts —
 * throughput by concurrency (one chart per blob size), throughput by blob size (one per
 * concurrency), latency percentiles (one per cell) — each with one series per registry, and the
 * full table at the end.
 */
import type { BenchResult, CellResult } from '../result.ts';
import { formatSize } from '../settings.ts';
import { lineChart, escapeXml, type Series } from './svg.ts';
import { COLUMNS, num, row } from './text.ts';

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}h1{margin:0 0 .5rem}
.verdict{padding:.6rem 1rem;border-radius:4px;font-weight:600}.ok{background:#e6f4ea}.bad{background:#fde7e9}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+4),th{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:8px}svg{background:#fafafa;border:1px solid #e4e4e4}
svg text{font:10px system-ui,sans-serif;fill:#333;stroke:none}svg .title{font-weight:600;font-size:11px}svg .grid{stroke:#e4e4e4}svg .axis{stroke:#666}`;

function figure(cell: CellResult | undefined, sized: boolean): number | undefined {
  const s = cell?.summary;
  return sized ? s?.mbPerSec?.median : s?.opsPerSec?.median;
}

function chartsOf(result: BenchResult, workload: string): string[] {
  const cells = result.cells.filter((c) => c.workload === workload);
  const labels = result.registries.map((r) => r.label);
  const find = (size: number | null, concurrency: number, label: string) => cells.find((c) => c.size === size && c.concurrency === concurrency && c.registry === label);
  const sized = cells.some((c) => c.size !== null);
  const sizes = [...new Set(cells.map((c) => c.size))];
  const levels = [...new Set(cells.map((c) => c.concurrency))];
  const unit = sized ? 'MB/s' : 'op/s';
  const charts: string[] = [];
  for (const size of sizes) {
    const series: Series[] = labels.map((label) => ({ name: label, values: levels.map((c) => figure(find(size, c, label), sized)) }));
    const title = `${workload}${size !== null ? ` ${formatSize(size)}` : ''}: throughput by concurrency`;
    charts.push(lineChart({ title, xLabel: 'concurrent clients', yLabel: unit, categories: levels.map(String), series, data: { chart: 'throughput-by-concurrency', workload, size: String(size ?? '') } }));
  }
  if (sized) {
    for (const c of levels) {
      const series: Series[] = labels.map((label) => ({ name: label, values: sizes.map((size) => figure(find(size, c, label), true)) }));
      charts.push(lineChart({ title: `${workload} c${c}: throughput by blob size`, xLabel: 'blob size', yLabel: unit, categories: sizes.map((s) => formatSize(s ?? 0)), series, data: { chart: 'throughput-by-size', workload, concurrency: String(c) } }));
    }
  }
  for (const size of sizes) {
    for (const c of levels) {
      if (!labels.some((label) => find(size, c, label)?.summary?.latencyMs)) continue;
      const series: Series[] = labels.map((label) => {
        const l = find(size, c, label)?.summary?.latencyMs;
        return { name: label, values: l ? [l.p50, l.p90, l.p99, l.max] : [undefined, undefined, undefined, undefined] };
      });
      const title = `${workload}${size !== null ? ` ${formatSize(size)}` : ''} c${c}: latency percentiles`;
      charts.push(lineChart({ title, xLabel: 'percentile', yLabel: 'ms', categories: ['p50', 'p90', 'p99', 'max'], series, data: { chart: 'latency', workload, size: String(size ?? ''), concurrency: String(c) } }));
    }
  }
  return charts;
}

function htmlTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (tag: string, text: string) => `<${tag}>${escapeXml(text)}</${tag}>`;
  return `<table><tr>${head.map((h) => cell('th', h)).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, i) => (r.length < head.length && i === r.length - 1 ? `<td colspan="${head.length - i}">${escapeXml(c)}</td>` : cell('td', c))).join('')}</tr>`).join('')}</table>`;
}

export function toHtml(result: BenchResult): string {
  const workloads = [...new Set(result.cells.map((c) => c.workload))];
  const ok = result.verdict.status === 'ok';
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>touchstone bench</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>touchstone bench</h1>',
    `<p class="verdict ${ok ? 'ok' : 'bad'}" data-verdict="${result.verdict.status}">${escapeXml(result.verdict.message)}</p>`,
  ];
  if (result.errors.length > 0) {
    parts.push('<h2>Errors</h2>', htmlTable(['registry', 'workload', 'kind', 'count', 'first example'], result.errors.map((e) => [e.registry, e.workload, e.kind, String(e.count), e.example])));
  }
  parts.push('<h2>Registries</h2>', htmlTable(['label', 'URL', 'checked', 'deleted', 'left'], result.registries.map((r) => [r.label, r.url, String(r.checked), String(r.deleted), String(r.left)])));
  const s = result.settings;
  parts.push(`<p>${escapeXml(`${result.machine.cpus} CPUs, Node ${result.machine.node}, ${result.machine.platform} ${result.machine.release}; started ${result.startedAt}, ${num(result.seconds)} s. Cells of at most ${s.count} operations, ${s.durationMs / 1000} s and ${formatSize(s.cellVolume)}; ${s.repeat} repetition${s.repeat === 1 ? '' : 's'}${s.compare ? ', registries interleaved cell by cell' : ''}. MB/s is 10^6 bytes per second.`)}</p>`);
  parts.push(`<p><code>${escapeXml(result.command)}</code></p>`);
  for (const workload of workloads) {
    parts.push(`<section data-workload="${escapeXml(workload)}"><h2>${escapeXml(workload)}</h2><div class="charts">${chartsOf(result, workload).join('')}</div></section>`);
  }
  parts.push('<h2>All figures</h2>', htmlTable([...COLUMNS], result.cells.map((c) => row(result, c))));
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
