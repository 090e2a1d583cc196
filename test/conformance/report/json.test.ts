/**
 * The JSON report (conformance/report/json.ts), parsed back: the required fields, summary counts,
 * every result, counterexamples, exchanges only on non-passing results with their bodies intact,
 * hostile strings unchanged, and the same bytes whatever key order the report was built in.
 */
import t from 'tap';
import { toJson } from '../../../conformance/report/json.ts';
import { BODY_KEEP_BYTES, type Exchange } from '../../../conformance/client/exchange.ts';
import type { Report, Result } from '../../../conformance/report/types.ts';
import { BINARY, HOSTILE, exchange, report, result, sampleReport } from '../../helpers/report.ts';

interface Parsed {
  tool: string;
  target: string;
  specVersion: string;
  startedAt: string;
  durationMs: number;
  summary: Record<string, number>;
  results: Array<Record<string, unknown> & { id: string; exchanges?: Array<Record<string, unknown>>; counterexample?: Record<string, unknown> }>;
}

const parse = (r: Report): Parsed => JSON.parse(toJson(r)) as Parsed;

/** Rebuilds a value with every object's keys in reverse insertion order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reversedKeys(inner)])) as T;
  }
  return value;
}

t.test('the report has target, summary and every result with its required fields', async (t) => {
  const sample = sampleReport();
  const json = parse(sample);
  t.same(Object.keys(json), ['tool', 'target', 'specVersion', 'startedAt', 'durationMs', 'summary', 'results']);
  t.equal(json.target, sample.target);
  t.equal(json.specVersion, 'v1.1.1');
  t.same(Object.keys(json.summary), ['pass', 'fail', 'warn', 'skip', 'error']);
  for (const status of ['pass', 'fail', 'warn', 'skip', 'error'] as const) {
    t.equal(json.summary[status], sample.results.filter((r) => r.status === status).length, `summary.${status}`);
  }
  t.same(json.results.map((r) => r.id), sample.results.map((r) => r.id), 'every result, in run order');
  for (const [i, parsed] of json.results.entries()) {
    const original = sample.results[i] as Result;
    t.same(Object.keys(parsed).slice(0, 6), ['id', 'title', 'level', 'status', 'message', 'spec'], `${original.id}: required fields first`);
    for (const key of ['id', 'title', 'level', 'status', 'message', 'spec', 'area', 'layer', 'ms'] as const) {
      t.equal(parsed[key], original[key], `${original.id}.${key}`);
    }
    t.equal(parsed.nonNormative, original.nonNormative, `${original.id}.nonNormative`);
  }
});

t.test('a property failure carries its counterexample', async (t) => {
  const sample = sampleReport();
  const original = sample.results.find((r) => r.counterexample);
  const parsed = parse(sample).results.find((r) => r.id === original?.id);
  t.same(parsed?.counterexample, original?.counterexample);
  t.same(Object.keys(parsed?.counterexample ?? {}), ['seed', 'path', 'commands', 'curl', 'replay', 'executions', 'foundAfterMs']);
  t.equal(parse(sample).results.filter((r) => r.counterexample !== undefined).length, 1, 'only the property failure has one');
});

t.test('exchanges are kept for non-passing results, bodies intact', async (t) => {
  const passing = result({ id: 'blobs.pull.get', status: 'pass', exchanges: [exchange()] });
  const binary = exchange({ responseBody: { size: BINARY.length, base64: Buffer.from(BINARY).toString('base64') } });
  const large = exchange({ method: 'PUT', requestBody: { size: BODY_KEEP_BYTES + 1, base64: undefined } });
  const failing = result({ id: 'blobs.pull.missing', status: 'fail', exchanges: [binary, large] });
  const warning = result({ id: 'blobs.pull.range', status: 'warn', level: 'SHOULD', exchanges: [exchange()] });
  const [pass, fail, warn] = parse(report([passing, failing, warning])).results;
  t.equal(pass?.exchanges, undefined, 'a passing result carries none');
  t.equal(warn?.exchanges?.length, 1);
  t.equal(fail?.exchanges?.length, 2);
  const [first, second] = (fail?.exchanges ?? []) as unknown as Exchange[];
  t.same(Object.keys(first ?? {}), ['method', 'url', 'requestHeaders', 'status', 'responseHeaders', 'responseBody', 'ms'], 'no request body: left out');
  t.same(Buffer.from(first?.responseBody.base64 ?? '', 'base64'), Buffer.from(BINARY), 'binary body round-trips');
  t.same(second?.requestBody, { size: BODY_KEEP_BYTES + 1 }, 'a body not kept has its size only');
  t.same(first?.requestHeaders, binary.requestHeaders);
});

t.test('hostile strings come back unchanged', async (t) => {
  const everything = Object.values(HOSTILE).join(' ');
  const r = result({ id: 'a.b.c', status: 'fail', title: everything, message: everything, spec: everything, exchanges: [exchange({ url: everything, responseHeaders: { [HOSTILE.attribute]: everything } })] });
  const [parsed] = parse(report([r], { target: everything })).results;
  t.equal(parsed?.message, everything);
  t.equal(parsed?.title, everything);
  t.same((parsed?.exchanges?.[0] as unknown as Exchange).responseHeaders, { [HOSTILE.attribute]: everything });
  t.equal(parse(report([r], { target: everything })).target, everything);
});

t.test('stable bytes: fixed key order, 2-space indent, one trailing newline', async (t) => {
  const sample = sampleReport();
  const text = toJson(sample);
  t.equal(toJson(reversedKeys(sample)), text, 'the order the objects were built in does not matter');
  t.ok(text.endsWith('}\n') && !text.endsWith('\n\n'), 'one trailing newline');
  t.equal(text.split('\n')[1], '  "tool": "touchstone",', '2-space indent');
  t.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`, 'canonical 2-space JSON');
  const headers = exchange({ responseHeaders: { 'x-b': '1', 'content-type': 'a', 'x-a': '2' } });
  const shuffled = exchange({ responseHeaders: { 'x-a': '2', 'x-b': '1', 'content-type': 'a' } });
  const one = toJson(report([result({ id: 'a.b.c', status: 'fail', exchanges: [headers] })]));
  t.equal(toJson(report([result({ id: 'a.b.c', status: 'fail', exchanges: [shuffled] })])), one, 'header order does not matter');
  t.ok(one.indexOf('"content-type"') < one.indexOf('"x-a"') && one.indexOf('"x-a"') < one.indexOf('"x-b"'), 'headers sorted by name');
});
