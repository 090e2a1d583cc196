/**
 * The HTML report (conformance/report/html.ts), parsed as the well-formed markup it is: a page
 * with no script, no external resource and a CSP forbidding both; the header facts; every result
 * in its area with status, id, level, title, spec and message; <details> with each exchange and
 * the counterexample; and hostile strings from bodies, headers and messages present only as text,
 * never as markup.
 */
import t from 'tap';
import { toHtml } from '../../../conformance/report/html.ts';
import { bodyText } from '../../../conformance/client/exchange.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { HOSTILE, exchange, findAll, parseXml, report, result, sampleReport, textOf, visibleInXml as visible, type XmlElement } from '../../helpers/report.ts';

/** Every element the page may contain: no script, img, iframe, object, link, a, form submission. */
const ALLOWED_ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h4', 'dl', 'dt', 'dd', 'code', 'p', 'main', 'fieldset', 'legend', 'label', 'input', 'span', 'section', 'ol', 'li', 'div', 'details', 'summary', 'pre']);
const ALLOWED_ATTRIBUTES = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'type', 'checked']);

const hasClass = (element: XmlElement, name: string): boolean => (element.attributes.class ?? '').split(' ').includes(name);
const byClass = (root: XmlElement, tag: string, name: string): XmlElement[] => findAll(root, tag).filter((e) => hasClass(e, name));
const page = (html: string): XmlElement => parseXml(html, { doctype: true });
const resultItems = (root: XmlElement): XmlElement[] => byClass(root, 'li', 'result');
const idOf = (item: XmlElement): string => textOf(byClass(item, 'code', 'id')[0] ?? '');

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
  t.notMatch(html, /<(script|img|iframe|object|embed|link|a)\b/i, 'no markup that runs or loads');
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

t.test('every result appears once, in its area, failures first, with all its facts', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  const items = resultItems(root);
  t.same(items.map(idOf).sort(), sample.results.map((r) => r.id).sort(), 'every result id, once');
  const sections = byClass(root, 'section', 'area');
  const areas = [...new Set(sample.results.map((r) => r.area))];
  t.same(sections.map((s) => textOf(findAll(s, 'h2')[0] ?? '').split(' ')[0]), areas, 'one section per area, in run order');
  const rank = { fail: 0, error: 0, warn: 1, skip: 2, pass: 3 };
  for (const [i, section] of sections.entries()) {
    const results = sample.results.filter((r) => r.area === areas[i]);
    const expected = [...results].sort((a, b) => rank[a.status] - rank[b.status] || results.indexOf(a) - results.indexOf(b));
    t.same(resultItems(section).map(idOf), expected.map((r) => r.id), `${areas[i]}: fail/error, warn, skip, pass`);
  }
  for (const item of items) {
    const r = sample.results.find((x) => x.id === idOf(item)) as Result;
    const field = (name: string): string => textOf(byClass(item, 'span', name)[0] ?? '');
    t.ok(hasClass(item, `s-${r.status}`), `${r.id}: status class`);
    t.equal(textOf(byClass(item, 'span', 'badge')[0] ?? ''), r.status.toUpperCase(), `${r.id}: badge`);
    t.equal(field('level'), `${r.level}${r.nonNormative ? ' (non-normative)' : ''}`, `${r.id}: level`);
    t.equal(field('title'), visible(r.title), `${r.id}: title`);
    t.equal(textOf(byClass(item, 'p', 'message')[0] ?? ''), visible(r.message), `${r.id}: message`);
    t.equal(field('spec'), r.spec, `${r.id}: spec`);
    t.equal(findAll(item, 'details').length, r.exchanges?.length || r.counterexample ? 1 : 0, `${r.id}: details when there is something to show`);
  }
});

t.test('details show every exchange: method, URL, headers and body text', async (t) => {
  const sample = sampleReport();
  const root = page(toHtml(sample));
  for (const r of sample.results.filter((x) => x.exchanges)) {
    const item = resultItems(root).find((i) => idOf(i) === r.id) as XmlElement;
    const shown = byClass(item, 'div', 'exchange');
    t.equal(shown.length, r.exchanges?.length, `${r.id}: every exchange`);
    for (const [i, e] of (r.exchanges ?? []).entries()) {
      const div = shown[i] as XmlElement;
      t.match(textOf(findAll(div, 'h4')[0] ?? ''), `${e.method} ${e.url} → ${e.status}`);
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
  const missing = textOf(resultItems(root).find((i) => idOf(i) === 'blobs.pull.missing') ?? '');
  t.match(missing, '<300 bytes of binary>', 'a binary body by size');
  t.match(missing, `<${64 * 1024 + 1} bytes>`, 'a body not kept by size');
  t.match(textOf(resultItems(root).find((i) => idOf(i) === 'blobs.pull.range') ?? ''), '… (10000 bytes)', 'a long body shortened');
});

t.test('a property counterexample shows its commands, replay command and curl script', async (t) => {
  const sample = sampleReport();
  const failed = sample.results.find((r) => r.counterexample) as Result;
  const example = failed.counterexample;
  const item = resultItems(page(toHtml(sample))).find((i) => idOf(i) === failed.id) as XmlElement;
  const shown = byClass(item, 'div', 'counterexample')[0] as XmlElement;
  t.equal(textOf(findAll(shown, 'h4')[0] ?? ''), `Counterexample: seed ${example?.seed}, path ${example?.path}`);
  t.same(findAll(byClass(shown, 'ol', 'commands')[0] as XmlElement, 'li').map(textOf), example?.commands);
  t.equal(textOf(byClass(shown, 'pre', 'replay')[0] ?? ''), example?.replay);
  t.equal(textOf(byClass(shown, 'pre', 'curl')[0] ?? ''), example?.curl);
  t.equal(textOf(findAll(item, 'summary')[0] ?? ''), 'counterexample, 2 exchanges');
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
  const item = resultItems(root).find((i) => idOf(i) === hostile.id) as XmlElement;
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
  const item = resultItems(root).find((i) => idOf(i) === 'blobs.pull.controls') as XmlElement;
  t.equal(textOf(byClass(item, 'p', 'message')[0] ?? ''), 'nul\\u0000 esc\\u001b[31mred vt\\u000b ff\\u000c lone\\ud800 fffe\\ufffe');
  t.match(textOf(byClass(item, 'pre', 'response')[0] ?? ''), 'vt\\u000b ff\\u000c fffe\\ufffe</html>', 'in body text too');
});

t.test('status filters: one checkbox per status with its count, hiding only through CSS', async (t) => {
  const root = page(toHtml(sampleReport()));
  const boxes = findAll(root, 'input');
  t.same(boxes.map((b) => b.attributes.id), ['show-pass', 'show-fail', 'show-warn', 'show-skip', 'show-error']);
  t.ok(boxes.every((b) => b.attributes.type === 'checkbox' && b.attributes.checked === 'checked'), 'everything shown to start with');
  t.same(findAll(root, 'label').map((l) => textOf(l).trim()), ['PASS 2', 'FAIL 3', 'WARN 2', 'SKIP 2', 'ERROR 1']);
  const css = textOf(findAll(root, 'style')[0] ?? '');
  for (const status of ['pass', 'fail', 'warn', 'skip', 'error']) t.match(css, `body:has(#show-${status}:not(:checked)) li.s-${status} { display: none; }`);
});

t.test('an empty run is a valid page', async (t) => {
  const root = page(toHtml(report([])));
  t.same(resultItems(root), []);
  t.equal(textOf(byClass(root, 'p', 'verdict')[0] ?? ''), 'PASS');
});
