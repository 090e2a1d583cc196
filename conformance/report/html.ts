/**
 * The HTML report: one self-contained page (inline CSS from html-style.ts, no script, no external
 * resource; it works offline from a file) read top-down as a person triages a run: the target,
 * spec version, date, duration and verdict; every failure, error and warning listed once, each a
 * link to its detail; a table of areas × statuses whose counts link to those results; then area by
 * area the results, failures, errors and warnings expanded with their message, property
 * counterexample (commands, replay command, curl script) and recorded exchanges (method, URL,
 * headers, body text), the exchange that broke the rule marked and open; skips with their reason;
 * passes collapsed. Anchors are stable: `check-<id>`, `area-<area>`, `area-<area>.<status>`.
 * Everything is <details>, <summary> and same-page links, so the page works from the keyboard.
 * Bodies, headers and messages come from the registry under test, so every piece of text is
 * escaped, and a Content-Security-Policy forbids scripts and loads even if something slipped
 * through. The status filters are checkboxes read by CSS :has(); without it every result shows.
 * The markup is also well-formed XML (void elements closed, attributes quoted), so it can be
 * checked by any XML parser.
 */
import { bodyText, type Exchange } from '../client/exchange.ts';
import type { Status } from '../checks/types.ts';
import { summarize, type Counterexample, type Report, type Result, type Summary } from './types.ts';
import { countsLine, formatDuration, groupByArea, levelLabel, plural, SUMMARY_ORDER, verdict, verdictStatus } from './text.ts';
import { escapeXmlAttribute as attr, escapeXmlText as text } from './junit.ts';
import { STYLE } from './html-style.ts';

/** Nothing may run or load; inline style is the page's only resource. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'";

/** Within an area: what needs attention first, passes last (collapsed). */
const GROUP_ORDER: readonly Status[] = ['error', 'fail', 'warn', 'skip', 'pass'];

const GROUP_HEADING: Readonly<Record<Status, string>> = { error: 'Harness errors', fail: 'Failures', warn: 'Warnings', skip: 'Skipped', pass: 'Passed' };

const NOUN: Readonly<Record<Status, string>> = { error: 'harness error', fail: 'failure', warn: 'warning', skip: 'skip', pass: 'pass' };

/** Characters of a message shown in the list at the top; the detail has all of it. */
const GIST_CHARS = 200;

const needsAttention = (result: Result): boolean => result.status === 'fail' || result.status === 'error' || result.status === 'warn';

const checkAnchor = (id: string): string => `check-${id}`;
const areaAnchor = (area: string, status?: Status): string => `area-${area}${status === undefined ? '' : `.${status}`}`;

function badge(status: Status): string {
  return `<span class="badge b-${status}">${status.toUpperCase()}</span>`;
}

function link(anchor: string, content: string, label?: string): string {
  return `<a href="#${attr(anchor)}"${label === undefined ? '' : ` aria-label="${attr(label)}"`}>${content}</a>`;
}

