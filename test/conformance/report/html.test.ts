/**
 * The HTML report (conformance/report/html.ts), parsed as the well-formed markup it is: a page
 * with no script, no external resource and a CSP forbidding both, whose only links are to its own
 * anchors; the header facts; failures, errors and warnings listed once at the top with links; the
 * areas × statuses table; every result in its area and status group with status, id, level,
 * title, spec and message, problems open and passes collapsed; each exchange, the one that broke
 * the rule marked; the counterexample; and hostile strings from bodies, headers and messages
 * present only as text, never as markup. How it looks in a browser: html.browser.test.ts.
 */
import t from 'tap';
import { toHtml } from '../../../conformance/report/html.ts';
import { bodyText } from '../../../conformance/client/exchange.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { plural } from '../../../conformance/report/text.ts';
import { HOSTILE, exchange, findAll, parseXml, report, result, sampleReport, textOf, visibleInXml as visible, type XmlElement } from '../../helpers/report.ts';

/** Every element the page may contain: no script, img, iframe, object, link, form submission; `a` only to the page's own anchors. */
const ALLOWED_ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'dl', 'dt', 'dd', 'code', 'p', 'main', 'fieldset', 'legend', 'label', 'input', 'span', 'strong', 'section', 'ol', 'li', 'div', 'details', 'summary', 'pre', 'a', 'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td']);
const ALLOWED_ATTRIBUTES = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'type', 'checked', 'open', 'href', 'scope', 'aria-label', 'aria-labelledby']);

const hasClass = (element: XmlElement, name: string): boolean => (element.attributes.class ?? '').split(' ').includes(name);
const byClass = (root: XmlElement, tag: string, name: string): XmlElement[] => findAll(root, tag).filter((e) => hasClass(e, name));
const page = (html: string): XmlElement => parseXml(html, { doctype: true });
const resultItems = (root: XmlElement): XmlElement[] => byClass(root, 'li', 'result');
const idOf = (item: XmlElement): string => textOf(byClass(item, 'code', 'id')[0] ?? '');
const itemOf = (root: XmlElement, id: string): XmlElement => resultItems(root).find((i) => idOf(i) === id) as XmlElement;
const exchangesOf = (item: XmlElement): XmlElement[] => byClass(item, 'details', 'exchange');
const problemStatus = (r: Result): boolean => r.status === 'fail' || r.status === 'error' || r.status === 'warn';

function allElements(node: XmlElement): XmlElement[] {
  return [node, ...node.children.flatMap((c) => (typeof c === 'string' ? [] : allElements(c)))];
}

