/**
 * The HTML report: one self-contained page (inline CSS, no script, no external resource) with the
 * target, spec version, date, duration, counts and verdict on top, then every result grouped by
 * area, failures first, each with its status, id, level, title, spec section and message. A
 * failure, warning or error opens a <details> with every recorded exchange (method, URL, headers,
 * body text) and, for a property counterexample, its commands, replay command and curl script.
 * Bodies, headers and messages come from the registry under test, so every piece of text is
 * escaped, and a Content-Security-Policy forbids scripts and loads even if something slipped
 * through. The status filters are checkboxes read by CSS :has(); without it every result shows.
 * The markup is also well-formed XML (void elements closed, attributes quoted), so it can be
 * checked by any XML parser.
 */
import { bodyText, type Exchange } from '../client/exchange.ts';
import type { Status } from '../checks/types.ts';
import { summarize, type Counterexample, type Report, type Result } from './types.ts';
import { bySeverity, countsLine, formatDuration, groupByArea, levelLabel, plural, SUMMARY_ORDER, verdict, verdictStatus } from './text.ts';
import { escapeXmlAttribute as attr, escapeXmlText as text } from './junit.ts';

/** Nothing may run or load; inline style is the page's only resource. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'";

/** No `<` or `&` in here: the page stays well-formed XML. */
const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 1rem 2rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .25rem; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.verdict { font-size: 1.2rem; font-weight: 700; padding: .4rem .8rem; border-radius: 4px; display: inline-block; }
.v-pass { background: #e3f6e5; color: #11612a; }
.v-fail { background: #fde4e4; color: #9b1c1c; }
.v-error { background: #f3e5fa; color: #6b1d8f; }
fieldset.filter { border: 1px solid #ddd; border-radius: 4px; display: inline-flex; gap: 1rem; }
ol.results { list-style: none; padding: 0; margin: 0; }
li.result { border-bottom: 1px solid #eee; padding: .35rem 0; }
.head { display: flex; flex-wrap: wrap; gap: .6rem; align-items: baseline; }
.badge { font: 600 .75rem/1.6 ui-monospace, monospace; padding: 0 .45rem; border-radius: 3px; min-width: 3.2rem; text-align: center; }
.b-pass { background: #e3f6e5; color: #11612a; }
.b-skip { background: #eceff3; color: #4a5563; }
.b-warn { background: #fff3d6; color: #7a5200; }
.b-fail { background: #fde4e4; color: #9b1c1c; }
.b-error { background: #f3e5fa; color: #6b1d8f; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.level { font-weight: 600; font-size: .8rem; }
.spec, .ms { color: #5f6670; font-size: .85rem; }
.message { margin: .2rem 0 0 4rem; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin: .3rem 0 .3rem 4rem; }
summary { cursor: pointer; color: #2a5db0; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 30rem; }
h4 { margin: .8rem 0 .2rem; font-size: .9rem; overflow-wrap: anywhere; }
${SUMMARY_ORDER.map((status) => `body:has(#show-${status}:not(:checked)) li.s-${status} { display: none; }`).join('\n')}
`;

function badge(status: Status): string {
  return `<span class="badge b-${status}">${status.toUpperCase()}</span>`;
}

function headers(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

function exchangeHtml(exchange: Exchange, index: number, count: number): string {
  const request = `${exchange.method} ${exchange.url}\n${headers(exchange.requestHeaders)}`;
  const requestBody = bodyText(exchange.requestBody);
  const response = `${exchange.status}\n${headers(exchange.responseHeaders)}`;
  const responseBody = bodyText(exchange.responseBody);
  return [
    '<div class="exchange">',
    `<h4>${index + 1}/${count}: ${text(`${exchange.method} ${exchange.url}`)} → ${exchange.status} <span class="ms">(${text(formatDuration(exchange.ms))})</span></h4>`,
    `<pre class="request">${text(request)}${requestBody === '' ? '' : `\n${text(requestBody)}`}</pre>`,
    `<pre class="response">${text(response)}${responseBody === '' ? '' : `\n${text(responseBody)}`}</pre>`,
    '</div>',
  ].join('\n');
}

function counterexampleHtml(example: Counterexample): string {
  return [
    '<div class="counterexample">',
    `<h4>Counterexample: seed ${text(String(example.seed))}, path ${text(example.path)}</h4>`,
    `<p>Replay:</p>\n<pre class="replay">${text(example.replay)}</pre>`,
    `<p>Commands (${example.commands.length}):</p>`,
    `<ol class="commands">${example.commands.map((command) => `<li><code>${text(command)}</code></li>`).join('')}</ol>`,
    `<p>curl reproduction:</p>\n<pre class="curl">${text(example.curl)}</pre>`,
    '</div>',
  ].join('\n');
}

function detailsHtml(result: Result): string {
  const exchanges = result.exchanges ?? [];
  const example = result.counterexample;
  if (result.status === 'pass' || result.status === 'skip' || (exchanges.length === 0 && !example)) return '';
  const what = [...(example ? ['counterexample'] : []), ...(exchanges.length > 0 ? [plural(exchanges.length, 'exchange')] : [])];
  return [
    '<details>',
    `<summary>${text(what.join(', '))}</summary>`,
    ...(example ? [counterexampleHtml(example)] : []),
    ...exchanges.map((exchange, i) => exchangeHtml(exchange, i, exchanges.length)),
    '</details>',
  ].join('\n');
}

function resultHtml(result: Result): string {
  const details = detailsHtml(result);
  return [
    `<li class="result s-${result.status}" id="${attr(`check-${result.id}`)}">`,
    `<div class="head">${badge(result.status)} <code class="id">${text(result.id)}</code> <span class="level">${text(levelLabel(result))}</span> <span class="title">${text(result.title)}</span> <span class="spec">${text(result.spec)}</span> <span class="ms">${text(formatDuration(result.ms))}</span></div>`,
    ...(result.message === '' ? [] : [`<p class="message">${text(result.message)}</p>`]),
    ...(details === '' ? [] : [details]),
    '</li>',
  ].join('\n');
}

function filtersHtml(report: Report): string {
  const summary = summarize(report.results);
  const boxes = SUMMARY_ORDER.map((status) => `<label><input type="checkbox" id="show-${status}" checked="checked" /> ${badge(status)} ${summary[status]}</label>`);
  return `<fieldset class="filter"><legend>Show</legend>${boxes.join(' ')}</fieldset>`;
}

export function toHtml(report: Report): string {
  const outcome = verdict(report);
  const verdictClass = `v-${verdictStatus(report)}`;
  const areas = [...groupByArea(report.results)].map(([area, results]) =>
    [
      '<section class="area">',
      `<h2 id="${attr(`area-${area}`)}">${text(area)} <span class="spec">${text(`${plural(results.length, 'check')}: ${countsLine(summarize(results))}`)}</span></h2>`,
      '<ol class="results">',
      ...bySeverity(results).map(resultHtml),
      '</ol>',
      '</section>',
    ].join('\n'),
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    `<meta http-equiv="Content-Security-Policy" content="${attr(CONTENT_SECURITY_POLICY)}" />`,
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${text(`touchstone: ${report.target}: ${outcome}`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    '<h1>touchstone conformance report</h1>',
    '<dl class="meta">',
    `<dt>Target</dt><dd><code>${text(report.target)}</code></dd>`,
    `<dt>Spec version</dt><dd>${text(report.specVersion)}</dd>`,
    `<dt>Started</dt><dd>${text(report.startedAt)}</dd>`,
    `<dt>Duration</dt><dd>${text(formatDuration(report.durationMs))}</dd>`,
    `<dt>Checks</dt><dd>${report.results.length}: ${text(countsLine(summarize(report.results), true))}</dd>`,
    '</dl>',
    `<p class="verdict ${verdictClass}">${text(outcome)}</p>`,
    '</header>',
    '<main>',
    filtersHtml(report),
    ...areas,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
