/**
 * Line charts as inline SVG, written by hand (a chart library would replace fewer lines than it
 * costs): categorical x axis, linear y axis from 0 with round ticks, both axes labelled, a legend,
 * and one `<g class="series" data-series="NAME">` per series with a point (and its `<title>`) per
 * value, so each registry's line can be found by name — by a reader and by a test.
 */
export interface Series {
  readonly name: string;
  readonly values: readonly (number | undefined)[];
}

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  /** Extra data-* attributes of the <svg> (data-chart, data-workload …). */
  readonly data: Readonly<Record<string, string>>;
}

/** Okabe–Ito: told apart with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

const W = 340;
const H = 230;
const M = { left: 52, right: 12, top: 34, bottom: 42 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round step giving about `count` ticks up to `max`. */
function tickStep(max: number, count = 4): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

function label(value: number): string {
  return value >= 1000 ? `${Number((value / 1000).toFixed(1))}k` : String(Number(value.toPrecision(3)));
}

export function lineChart(chart: Chart): string {
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const step = tickStep(Math.max(...values, 0) || 1);
  const top = Math.max(step, Math.ceil((Math.max(...values, 0) || 1) / step) * step);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number): number => M.left + (chart.categories.length === 1 ? plotW / 2 : (i * plotW) / (chart.categories.length - 1));
  const y = (v: number): number => M.top + plotH - (v / top) * plotH;
  const data = Object.entries(chart.data).map(([k, v]) => ` data-${k}="${escapeXml(v)}"`).join('');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(chart.title)}"${data}>`];
  out.push(`<text class="title" x="${W / 2}" y="14" text-anchor="middle">${escapeXml(chart.title)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    out.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}"/><text class="tick" x="${M.left - 4}" y="${y(v) + 3}" text-anchor="end">${label(v)}</text>`);
  }
  chart.categories.forEach((c, i) => out.push(`<text class="tick" x="${x(i)}" y="${H - M.bottom + 14}" text-anchor="middle">${escapeXml(c)}</text>`));
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}"/><line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`);
  out.push(`<text class="x-label" x="${M.left + plotW / 2}" y="${H - 6}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(`<text class="y-label" transform="translate(12 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((s, n) => {
    const colour = PALETTE[n % PALETTE.length] as string;
    const points = s.values.map((v, i) => (v === undefined || !Number.isFinite(v) ? undefined : ([x(i), y(v), v, chart.categories[i]] as const)));
    const segments: string[][] = [[]];
    for (const p of points) {
      if (p === undefined) segments.push([]);
      else segments[segments.length - 1]?.push(`${p[0].toFixed(1)},${p[1].toFixed(1)}`);
    }
    out.push(`<g class="series" data-series="${escapeXml(s.name)}" stroke="${colour}" fill="${colour}">`);
    for (const segment of segments.filter((g) => g.length > 1)) out.push(`<polyline fill="none" stroke-width="2" points="${segment.join(' ')}"/>`);
    for (const p of points) if (p) out.push(`<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="3"><title>${escapeXml(`${s.name}: ${label(p[2])} ${chart.yLabel} at ${p[3]}`)}</title></circle>`);
    out.push('</g>');
    out.push(`<g class="legend-item" data-series="${escapeXml(s.name)}"><rect x="${M.left + 6 + n * 80}" y="${M.top - 14}" width="10" height="10" fill="${colour}"/><text x="${M.left + 20 + n * 80}" y="${M.top - 5}">${escapeXml(s.name.length > 11 ? `${s.name.slice(0, 10)}…` : s.name)}</text></g>`);
  });
  out.push('</svg>');
  return out.join('');
}