t.test('a well-formed, self-contained page with no script and a CSP forbidding any', async (t) => {
  const html = toHtml(sampleReport());
  t.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  const root = page(html);
  t.equal(root.name, 'html');
  for (const element of allElements(root)) {
    if (!ALLOWED_ELEMENTS.has(element.name)) t.fail(`element <${element.name}>`);
    for (const name of Object.keys(element.attributes)) if (!ALLOWED_ATTRIBUTES.has(name)) t.fail(`attribute ${name} on <${element.name}>`);
  }
  t.notMatch(html, /<(script|img|iframe|object|embed|link|form)\b/i, 'no markup that runs or loads');
  const ids = allElements(root).flatMap((e) => (e.attributes.id === undefined ? [] : [e.attributes.id]));
  t.equal(new Set(ids).size, ids.length, 'every id once');
  const links = findAll(root, 'a');
  t.ok(links.length > 10, 'links');
  for (const a of links) t.ok(a.attributes.href?.startsWith('#') && ids.includes(a.attributes.href.slice(1)), `${a.attributes.href}: a link to an anchor of the page itself`);
  t.notMatch(textOf(findAll(root, 'style')[0] ?? ''), /url\(|@import/, 'no stylesheet resource');
  const csp = findAll(root, 'meta').find((m) => m.attributes['http-equiv'] === 'Content-Security-Policy');
  t.match(csp?.attributes.content ?? '', /default-src 'none'/);
  t.equal(findAll(root, 'style').length, 1, 'the CSS inline');
});

t.test('the header has target, spec version, date, duration, counts and verdict', async (t) => {
  const sample = sampleReport();
  const header = findAll(page(toHtml(sample)), 'header')[0] as XmlElement;
  const facts = Object.fromEntries(findAll(header, 'dt').map((dt, i) => [textOf(dt), textOf(findAll(header, 'dd')[i] ?? '')]));
  t.same(facts, {
    Target: sample.target,
    'Spec version': 'v1.1.1',
    Started: sample.startedAt,
    Duration: '4.3 s',
    Checks: '10: 2 pass, 3 fail, 2 warn, 2 skip, 1 error',
  });
  const verdict = byClass(header, 'p', 'verdict')[0];
  t.equal(textOf(verdict ?? ''), 'ERROR: 1 harness error, 3 MUST-level failures');
  t.ok(verdict && hasClass(verdict, 'v-error'));
  const passing = byClass(findAll(page(toHtml(report([result({ id: 'a.b.c', status: 'pass' })]))), 'header')[0] as XmlElement, 'p', 'verdict')[0];
  t.equal(textOf(passing ?? ''), 'PASS');
  t.ok(passing && hasClass(passing, 'v-pass'));
});

t.test('every result appears once, in its area and status group, problems open, passes collapsed', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  const items = resultItems(root);
  t.same(items.map(idOf).sort(), sample.results.map((r) => r.id).sort(), 'every result id, once');
  const sections = byClass(root, 'section', 'area');
  const areas = [...new Set(sample.results.map((r) => r.area))];
  t.same(sections.map((s) => textOf(findAll(s, 'h2')[0] ?? '').split(' ')[0]), areas, 'one section per area, in run order');
  for (const [i, section] of sections.entries()) {
    const area = areas[i] as string;
    const results = sample.results.filter((r) => r.area === area);
    const expected = ['error', 'fail', 'warn', 'skip', 'pass'].flatMap((status) => results.filter((r) => r.status === status));
    t.same(resultItems(section).map(idOf), expected.map((r) => r.id), `${area}: error, fail, warn, skip, pass; run order within`);
    for (const status of ['error', 'fail', 'warn', 'skip', 'pass'] as const) {
      const group = findAll(section, 'ol').find((ol) => ol.attributes.id === `area-${area}.${status}`);
      const inGroup = results.filter((r) => r.status === status).map((r) => r.id);
      t.same(group ? resultItems(group).map(idOf) : [], inGroup, `${area}: the ${status} group (anchor area-${area}.${status})`);
    }
    const passes = byClass(section, 'details', 'passes');
    t.equal(passes.length, results.some((r) => r.status === 'pass') ? 1 : 0, `${area}: passes in one <details>`);
    for (const group of passes) {
      t.equal(group.attributes.open, undefined, `${area}: passes collapsed`);
      t.equal(textOf(findAll(group, 'summary')[0] ?? ''), `Passed (${results.filter((r) => r.status === 'pass').length})`);
    }
  }
  for (const item of items) {
    const r = sample.results.find((x) => x.id === idOf(item)) as Result;
    const field = (name: string): string => textOf(byClass(item, 'span', name)[0] ?? '');
    t.equal(item.attributes.id, `check-${r.id}`, `${r.id}: a stable anchor`);
    t.ok(hasClass(item, `s-${r.status}`), `${r.id}: status class`);
    t.equal(textOf(byClass(item, 'span', 'badge')[0] ?? ''), r.status.toUpperCase(), `${r.id}: badge`);
    t.equal(field('level'), `${r.level}${r.nonNormative ? ' (non-normative)' : ''}`, `${r.id}: level`);
    t.equal(field('title'), visible(r.title), `${r.id}: title`);
    t.equal(textOf(byClass(item, 'p', 'message')[0] ?? ''), visible(r.message), `${r.id}: message`);
    t.equal(field('spec'), r.spec, `${r.id}: spec`);
    const own = item.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === 'details');
    if (problemStatus(r)) {
      t.equal(own.length, 1, `${r.id}: one <details> with everything about it`);
      t.equal(own[0]?.attributes.open, 'open', `${r.id}: open`);
      t.ok(own[0] && hasClass(findAll(own[0], 'summary')[0] as XmlElement, 'head'), `${r.id}: the head line is its summary`);
    } else {
      t.same(findAll(item, 'details'), [], `${r.id}: one line, nothing to open`);
    }
  }
});

