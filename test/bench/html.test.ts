/**
 * The HTML page of a comparison, rendered in headless Chromium: self-contained (no request leaves
 * the page), with the three kinds of chart for each workload, every chart with one series per
 * registry under the registry's name, labelled axes and a legend, and a point per measured value.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dir } from 'tmp-promise';
import { startTestRegistry } from '../helpers/registry.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { runBench } from '../helpers/bench.ts';
import { toMarkdown } from '../../bench/report/markdown.ts';
import type { BenchResult } from '../../bench/result.ts';

t.test('the comparison page: charts per workload, one series per registry', async (t) => {
  const alpha = await startTestRegistry(t);
  const beta = await startTestRegistry(t);
  const args = [
    '--url', `alpha=${alpha.url}`, '--url', `beta=${beta.url}`, '--compare', '--repeat', '2',
    '--workloads', 'push-streamed,manifest-head', '--sizes', '3KiB,40KiB', '--concurrency', '1,2', '--count', '3', '--duration', '5', '--seed', '1',
  ];
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-bench-html-' });
  t.teardown(() => tmp.cleanup());
  const page = join(tmp.path, 'page.html');
  const again = await runBench(t, [...args, '--html', page]);
  t.equal(again.code, 0, again.stderr);
  const result = again.result as BenchResult;
  t.equal(result.ratios.length, 6, 'beta against alpha in every cell (4 push cells, 2 manifest cells)');
  t.ok(result.ratios.every((r) => r.registry === 'beta' && r.against === 'alpha' && r.throughput !== undefined), 'each ratio from the repetitions');

  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const tab = await browser.newPage();
  const requested: string[] = [];
  tab.on('request', (request) => requested.push(request.url()));
  await tab.goto(pathToFileURL(page).toString());
  t.same(requested, [pathToFileURL(page).toString()], 'nothing fetched besides the page itself');
  t.equal(await tab.locator('[data-verdict]').getAttribute('data-verdict'), 'ok');
  const charts = await tab.$$eval('svg[data-chart]', (svgs) => svgs.map((svg) => ({
    chart: svg.getAttribute('data-chart'),
    workload: svg.getAttribute('data-workload'),
    title: svg.querySelector('.title')?.textContent,
    x: svg.querySelector('.x-label')?.textContent,
    y: svg.querySelector('.y-label')?.textContent,
    series: [...svg.querySelectorAll('g.series')].map((g) => ({ name: g.getAttribute('data-series'), points: g.querySelectorAll('circle').length })),
    legend: [...svg.querySelectorAll('g.legend-item')].map((g) => g.textContent),
    box: svg.getBoundingClientRect().width,
  })));
  const kinds = (workload: string, chart: string) => charts.filter((c) => c.workload === workload && c.chart === chart);
  t.equal(kinds('push-streamed', 'throughput-by-concurrency').length, 2, 'push-streamed: throughput by concurrency, one chart per size');
  t.equal(kinds('push-streamed', 'throughput-by-size').length, 2, 'push-streamed: throughput by blob size, one chart per concurrency');
  t.equal(kinds('push-streamed', 'latency').length, 4, 'push-streamed: latency percentiles, one chart per cell');
  t.equal(kinds('manifest-head', 'throughput-by-concurrency').length, 1, 'manifest-head: one throughput chart');
  t.equal(kinds('manifest-head', 'throughput-by-size').length, 0, 'manifest-head has no blob size');
  t.equal(kinds('manifest-head', 'latency').length, 2);
  for (const c of charts) {
    t.same(c.series.map((s) => s.name), ['alpha', 'beta'], `${c.title}: one series per registry`);
    t.same(c.legend, ['alpha', 'beta'], `${c.title}: a legend`);
    t.ok(c.x && c.y && c.box > 0, `${c.title}: axes labelled (${c.x} / ${c.y}) and drawn`);
  }
  const byConcurrency = kinds('push-streamed', 'throughput-by-concurrency')[0];
  t.equal(byConcurrency?.y, 'MB/s');
  t.equal(byConcurrency?.x, 'concurrent clients');
  t.same(byConcurrency?.series.map((s) => s.points), [2, 2], 'a point per concurrency level');
  t.same(kinds('manifest-head', 'latency')[0]?.series.map((s) => s.points), [4, 4], 'p50, p90, p99, max');
  t.equal(kinds('manifest-head', 'throughput-by-concurrency')[0]?.y, 'op/s');
  t.equal(await tab.locator('table').last().locator('tr').count(), 13, 'the full table: a header and 12 rows');

  const markdown = toMarkdown(result);
  t.match(markdown, /\| workload \| size \| c \| alpha MB\/s \| alpha op\/s \| alpha p99 ms \| beta MB\/s \| beta op\/s \| beta p99 ms \| beta\/alpha op\/s \| beta\/alpha p50 \|/);
  t.match(markdown, /\| push-streamed \| 40 KiB \| 2 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+×/);
  t.notOk((await readFile(page, 'utf8')).includes('http://cdn'), 'no CDN');
});
