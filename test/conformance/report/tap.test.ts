/**
 * The TAP 14 report (conformance/report/tap.ts), read back by a strict reader of the TAP 14
 * grammar written here: version line, plan equal to the number of test points numbered 1..N,
 * YAML blocks right after their test point and delimited by `  ---` / `  ...`, directives only
 * where intended, and hostile text (line breaks, `#`, `\`) unable to forge lines or directives.
 */
import t from 'tap';
import { toTap } from '../../../conformance/report/tap.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { HOSTILE, report, result, sampleReport } from '../../helpers/report.ts';

interface TestPoint {
  readonly ok: boolean;
  readonly number: number;
  /** The description with TAP escapes undone. */
  readonly description: string;
  readonly directive: string | undefined;
  /** The YAML block's lines with the two-space indent removed; undefined without a block. */
  readonly yaml: string[] | undefined;
}

/** Splits "desc # DIRECTIVE reason" at the first unescaped #, undoing \# and \\ (TAP 14 "Escaping"). */
function splitDescription(text: string): { description: string; directive: string | undefined } {
  let description = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '\\' && (text[i + 1] === '\\' || text[i + 1] === '#')) description += text[++i];
    else if (char === '\\') throw new Error(`lone backslash in ${JSON.stringify(text)}`);
    else if (char === '#') return { description: description.trimEnd(), directive: text.slice(i + 1).trim() };
    else description += char;
  }
  return { description, directive: undefined };
}