t.test('failures, errors and warnings are listed once at the top, each linking to its detail', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  const main = findAll(root, 'main')[0] as XmlElement;
  const first = main.children.find((c): c is XmlElement => typeof c !== 'string') as XmlElement;
  t.ok(hasClass(first, 'problems'), 'the first thing in <main>');
  t.equal(textOf(findAll(first, 'h2')[0] ?? ''), '1 harness error, 3 failures, 2 warnings');
  const listed = findAll(first, 'li');
  const expected = ['error', 'fail', 'warn'].flatMap((status) => sample.results.filter((r) => r.status === status));
  t.same(listed.map((li) => textOf(findAll(li, 'code')[0] ?? '')), expected.map((r) => r.id), 'errors, failures, warnings, in run order, once each');
  for (const [i, li] of listed.entries()) {
    const r = expected[i] as Result;
    t.equal(findAll(li, 'a')[0]?.attributes.href, `#check-${r.id}`, `${r.id}: links to its detail`);
    t.equal(textOf(byClass(li, 'span', 'badge')[0] ?? ''), r.status.toUpperCase());
    const gist = textOf(byClass(li, 'span', 'gist')[0] ?? '');
    t.ok(gist !== '' && visible(r.message).startsWith(gist.replace(/…$/, '')), `${r.id}: the message's first line`);
  }
  t.match(textOf(byClass(listed[0] as XmlElement, 'span', 'gist')[0] ?? ''), /^TypeError: cannot read first line…$/, 'a message of several lines: its first line');
  const clean = byClass(page(toHtml(report([result({ id: 'a.b.c', status: 'pass' }), result({ id: 'a.b.d', status: 'skip' })]))), 'section', 'problems')[0] as XmlElement;
  t.same(findAll(clean, 'li'), [], 'nothing to list');
  t.equal(textOf(findAll(clean, 'p')[0] ?? ''), 'No failures, harness errors or warnings.');
});

t.test('the table of areas × statuses: the counts, each linking to those results', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  const table = byClass(root, 'table', 'areas')[0] as XmlElement;
  t.same(findAll(findAll(table, 'thead')[0] as XmlElement, 'th').map(textOf), ['Area', 'PASS', 'FAIL', 'WARN', 'SKIP', 'ERROR', 'Total']);
  const rows = findAll(findAll(table, 'tbody')[0] as XmlElement, 'tr');
  const areas = [...new Set(sample.results.map((r) => r.area))];
  t.same(rows.map((row) => textOf(findAll(row, 'th')[0] ?? '')), areas, 'one row per area, in run order');
  for (const [i, row] of rows.entries()) {
    const area = areas[i] as string;
    t.equal(findAll(findAll(row, 'th')[0] as XmlElement, 'a')[0]?.attributes.href, `#area-${area}`);
    const cells = findAll(row, 'td');
    const results = sample.results.filter((r) => r.area === area);
    for (const [j, status] of (['pass', 'fail', 'warn', 'skip', 'error'] as const).entries()) {
      const count = results.filter((r) => r.status === status).length;
      const cell = cells[j] as XmlElement;
      t.equal(textOf(cell), String(count), `${area} × ${status}`);
      t.equal(findAll(cell, 'a')[0]?.attributes.href, count === 0 ? undefined : `#area-${area}.${status}`, `${area} × ${status}: ${count === 0 ? 'no link' : 'links to those results'}`);
    }
    t.equal(textOf(cells[5] as XmlElement), String(results.length), `${area}: total`);
  }
  const totals = findAll(findAll(findAll(table, 'tfoot')[0] as XmlElement, 'tr')[0] as XmlElement, 'td').map(textOf);
  t.same(totals, ['2', '3', '2', '2', '1', '10'], 'the totals row');
});

