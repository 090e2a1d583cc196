/**
 * The terminal report (conformance/report/text.ts): area lines with the right counts, every
 * non-passing result in severity order with its level, title, message and spec, counterexamples
 * with the replay command and commands, the verdict line agreeing with exitCode, colour only on
 * request, registry text unable to inject terminal escapes, and prose within 100 columns.
 */
import t from 'tap';
import { exitCode, type Result } from '../../../conformance/report/types.ts';
import { formatProgress, formatSummary, verdict } from '../../../conformance/report/text.ts';
import { HOSTILE, report, result, sampleReport } from '../../helpers/report.ts';

const SGR = /\u001b\[[0-9;]*m/g;
const hasSgr = (text: string): boolean => /\u001b\[[0-9;]*m/.test(text);

t.test('one line per area with its counts, then its non-passing results in severity order', async (t) => {
  const sample = sampleReport();
  const lines = formatSummary(sample, { color: false }).split('\n');
  const areas = [...new Set(sample.results.map((r) => r.area))];
  const areaLines = lines.filter((line) => areas.some((area) => line.startsWith(`${area} `)));
  t.same(areaLines.map((line) => line.split(' ')[0]), areas, 'one line per area, in run order');
  for (const area of areas) {
    const results = sample.results.filter((r) => r.area === area);
    const line = areaLines.find((l) => l.startsWith(`${area} `)) ?? '';
    t.match(line, new RegExp(`\\b${results.length} checks?:`), `${area}: total`);
    for (const status of ['pass', 'fail', 'warn', 'skip', 'error'] as const) {
      const count = results.filter((r) => r.status === status).length;
      if (count > 0) t.match(line, new RegExp(`\\b${count} ${status}\\b`), `${area}: ${count} ${status}`);
      else t.notMatch(line, new RegExp(`\\b${status}\\b`), `${area}: no ${status}`);
    }
    // Headline lines of results: two spaces, symbol, STATUS, id.
    const start = lines.indexOf(line);
    const next = lines.findIndex((l, i) => i > start && !l.startsWith(' '));
    const shown = lines.slice(start + 1, next).filter((l) => /^ {2}\S+ [A-Z]+ +\S+ {2}/.test(l)).map((l) => l.trim().split(/ +/)[2]);
    const rank = { fail: 0, error: 0, warn: 1, skip: 2, pass: 3 };
    const expected = results.filter((r) => r.status !== 'pass').sort((a, b) => rank[a.status] - rank[b.status] || results.indexOf(a) - results.indexOf(b));
    t.same(shown, expected.map((r) => r.id), `${area}: non-passing results, fail/error, then warn, then skip`);
  }
  for (const passed of sample.results.filter((r) => r.status === 'pass')) {
    t.notOk(lines.some((line) => line.includes(passed.id)), `${passed.id} passed and is not listed`);
  }
});

t.test('each non-passing result shows its level, title, message and spec', async (t) => {
  const r = result({ id: 'manifests.push.subject', status: 'fail', title: 'accepts a subject that does not exist', message: 'answered 400 MANIFEST_INVALID', spec: '§Push (subject)' });
  const w = result({ id: 'tags.list.order', status: 'warn', level: 'SHOULD', nonNormative: true, spec: '§Listing Tags (end-8a)' });
  const text = formatSummary(report([r, w]), { color: false });
  const block = (id: string): string[] => {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.includes(id));
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('      '));
    return lines.slice(start, end);
  };
  t.match(block(r.id)[0], /✗ FAIL +manifests\.push\.subject +MUST$/);
  t.same(block(r.id).slice(1).map((l) => l.trim()), [r.title, r.message, `spec: ${r.spec}`]);
  t.match(block(w.id)[0], /! WARN +tags\.list\.order +SHOULD \(non-normative\)$/);
});

t.test('a property counterexample shows seed, path, the whole replay command and the numbered commands', async (t) => {
  const sample = sampleReport();
  const failed = sample.results.find((r) => r.counterexample !== undefined);
  const example = failed?.counterexample;
  if (!example) throw new Error('the sample has a counterexample');
  const lines = formatSummary(sample, { color: false }).split('\n');
  const joined = lines.map((l) => l.trim()).join(' ');
  t.ok(joined.includes(`counterexample: found after ${example.executions} executions (840 ms), shrunk to ${example.commands.length} commands; seed ${example.seed}, path ${example.path}`), 'when it was found, how far it shrank, seed and path');
  t.same(lines.filter((l) => l.trim() === `replay: ${example.replay}`).length, 1, 'the replay command on one line');
  const numbered = lines.filter((l) => /^ {8}\d+\. /.test(l)).map((l) => l.trim());
  t.same(numbered, example.commands.map((c, i) => `${i + 1}. ${c}`));
});