/** Reads a TAP 14 document; throws on anything out of the grammar. */
function readTap(text: string): { plan: number; points: TestPoint[]; comments: string[] } {
  if (!text.endsWith('\n')) throw new Error('no final newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== 'TAP version 14') throw new Error('no version line');
  const plan = /^1\.\.(\d+)(?: # .+)?$/.exec(lines[1] ?? '');
  if (!plan) throw new Error(`no plan: ${lines[1]}`);
  const points: TestPoint[] = [];
  const comments: string[] = [];
  for (let i = 2; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (line.startsWith('# ')) {
      comments.push(line.slice(2));
      continue;
    }
    const point = /^(not )?ok (\d+) - (.*)$/.exec(line);
    if (!point) throw new Error(`line ${i + 1} is neither a test point nor a comment: ${JSON.stringify(line)}`);
    let yaml: string[] | undefined;
    if (lines[i + 1] === '  ---') {
      yaml = [];
      for (i += 2; lines[i] !== '  ...'; i += 1) {
        const inner = lines[i];
        if (inner === undefined) throw new Error('unterminated YAML block');
        if (!inner.startsWith('  ')) throw new Error(`YAML line not indented 2 spaces: ${JSON.stringify(inner)}`);
        yaml.push(inner.slice(2));
      }
    }
    points.push({ ok: point[1] === undefined, number: Number(point[2]), ...splitDescription(point[3] ?? ''), yaml });
  }
  return { plan: Number(plan[1]), points, comments };
}

/** The subset of YAML the writer emits: `key: scalar`, `key:` then `  - "item"` lines. Scalars are JSON-quoted, numbers or plain words. */
function readYaml(lines: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  let list: unknown[] | undefined;
  const scalar = (text: string): unknown => (text.startsWith('"') ? JSON.parse(text) : /^-?\d+$/.test(text) ? Number(text) : text === 'true' ? true : text === '[]' ? [] : text);
  for (const line of lines) {
    const item = /^ {2}- (.+)$/.exec(line);
    if (item && list) {
      list.push(scalar(item[1] ?? ''));
      continue;
    }
    const entry = /^([A-Za-z]+):(?: (.+))?$/.exec(line);
    if (!entry || (entry[1] ?? '') in values) throw new Error(`not a YAML entry: ${JSON.stringify(line)}`);
    if (entry[2] === undefined) values[entry[1] ?? ''] = list = [];
    else {
      values[entry[1] ?? ''] = scalar(entry[2]);
      list = undefined;
    }
  }
  return values;
}

t.test('the plan matches the test points, numbered 1..N, one per result in area order', async (t) => {
  const sample = sampleReport();
  const tap = readTap(toTap(sample));
  t.equal(tap.plan, sample.results.length);
  t.equal(tap.points.length, tap.plan, 'as many test points as the plan says, hostile messages notwithstanding');
  t.same(tap.points.map((p) => p.number), sample.results.map((_, i) => i + 1));
  const inAreaOrder = [...new Set(sample.results.map((r) => r.area))].flatMap((area) => sample.results.filter((r) => r.area === area));
  t.same(tap.points.map((p) => p.description.split(':')[0]), inAreaOrder.map((r) => r.id));
  t.ok(tap.comments.includes('blobs: 1 pass, 2 fail, 1 warn'), 'an area comment with its counts');
  t.equal(tap.comments.at(-1), 'ERROR: 1 harness error, 3 MUST-level failures', 'the verdict last');
});

t.test('each status is the right test point, with a YAML block where it needs one', async (t) => {
  const sample = sampleReport();
  const tap = readTap(toTap(sample));
  for (const point of tap.points) {
    const r = sample.results.find((x) => point.description.startsWith(`${x.id}: `)) as Result;
    t.equal(point.ok, r.status === 'pass' || r.status === 'skip' || r.status === 'warn', `${r.id}: ${r.status} is ${point.ok ? 'ok' : 'not ok'}`);
    if (r.status === 'skip') t.equal(point.directive, `SKIP ${r.message.replaceAll('\\', '\\\\').replaceAll('#', '\\#')}`, `${r.id}: SKIP with the reason, escaped`);
    else t.equal(point.directive, undefined, `${r.id}: no directive`);
    if (r.status === 'pass' || r.status === 'skip') {
      t.equal(point.yaml, undefined, `${r.id}: no YAML block`);
      continue;
    }
    const yaml = readYaml(point.yaml ?? []);
    t.equal(yaml.status, r.status);
    t.equal(yaml.level, r.level);
    t.equal(yaml.message, r.message.replace('\ud800', '\ufffd'), `${r.id}: message, line breaks and all (a lone surrogate replaced)`);
    t.equal(yaml.spec, r.spec);
    t.equal(yaml.nonNormative, r.nonNormative);
    t.same(yaml.exchanges, r.exchanges?.map((e) => `${e.method} ${e.url} -> ${e.status}`), `${r.id}: one line per exchange`);
  }
});

t.test('a property failure has seed, path, replay and commands in its YAML block', async (t) => {
  const sample = sampleReport();
  const failed = sample.results.find((r) => r.counterexample);
  const point = readTap(toTap(sample)).points.find((p) => p.description.startsWith(`${failed?.id}:`));
  const yaml = readYaml(point?.yaml ?? []);
  t.equal(point?.ok, false);
  t.equal(yaml.seed, failed?.counterexample?.seed);
  t.equal(yaml.path, failed?.counterexample?.path);
  t.equal(yaml.replay, failed?.counterexample?.replay);
  t.same(yaml.commands, failed?.counterexample?.commands);
  const none = readYaml(readTap(toTap(report([result({ id: 'property.model.empty', status: 'fail', layer: 'property', counterexample: { seed: 1, path: '', commands: [], curl: '', replay: 'x', executions: 1, foundAfterMs: 0 } })]))).points[0]?.yaml ?? []);
  t.same(none.commands, [], 'an empty command list is still a list');
});

t.test('hostile descriptions and messages cannot forge lines, directives or YAML', async (t) => {
  const hostile = result({ id: 'a.b.hostile', status: 'fail', title: `${HOSTILE.newlines} ${HOSTILE.hashes}`, message: `${HOSTILE.newlines}\n  ...\n---`, spec: HOSTILE.hashes });
  const skipped = result({ id: 'a.b.skipped', status: 'skip', message: HOSTILE.newlines });
  const passed = result({ id: 'a.b.passed', status: 'pass', title: HOSTILE.hashes });
  const tap = readTap(toTap(report([hostile, skipped, passed])));
  t.equal(tap.points.length, 3);
  t.equal(tap.plan, 3);
  const [first, second, third] = tap.points;
  t.equal(first?.directive, undefined, 'no forged directive');
  t.equal(first?.description, `a.b.hostile: ${HOSTILE.newlines.replaceAll(/[\r\n]/g, ' ')} ${HOSTILE.hashes}`, 'line breaks became spaces, # and \\ escaped');
  t.equal(readYaml(first?.yaml ?? []).message, hostile.message, 'a YAML terminator in a message stays inside its string');
  t.equal(second?.directive, `SKIP ${HOSTILE.newlines.replaceAll(/[\r\n]/g, ' ')}`);
  t.equal(third?.description, `a.b.passed: ${HOSTILE.hashes}`);
  t.equal(third?.directive, undefined, 'a pass whose title says "# SKIP" is not a skip');
  const controls = readYaml(readTap(toTap(report([result({ id: 'a.b.c', status: 'fail', message: HOSTILE.controls })]))).points[0]?.yaml ?? []);
  t.equal(controls.message, HOSTILE.controls.replace('\ud800', '\ufffd'), 'control characters escaped inside the YAML string, a lone surrogate replaced');
  const raw = toTap(report([result({ id: 'a.b.c', status: 'fail', title: HOSTILE.controls, message: `${HOSTILE.controls}\u0085\u009b\u2028` })]));
  for (const char of raw) {
    const code = char.codePointAt(0) ?? 0;
    if ((code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0x2028) t.fail(`raw U+${code.toString(16)} in the TAP`);
  }
});

t.test('an empty run has the plan 1..0 and no test points', async (t) => {
  const text = toTap(report([]));
  const tap = readTap(text);
  t.equal(tap.plan, 0);
  t.same(tap.points, []);
  t.match(text.split('\n')[1], /^1\.\.0 # /, 'with a reason');
});