t.test('details show every exchange: method, URL, headers and body text', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  for (const r of sample.results.filter((x) => x.exchanges)) {
    const shown = exchangesOf(itemOf(root, r.id));
    t.equal(shown.length, r.exchanges?.length, `${r.id}: every exchange`);
    for (const [i, e] of (r.exchanges ?? []).entries()) {
      const div = shown[i] as XmlElement;
      t.match(textOf(findAll(div, 'summary')[0] ?? ''), `${i + 1}/${r.exchanges?.length}: ${e.method} ${e.url} → ${e.status}`);
      t.equal(div.attributes.id, `check-${r.id}.exchange-${i + 1}`, `${r.id} #${i + 1}: an anchor`);
      const request = textOf(byClass(div, 'pre', 'request')[0] ?? '');
      const response = textOf(byClass(div, 'pre', 'response')[0] ?? '');
      t.ok(request.startsWith(`${e.method} ${e.url}\n`), `${r.id} #${i + 1}: request line`);
      for (const [name, value] of Object.entries(e.requestHeaders)) t.ok(request.includes(`\n${name}: ${visible(value)}\n`), `${r.id} #${i + 1}: ${name}`);
      for (const [name, value] of Object.entries(e.responseHeaders)) t.ok(response.includes(`\n${name}: ${visible(value)}\n`), `${r.id} #${i + 1}: ${name}`);
      t.ok(response.startsWith(`${e.status}\n`), `${r.id} #${i + 1}: status`);
      const body = bodyText(e.responseBody);
      if (body !== '') t.ok(response.endsWith(`\n\n${visible(body)}`), `${r.id} #${i + 1}: response body text`);
    }
  }
  const missing = textOf(itemOf(root, 'blobs.pull.missing'));
  t.match(missing, '<300 bytes of binary>', 'a binary body by size');
  t.match(missing, `<${64 * 1024 + 1} bytes>`, 'a body not kept by size');
  t.match(textOf(itemOf(root, 'blobs.pull.range')), '… (10000 bytes)', 'a long body shortened');
});

t.test('the exchange that broke the rule is marked and open; the others closed', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  for (const r of sample.results.filter((x) => x.exchanges && x.exchanges.length > 0)) {
    const shown = exchangesOf(itemOf(root, r.id));
    const marked = shown.filter((d) => hasClass(d, 'failing'));
    const opened = shown.map((d, i) => (d.attributes.open === 'open' ? i : -1)).filter((i) => i >= 0);
    if (r.failingExchange === undefined) {
      t.same(marked, [], `${r.id}: names no exchange, none marked`);
      t.same(opened, [shown.length - 1], `${r.id}: the last one open`);
      continue;
    }
    t.equal(marked.length, 1, `${r.id}: one marked`);
    t.equal(shown.indexOf(marked[0] as XmlElement), r.failingExchange, `${r.id}: the one the failure names`);
    t.same(opened, [r.failingExchange], `${r.id}: only it open`);
    const e = r.exchanges?.[r.failingExchange] as NonNullable<Result['exchanges']>[number];
    t.equal(marked[0]?.attributes['aria-label'], `the exchange that broke the rule: ${r.failingExchange + 1}/${shown.length}: ${e.method} ${visible(e.url)} → ${e.status}`);
    t.equal(textOf(byClass(marked[0] as XmlElement, 'strong', 'culprit')[0] ?? ''), '✗ broke the rule', `${r.id}: said in words`);
    t.match(textOf(findAll(byClass(itemOf(root, r.id), 'section', 'exchanges')[0] as XmlElement, 'h3')[0] ?? ''), `${plural(shown.length, 'exchange')}, #${r.failingExchange + 1} broke the rule`);
  }
  t.equal(byClass(root, 'details', 'failing').length, sample.results.filter((r) => r.failingExchange !== undefined).length, 'nothing else marked');
});

t.test('a property counterexample shows its commands, replay command and curl script', async (t) => {
  const sample = sampleReport();
  const failed = sample.results.find((r) => r.counterexample) as Result;
  const example = failed.counterexample;
  const item = itemOf(page(toHtml(sample)), failed.id);
  const shown = byClass(item, 'section', 'counterexample')[0] as XmlElement;
  t.equal(textOf(findAll(shown, 'h3')[0] ?? ''), `Counterexample: seed ${example?.seed}, path ${example?.path}`);
  t.equal(textOf(findAll(shown, 'p')[0] ?? ''), 'Found after 12 executions (840 ms), shrunk to 3 commands. Replay:');
  t.same(findAll(byClass(shown, 'ol', 'commands')[0] as XmlElement, 'li').map(textOf), example?.commands);
  t.equal(textOf(byClass(shown, 'pre', 'replay')[0] ?? ''), example?.replay);
  t.equal(textOf(byClass(shown, 'pre', 'curl')[0] ?? ''), example?.curl);
  const curl = byClass(shown, 'details', 'curl')[0] as XmlElement;
  t.equal(textOf(findAll(curl, 'summary')[0] ?? ''), `curl reproduction (${example?.curl.split('\n').length} lines)`);
  t.equal(curl.attributes.open, undefined, 'the script collapsed: the replay command comes first');
});