t.test('the last line has the totals and the verdict, which follows exitCode', async (t) => {
  const pass = result({ id: 'a.b.pass', status: 'pass' });
  const warn = result({ id: 'a.b.warn', status: 'warn', level: 'SHOULD' });
  const fail = result({ id: 'a.b.fail', status: 'fail' });
  const error = result({ id: 'a.b.error', status: 'error' });
  const cases: Array<[readonly Result[], string, number]> = [
    [[pass], 'PASS', 0],
    [[], 'PASS', 0],
    [[pass, warn, warn], 'PASS (2 warnings)', 0],
    [[pass, warn, fail, fail, fail], 'FAIL: 3 MUST-level failures', 1],
    [[fail], 'FAIL: 1 MUST-level failure', 1],
    [[error, fail], 'ERROR: 1 harness error, 1 MUST-level failure', 2],
    [[error, warn], 'ERROR: 1 harness error', 2],
  ];
  for (const [results, expected, code] of cases) {
    const r = report(results);
    t.equal(verdict(r), expected);
    t.equal(exitCode(r), code, `${expected}: exit code ${code}`);
    const last = formatSummary(r, { color: false }).trimEnd().split('\n').at(-1) ?? '';
    const count = (status: string): number => results.filter((x) => x.status === status).length;
    const totals = `${results.length} check${results.length === 1 ? '' : 's'}: ${count('pass')} pass, ${count('fail')} fail, ${count('warn')} warn, ${count('skip')} skip, ${count('error')} error`;
    t.equal(last, `${totals}. ${expected}`);
  }
  t.equal(verdict(report([result({ id: 'a.b.c', status: 'fail', level: 'SHOULD' })])), 'PASS (1 SHOULD/MAY-level failure)', 'only MUST failures fail the run');
});

t.test('colour only on request, and the coloured text is the plain text plus SGR codes', async (t) => {
  const sample = sampleReport();
  const plain = formatSummary(sample, { color: false });
  const coloured = formatSummary(sample, { color: true });
  t.notOk(plain.includes('\u001b'), 'no escape at all without colour');
  t.ok(hasSgr(coloured), 'colour codes with colour');
  t.equal(coloured.replace(SGR, ''), plain);
  t.notOk(coloured.replace(SGR, '').includes('\u001b'), 'every escape is one of ours');
});

t.test('registry text cannot reach the terminal as control characters or forge lines', async (t) => {
  const text = formatSummary(sampleReport(), { color: true }).replace(SGR, '');
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char !== '\n' && (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff))) t.fail(`control character U+${code.toString(16)}`);
  }
  t.ok(text.includes('esc\\u001b[31mred'), 'ESC is shown as an escape');
  t.ok(text.includes('nul\\u0000'), 'NUL is shown as an escape');
  const forged = text.split('\n').filter((line) => line.trim() === 'not ok 99 - forged');
  t.ok(forged.length > 0 && forged.every((line) => line.startsWith('      ')), 'a message line break stays inside the indented message');
  t.ok(text.includes(HOSTILE.script), 'a terminal needs no HTML escaping: the text is shown as it is');
});

t.test('prose is wrapped to 100 columns; the replay command is kept whole', async (t) => {
  const long = 'the registry answered with a status the specification does not allow for this request '.repeat(4).trim();
  const sample = sampleReport();
  const withLong = report([...sample.results, result({ id: 'blobs.pull.long', status: 'fail', title: long, message: long })]);
  const lines = formatSummary(withLong, { color: false }).split('\n');
  const replay = sample.results.find((r) => r.counterexample)?.counterexample?.replay ?? '';
  const over = lines.filter((line) => [...line].length > 100 && !line.includes(replay));
  t.same(over, [], 'no line over 100 columns but the replay command');
  const start = lines.findIndex((line) => line.includes('blobs.pull.long'));
  const block = lines.slice(start + 1, start + 1 + lines.slice(start + 1).findIndex((line) => !line.startsWith('      ')));
  t.ok(block.length >= 5, 'long title and message continue on indented lines, then the spec');
  t.equal(block.map((l) => l.trim()).join(' '), `${long} ${long} spec: §Pulling blobs (end-2)`, 'wrapping loses no word');
});

t.test('formatProgress is one line: counter, status symbol, id, duration', async (t) => {
  const samples: Array<[Result, RegExp]> = [
    [result({ id: 'blobs.pull.get', status: 'pass', ms: 35 }), /^\[ 3\/12\] ✓ PASS +blobs\.pull\.get \(35 ms\)$/],
    [result({ id: 'blobs.pull.get', status: 'fail', ms: 1500 }), /^\[ 3\/12\] ✗ FAIL +blobs\.pull\.get \(1\.5 s\)$/],
    [result({ id: 'blobs.pull.get', status: 'warn' }), /^\[ 3\/12\] ! WARN +blobs/],
    [result({ id: 'blobs.pull.get', status: 'skip' }), /^\[ 3\/12\] ○ SKIP +blobs/],
    [result({ id: 'blobs.pull.get', status: 'error' }), /^\[ 3\/12\] ‼ ERROR blobs/],
  ];
  for (const [r, expected] of samples) {
    t.match(formatProgress(r, 3, 12, { color: false }), expected, r.status);
    const coloured = formatProgress(r, 3, 12, { color: true });
    t.ok(hasSgr(coloured), `${r.status}: coloured`);
    t.match(coloured.replace(SGR, ''), expected, `${r.status}: same text coloured`);
  }
  const odd = formatProgress(result({ id: 'a.b\nc\u001b[2J', status: 'pass' }), 1, 1, { color: false });
  t.notOk(odd.includes('\n') || odd.includes('\u001b'), 'one line, no escape, whatever the id holds');
});
