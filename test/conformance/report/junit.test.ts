/**
 * The JUnit XML report (conformance/report/junit.ts), parsed by a strict well-formedness parser:
 * one testsuite per area with counts that match its testcases and the results, testcase names,
 * classnames and times, the element each status becomes, failure text with the exchanges and
 * the counterexample, and hostile text (markup, control characters illegal in XML 1.0, line
 * breaks in attributes) that neither breaks the document nor changes on the way through.
 */
import t from 'tap';
import { escapeXmlAttribute, escapeXmlText, toJunit } from '../../../conformance/report/junit.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { HOSTILE, exchange, findAll, parseXml, report, result, sampleReport, textOf, visibleInXml as visible, type XmlElement } from '../../helpers/report.ts';

const child = (element: XmlElement, name: string): XmlElement | undefined => element.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
const count = (results: readonly Result[], status: string): string => String(results.filter((r) => r.status === status).length);

t.test('the parser used here rejects what is not well-formed', async (t) => {
  const broken = ['<a><b></a></b>', '<a x="1" x="2"/>', '<a x=1/>', '<a>&nbsp;</a>', '<a>\u0001</a>', '<a/><b/>', '<a x="<"/>', '<a>&#1;</a>', '<a>]]></a>', '<a>'];
  for (const source of broken) t.throws(() => parseXml(source), JSON.stringify(source));
  t.same(parseXml('<?xml version="1.0"?><a x="1&#10;2&#9;3\n4">t&amp;&lt;&#x41;</a>'), { name: 'a', attributes: { x: '1\n2\t3 4' }, children: ['t&<A'] });
});

t.test('one testsuite per area, counts matching the testcases and the results', async (t) => {
  const sample = sampleReport();
  const root = parseXml(toJunit(sample));
  t.equal(root.name, 'testsuites');
  t.same(
    { tests: root.attributes.tests, failures: root.attributes.failures, errors: root.attributes.errors, skipped: root.attributes.skipped },
    { tests: String(sample.results.length), failures: count(sample.results, 'fail'), errors: count(sample.results, 'error'), skipped: count(sample.results, 'skip') },
  );
  t.equal(root.attributes.time, '4.321', 'the run duration in seconds');
  const suites = findAll(root, 'testsuite');
  const areas = [...new Set(sample.results.map((r) => r.area))];
  t.same(suites.map((s) => s.attributes.name), areas, 'one testsuite per area, in run order');
  for (const suite of suites) {
    const results = sample.results.filter((r) => r.area === suite.attributes.name);
    const cases = findAll(suite, 'testcase');
    const withChild = (name: string): string => String(cases.filter((c) => child(c, name)).length);
    t.equal(suite.attributes.tests, String(cases.length), `${suite.attributes.name}: tests = testcases`);
    t.equal(suite.attributes.tests, String(results.length), `${suite.attributes.name}: tests = results`);
    t.equal(suite.attributes.failures, withChild('failure'), `${suite.attributes.name}: failures = <failure>s`);
    t.equal(suite.attributes.failures, count(results, 'fail'));
    t.equal(suite.attributes.errors, withChild('error'), `${suite.attributes.name}: errors = <error>s`);
    t.equal(suite.attributes.errors, count(results, 'error'));
    t.equal(suite.attributes.skipped, withChild('skipped'), `${suite.attributes.name}: skipped = <skipped>s`);
    t.equal(suite.attributes.skipped, count(results, 'skip'));
    t.equal(suite.attributes.time, (results.reduce((sum, r) => sum + r.ms, 0) / 1000).toFixed(3));
    const properties = findAll(suite, 'property').map((p) => [p.attributes.name, p.attributes.value]);
    t.same(properties, [['target', sample.target], ['specVersion', sample.specVersion]]);
  }
  t.equal(findAll(root, 'testcase').length, sample.results.length, 'one testcase per result');
});