t.test('hostile strings in messages, headers, bodies and the target appear only as text', async (t) => {
  const everything = `${HOSTILE.script} ${HOSTILE.attribute} '<b onmouseover=alert(1)>' &amp; &lt;`;
  const hostile = result({
    id: 'blobs.pull.hostile',
    status: 'fail',
    title: everything,
    message: everything,
    spec: everything,
    exchanges: [exchange({ url: everything, requestHeaders: { [everything]: everything }, responseHeaders: { 'x-evil': everything }, responseBody: { size: 1, base64: Buffer.from(everything).toString('base64') } })],
  });
  const html = toHtml(report([...sampleReport().results, hostile], { target: everything }));
  for (const raw of [HOSTILE.script, HOSTILE.attribute, '<b onmouseover', '<img']) t.notOk(html.includes(raw), `${JSON.stringify(raw)} never raw`);
  const root = page(html);
  for (const element of allElements(root)) {
    if (!ALLOWED_ELEMENTS.has(element.name)) t.fail(`hostile text became <${element.name}>`);
    for (const name of Object.keys(element.attributes)) if (name.startsWith('on') || !ALLOWED_ATTRIBUTES.has(name)) t.fail(`hostile text became attribute ${name}`);
  }
  const item = itemOf(root, hostile.id);
  t.equal(textOf(byClass(item, 'span', 'title')[0] ?? ''), everything, 'the title reads as it was, entities and all');
  t.equal(textOf(byClass(item, 'p', 'message')[0] ?? ''), everything);
  t.equal(textOf(byClass(item, 'span', 'spec')[0] ?? ''), everything);
  const request = textOf(byClass(item, 'pre', 'request')[0] ?? '');
  t.equal(request, `GET ${everything}\n${everything}: ${everything}\n`, 'URL and header name and value');
  t.ok(textOf(byClass(item, 'pre', 'response')[0] ?? '').endsWith(`x-evil: ${everything}\n\n${everything}`), 'header and body');
  t.equal(textOf(findAll(root, 'dd')[0] ?? ''), everything, 'the target');
  t.ok(textOf(findAll(root, 'title')[0] ?? '').includes(everything));
});

t.test('characters XML cannot carry become visible escapes; the page stays well-formed', async (t) => {
  const root = page(toHtml(sampleReport()));
  const item = itemOf(root, 'blobs.pull.controls');
  t.equal(textOf(byClass(item, 'p', 'message')[0] ?? ''), 'nul\\u0000 esc\\u001b[31mred vt\\u000b ff\\u000c lone\\ud800 fffe\\ufffe');
  t.match(textOf(byClass(item, 'pre', 'response')[0] ?? ''), 'vt\\u000b ff\\u000c fffe\\ufffe</html>', 'in body text too');
});

t.test('status filters: one checkbox per status with its count, hiding status groups only through CSS', async (t) => {
  const root = page(toHtml(sampleReport()));
  const boxes = findAll(root, 'input');
  t.same(boxes.map((b) => b.attributes.id), ['show-pass', 'show-fail', 'show-warn', 'show-skip', 'show-error']);
  t.ok(boxes.every((b) => b.attributes.type === 'checkbox' && b.attributes.checked === 'checked'), 'everything shown to start with');
  t.same(findAll(root, 'label').map((l) => textOf(l).trim()), ['PASS 2', 'FAIL 3', 'WARN 2', 'SKIP 2', 'ERROR 1']);
  const css = textOf(findAll(root, 'style')[0] ?? '');
  for (const status of ['pass', 'fail', 'warn', 'skip', 'error']) t.match(css, `body:has(#show-${status}:not(:checked)) .g-${status} { display: none; }`);
  const groups = allElements(root).filter((e) => /\bg-(pass|fail|warn|skip|error)\b/.test(e.attributes.class ?? ''));
  t.same(groups.map((g) => /\bg-(\w+)/.exec(g.attributes.class ?? '')?.[1]).sort(), ['error', 'fail', 'fail', 'pass', 'pass', 'skip', 'skip', 'warn', 'warn'], 'each status group of each area can be hidden');
});

t.test('an empty run is a valid page', async (t) => {
  const root = page(toHtml(report([])));
  t.same(resultItems(root), []);
  t.equal(textOf(byClass(root, 'p', 'verdict')[0] ?? ''), 'PASS');
});