function headers(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

function exchangeHtml(exchange: Exchange, index: number, count: number, failing: boolean, open: boolean, owner: string): string {
  const request = `${exchange.method} ${exchange.url}\n${headers(exchange.requestHeaders)}`;
  const requestBody = bodyText(exchange.requestBody);
  const response = `${exchange.status}\n${headers(exchange.responseHeaders)}`;
  const responseBody = bodyText(exchange.responseBody);
  const line = `${index + 1}/${count}: ${exchange.method} ${exchange.url} → ${exchange.status}`;
  const classes = failing ? 'exchange failing' : 'exchange';
  return [
    `<details class="${classes}" id="${attr(`${checkAnchor(owner)}.exchange-${index + 1}`)}"${open ? ' open="open"' : ''}${failing ? ` aria-label="${attr(`the exchange that broke the rule: ${line}`)}"` : ''}>`,
    `<summary>${failing ? '<strong class="culprit">✗ broke the rule</strong>' : ''}${text(line)} <span class="ms">(${text(formatDuration(exchange.ms))})</span></summary>`,
    `<pre class="request">${text(request)}${requestBody === '' ? '' : `\n${text(requestBody)}`}</pre>`,
    `<pre class="response">${text(response)}${responseBody === '' ? '' : `\n${text(responseBody)}`}</pre>`,
    '</details>',
  ].join('\n');
}

function exchangesHtml(result: Result): string[] {
  const exchanges = result.exchanges ?? [];
  if (exchanges.length === 0) return [];
  const marked = result.failingExchange;
  // The marked exchange opens; without one, the last (where a check usually stopped).
  const opened = marked ?? exchanges.length - 1;
  return [
    '<section class="exchanges">',
    `<h3>${text(plural(exchanges.length, 'exchange'))}${marked === undefined ? '' : `, #${marked + 1} broke the rule`}</h3>`,
    ...exchanges.map((exchange, i) => exchangeHtml(exchange, i, exchanges.length, i === marked, i === opened, result.id)),
    '</section>',
  ];
}

function counterexampleHtml(example: Counterexample): string {
  return [
    '<section class="counterexample">',
    `<h3>Counterexample: seed ${text(String(example.seed))}, path ${text(example.path)}</h3>`,
    `<p>Found after ${text(plural(example.executions, 'execution'))} (${text(formatDuration(example.foundAfterMs))}), shrunk to ${text(plural(example.commands.length, 'command'))}. Replay:</p>`,
    `<pre class="replay">${text(example.replay)}</pre>`,
    `<ol class="commands">${example.commands.map((command) => `<li><code>${text(command)}</code></li>`).join('')}</ol>`,
    '<details class="curl">',
    `<summary>curl reproduction (${text(plural(example.curl.split('\n').length, 'line'))})</summary>`,
    `<pre class="curl">${text(example.curl)}</pre>`,
    '</details>',
    '</section>',
  ].join('\n');
}

function headHtml(result: Result): string {
  return `${badge(result.status)} <code class="id">${text(result.id)}</code> <span class="level">${text(levelLabel(result))}</span> <span class="title">${text(result.title)}</span> <span class="spec">${text(result.spec)}</span> <span class="ms">${text(formatDuration(result.ms))}</span>`;
}

function messageHtml(result: Result): string[] {
  return result.message === '' ? [] : [`<p class="message">${text(result.message)}</p>`];
}

/** A failure, error or warning: open, with everything recorded about it. */
function problemHtml(result: Result): string {
  return [
    `<li class="result s-${result.status}" id="${attr(checkAnchor(result.id))}">`,
    '<details open="open">',
    `<summary class="head">${headHtml(result)}</summary>`,
    '<div class="body">',
    ...messageHtml(result),
    ...(result.counterexample ? [counterexampleHtml(result.counterexample)] : []),
    ...exchangesHtml(result),
    '</div>',
    '</details>',
    '</li>',
  ].join('\n');
}

/** A pass or a skip: one line and its note or reason. */
function lineHtml(result: Result): string {
  return [`<li class="result s-${result.status}" id="${attr(checkAnchor(result.id))}">`, `<div class="head">${headHtml(result)}</div>`, ...messageHtml(result), '</li>'].join('\n');
}

function groupHtml(area: string, status: Status, results: readonly Result[]): string[] {
  if (results.length === 0) return [];
  const list = [`<ol class="results" id="${attr(areaAnchor(area, status))}">`, ...results.map(needsAttention(results[0] as Result) ? problemHtml : lineHtml), '</ol>'];
  const heading = `${text(GROUP_HEADING[status])} (${results.length})`;
  // Passes start collapsed; a link into them (the table, a check anchor) opens them in browsers
  // that expand <details> for fragment navigation (HTML "ancestor details revealing algorithm").
  if (status === 'pass') return [`<details class="passes g-pass">`, `<summary>${heading}</summary>`, ...list, '</details>'];
  return [`<div class="g-${status}">`, `<h3>${heading}</h3>`, ...list, '</div>'];
}

function areaHtml(area: string, results: readonly Result[]): string {
  return [
    '<section class="area">',
    `<h2 id="${attr(areaAnchor(area))}">${text(area)} <span class="spec">${text(`${plural(results.length, 'check')}: ${countsLine(summarize(results))}`)}</span></h2>`,
    ...GROUP_ORDER.flatMap((status) => groupHtml(area, status, results.filter((r) => r.status === status))),
    '</section>',
  ].join('\n');
}

/** The first line of a message, cut to GIST_CHARS. */
function gist(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.length > GIST_CHARS || message.includes('\n') ? `${first.slice(0, GIST_CHARS)}…` : first;
}

/** Every failure, error and warning once, errors first (the run itself is in doubt), each a link to its detail. */
function problemsHtml(report: Report): string {
  const problems = ['error', 'fail', 'warn'].flatMap((status) => report.results.filter((r) => r.status === status));
  const summary = summarize(report.results);
  const counted = (['error', 'fail', 'warn'] as const).filter((s) => summary[s] > 0).map((s) => plural(summary[s], NOUN[s]));
  const items = problems.map((r) =>
    `<li class="problem s-${r.status}">${badge(r.status)} ${link(checkAnchor(r.id), `<code>${text(r.id)}</code>`)} <span class="title">${text(r.title)}</span>${r.message === '' ? '' : ` <span class="gist">${text(gist(r.message))}</span>`}</li>`,
  );
  return [
    '<section class="problems" aria-labelledby="problems">',
    `<h2 id="problems">${text(counted.length === 0 ? 'Nothing to look at' : counted.join(', '))}</h2>`,
    ...(items.length === 0 ? ['<p class="none">No failures, harness errors or warnings.</p>'] : ['<ol>', ...items, '</ol>']),
    '</section>',
  ].join('\n');
}

function countCell(summary: Summary, status: Status, area: string | undefined): string {
  const count = summary[status];
  if (count === 0) return '<td class="zero">0</td>';
  // An area's count links to its results of that status; the totals row is plain numbers.
  const content = area === undefined ? String(count) : link(areaAnchor(area, status), String(count), `${plural(count, NOUN[status])} in ${area}`);
  return `<td class="has-${status}">${content}</td>`;
}

/** Areas × statuses: each count links to that area's results of that status. */
function areaTableHtml(report: Report): string {
  const areas = [...groupByArea(report.results)];
  const row = (name: string, summary: Summary, total: number, area: string | undefined): string =>
    `<tr><th scope="row">${area === undefined ? text(name) : link(areaAnchor(area), text(name))}</th>${SUMMARY_ORDER.map((s) => countCell(summary, s, area)).join('')}<td>${total}</td></tr>`;
  return [
    '<table class="areas">',
    '<caption>Results by area</caption>',
    `<thead><tr><th scope="col">Area</th>${SUMMARY_ORDER.map((s) => `<th scope="col">${badge(s)}</th>`).join('')}<th scope="col">Total</th></tr></thead>`,
    '<tbody>',
    ...areas.map(([area, results]) => row(area, summarize(results), results.length, area)),
    '</tbody>',
    `<tfoot>${row('All', summarize(report.results), report.results.length, undefined)}</tfoot>`,
    '</table>',
  ].join('\n');
}

function filtersHtml(report: Report): string {
  const summary = summarize(report.results);
  const boxes = SUMMARY_ORDER.map((status) => `<label><input type="checkbox" id="show-${status}" checked="checked" /> ${badge(status)} ${summary[status]}</label>`);
  return `<fieldset class="filter"><legend>Show in the areas below</legend>${boxes.join(' ')}</fieldset>`;
}

export function toHtml(report: Report): string {
  const outcome = verdict(report);
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
    `<p class="verdict v-${verdictStatus(report)}">${text(outcome)}</p>`,
    '</header>',
    '<main>',
    problemsHtml(report),
    areaTableHtml(report),
    filtersHtml(report),
    ...[...groupByArea(report.results)].map(([area, results]) => areaHtml(area, results)),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