t.test('each testcase names its check and carries what its status means', async (t) => {
  const sample = sampleReport();
  const cases = findAll(parseXml(toJunit(sample)), 'testcase');
  for (const [i, r] of sample.results.entries()) {
    const testcase = cases[i] as XmlElement;
    t.equal(testcase.attributes.name, visible(`${r.id}: ${r.title}`), `${r.id}: name`);
    t.equal(testcase.attributes.classname, `touchstone.${r.area}`);
    t.equal(testcase.attributes.time, (r.ms / 1000).toFixed(3));
    const elements = testcase.children.filter((c): c is XmlElement => typeof c !== 'string').map((c) => c.name);
    const expected = { pass: [], skip: ['skipped'], warn: ['system-out'], fail: ['failure'], error: ['error'] }[r.status];
    t.same(elements, expected, `${r.id}: ${r.status} is ${expected.join() || 'an empty testcase'}`);
    const inner = child(testcase, elements[0] ?? '');
    if (r.status === 'skip') t.equal(inner?.attributes.message, r.message, `${r.id}: skip reason`);
    if (r.status === 'fail') t.equal(inner?.attributes.type, r.level);
    if (r.status === 'fail' || r.status === 'error') {
      t.equal(inner?.attributes.message, visible(r.message), `${r.id}: message attribute, line breaks kept`);
      t.ok(textOf(inner ?? '').startsWith(`${visible(r.message)}\n`), `${r.id}: text starts with the message`);
    }
    if (r.status === 'warn') t.match(textOf(inner ?? ''), new RegExp(`^WARNING: ${r.level}-level statement not met\n`));
    if (inner && r.status !== 'skip') t.match(textOf(inner), `spec: ${r.spec}`, `${r.id}: spec`);
  }
});

t.test('failure text shows the exchanges and the counterexample', async (t) => {
  const sample = sampleReport();
  const root = parseXml(toJunit(sample));
  const failureOf = (id: string): string => textOf(findAll(root, 'testcase').find((c) => c.attributes.name?.startsWith(`${id}:`)) ?? '');
  const missing = failureOf('blobs.pull.missing');
  t.match(missing, 'exchange 1 of 3 (3 ms):');
  t.match(missing, '< <300 bytes of binary>', 'binary body by size');
  t.match(missing, `> <${64 * 1024 + 1} bytes>`, 'a body not kept by size');
  t.match(missing, `> x-hostile: ${HOSTILE.attribute}`, 'request headers, unchanged through the XML');
  t.match(missing, `< x-evil: ${HOSTILE.script}`, 'response headers');
  t.match(missing, `<html>${HOSTILE.script}${HOSTILE.attribute}`, 'response body text');
  const long = failureOf('blobs.pull.range');
  t.match(long, `${'x'.repeat(4096)}… (10000 bytes)`, 'a long body shortened for display');
  const property = sample.results.find((r) => r.counterexample);
  const example = property?.counterexample;
  const text = failureOf(property?.id ?? '');
  t.match(text, `counterexample: seed ${example?.seed}, path ${example?.path}`);
  t.match(text, `replay: ${example?.replay}`);
  for (const [i, command] of (example?.commands ?? []).entries()) t.match(text, `  ${i + 1}. ${command}\n`);
  t.match(text, example?.curl.trimEnd() ?? 'curl', 'the curl reproduction');
});

t.test('characters XML 1.0 cannot carry are shown as escapes; the document stays well-formed', async (t) => {
  const xml = toJunit(sampleReport());
  const root = parseXml(xml);
  const controls = findAll(root, 'testcase').find((c) => c.attributes.name?.startsWith('blobs.pull.controls:'));
  const visible = 'nul\\u0000 esc\\u001b[31mred vt\\u000b ff\\u000c lone\\ud800 fffe\\ufffe';
  t.equal(controls?.attributes.name, `blobs.pull.controls: controls ${visible}`);
  t.equal(controls && child(controls, 'failure')?.attributes.message, visible);
  t.match(textOf(controls ?? ''), 'vt\\u000b ff\\u000c fffe\\ufffe</html>', 'in body text too');
  t.equal(escapeXmlText('a\r\nb]]>c'), 'a&#13;\nb]]&gt;c', 'CR kept as a reference, "]]>" broken');
  t.equal(escapeXmlAttribute('"\'\n\t<&'), '&quot;&#39;&#10;&#9;&lt;&amp;');
  t.equal(escapeXmlText('\u{1F600} é'), '\u{1F600} é', 'characters outside the BMP are legal and kept');
  const hostileTarget = parseXml(toJunit(report([result({ id: 'a.b.c', status: 'pass' })], { target: HOSTILE.attribute })));
  t.equal(findAll(hostileTarget, 'property')[0]?.attributes.value, HOSTILE.attribute);
});

t.test('an empty run and a run with only passes are valid reports', async (t) => {
  const empty = parseXml(toJunit(report([])));
  t.same(empty.attributes.tests, '0');
  t.same(findAll(empty, 'testsuite'), []);
  const passes = parseXml(toJunit(report([result({ id: 'a.b.c', status: 'pass' }), result({ id: 'a.b.d', status: 'pass', exchanges: [exchange()] })])));
  t.same([passes.attributes.tests, passes.attributes.failures, passes.attributes.errors, passes.attributes.skipped], ['2', '0', '0', '0']);
  t.same(findAll(passes, 'testcase').map((c) => c.children.length), [0, 0], 'a passing testcase is empty');
});
