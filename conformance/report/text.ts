/**
 * The terminal report. `formatProgress` is one line per finished check while the run goes on;
 * `formatSummary` is the run at its end, area by area: a line of counts, then every result that
 * did not pass (fail and error first, then warn, then skip) with its id, level, title, message
 * and spec section, property counterexamples with their replay command and command list, and a
 * last line with the totals and the verdict. The verdict follows `exitCode` (types.ts): harness
 * errors first, then failures of MUST-level statements, the absolute requirements of RFC 2119
 * (§Notational Conventions); SHOULD and MAY are reported but never fail a run. Also exports the
 * grouping by area, counts and verdict the other report writers share, so every format agrees.
 */
import type { Status } from '../checks/types.ts';
import { exitCode, summarize, type Report, type Result, type Summary } from './types.ts';

export interface TextOptions {
  /** ANSI colours (SGR escapes); off for pipes, files and NO_COLOR. */
  readonly color: boolean;
}

/** Prose lines are wrapped to this many columns; commands to copy are left whole. */
const WIDTH = 100;
const INDENT = '      ';

/** Summary counts in the order every writer prints them. */
export const SUMMARY_ORDER: readonly Status[] = ['pass', 'fail', 'warn', 'skip', 'error'];

const SEVERITY_RANK: Readonly<Record<Status, number>> = { fail: 0, error: 0, warn: 1, skip: 2, pass: 3 };

/** Fail and error first, then warn, then skip, then pass; run order within a rank. */
function bySeverity(results: readonly Result[]): Result[] {
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => SEVERITY_RANK[a.result.status] - SEVERITY_RANK[b.result.status] || a.index - b.index)
    .map(({ result }) => result);
}

/** Results by area, areas in the order the run first reached them. */
export function groupByArea(results: readonly Result[]): Map<string, Result[]> {
  const areas = new Map<string, Result[]>();
  for (const result of results) {
    const list = areas.get(result.area);
    if (list) list.push(result);
    else areas.set(result.area, [result]);
  }
  return areas;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A result's level as reports show it: MUST, SHOULD or MAY, marked when the check is non-normative. */
export function levelLabel(result: Result): string {
  return `${result.level}${result.nonNormative ? ' (non-normative)' : ''}`;
}

/** The run's outcome as a status, from exitCode: error (2), fail (1) or pass (0). */
export function verdictStatus(report: Report): 'pass' | 'fail' | 'error' {
  const code = exitCode(report);
  return code === 2 ? 'error' : code === 1 ? 'fail' : 'pass';
}

/** The one-line outcome of the run, consistent with exitCode: "ERROR: …", "FAIL: …" or "PASS". */
export function verdict(report: Report): string {
  const errors = report.results.filter((r) => r.status === 'error').length;
  const mustFailures = report.results.filter((r) => r.status === 'fail' && r.level === 'MUST').length;
  const otherFailures = report.results.filter((r) => r.status === 'fail' && r.level !== 'MUST').length;
  const warnings = report.results.filter((r) => r.status === 'warn').length;
  switch (exitCode(report)) {
    case 2:
      return `ERROR: ${plural(errors, 'harness error')}${mustFailures > 0 ? `, ${plural(mustFailures, 'MUST-level failure')}` : ''}`;
    case 1:
      return `FAIL: ${plural(mustFailures, 'MUST-level failure')}`;
    default: {
      const notes = [
        ...(otherFailures > 0 ? [plural(otherFailures, 'SHOULD/MAY-level failure')] : []),
        ...(warnings > 0 ? [plural(warnings, 'warning')] : []),
      ];
      return notes.length > 0 ? `PASS (${notes.join(', ')})` : 'PASS';
    }
  }
}

/** "3 pass, 1 fail, …" with only the statuses that occur (all five when `all`). */
export function countsLine(summary: Summary, all = false): string {
  return SUMMARY_ORDER.filter((status) => all || summary[status] > 0)
    .map((status) => `${summary[status]} ${status}`)
    .join(', ');
}

/** Milliseconds as a person reads them: "850 ms", "12.3 s", "4 min 7 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * Makes registry-controlled text safe for a terminal: control characters (ESC above all, which
 * would let a response body recolour or rewrite the screen) are shown as \u escapes. Newlines stay
 * when `keepNewlines`, tabs become spaces.
 */
function terminalSafe(text: string, keepNewlines = false): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\n' && keepNewlines) out += char;
    else if (char === '\t') out += ' ';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out;
}

/** Word-wraps each line of `text` to WIDTH columns after `indent`; a word longer than a line stays whole. */
function wrap(text: string, indent: string): string[] {
  const room = Math.max(20, WIDTH - indent.length);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && [...line].length + 1 + [...word].length > room) {
        lines.push(indent + line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push((indent + line).trimEnd());
  }
  return lines;
}

const SGR: Readonly<Record<Status | 'bold' | 'dim', string>> = {
  pass: '32',
  fail: '31',
  error: '35',
  warn: '33',
  skip: '36',
  bold: '1',
  dim: '2',
};

function paint(text: string, style: keyof typeof SGR, options: TextOptions): string {
  return options.color ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
}

const SYMBOL: Readonly<Record<Status, string>> = { pass: '✓', skip: '○', warn: '!', fail: '✗', error: '‼' };

function badge(status: Status, options: TextOptions): string {
  return paint(`${SYMBOL[status]} ${status.toUpperCase().padEnd(5)}`, status, options);
}

/** One line for a finished check: "[ 12/140] ✗ FAIL  blobs.pull.get  (35 ms)". */
export function formatProgress(result: Result, done: number, total: number, options: TextOptions): string {
  const width = String(total).length;
  const counter = `[${String(done).padStart(width)}/${total}]`;
  return `${paint(counter, 'dim', options)} ${badge(result.status, options)} ${terminalSafe(result.id)} ${paint(`(${formatDuration(result.ms)})`, 'dim', options)}`;
}

function describeResult(result: Result, options: TextOptions): string[] {
  const lines = [`  ${badge(result.status, options)} ${paint(terminalSafe(result.id), 'bold', options)}  ${levelLabel(result)}`];
  lines.push(...wrap(terminalSafe(result.title), INDENT));
  if (result.message !== '') lines.push(...wrap(terminalSafe(result.message, true), INDENT));
  lines.push(...wrap(`spec: ${terminalSafe(result.spec)}`, INDENT));
  const example = result.counterexample;
  if (example) {
    lines.push(...wrap(`counterexample: found after ${plural(example.executions, 'execution')} (${formatDuration(example.foundAfterMs)}), shrunk to ${plural(example.commands.length, 'command')}; seed ${example.seed}, path ${terminalSafe(example.path)}`, INDENT));
    // The replay command is meant to be copied: one line, never wrapped.
    lines.push(`${INDENT}replay: ${terminalSafe(example.replay)}`);
    example.commands.forEach((command, i) => lines.push(...wrap(`${i + 1}. ${terminalSafe(command)}`, `${INDENT}  `)));
  }
  return lines;
}

/** The end-of-run summary; the last line is the totals and the verdict. */
export function formatSummary(report: Report, options: TextOptions): string {
  const lines = [
    paint(`touchstone: ${terminalSafe(report.target)}`, 'bold', options),
    `spec ${report.specVersion}, started ${terminalSafe(report.startedAt)}, took ${formatDuration(report.durationMs)}`,
    '',
  ];
  const areas = groupByArea(report.results);
  const nameWidth = Math.min(24, Math.max(0, ...[...areas.keys()].map((area) => area.length)));
  for (const [area, results] of areas) {
    lines.push(`${paint(terminalSafe(area).padEnd(nameWidth), 'bold', options)}  ${plural(results.length, 'check')}: ${countsLine(summarize(results))}`);
    for (const result of bySeverity(results)) {
      if (result.status !== 'pass') lines.push(...describeResult(result, options));
    }
  }
  const totals = `${plural(report.results.length, 'check')}: ${countsLine(summarize(report.results), true)}`;
  lines.push('', `${totals}. ${paint(verdict(report), verdictStatus(report), options)}`);
  return `${lines.join('\n')}\n`;
}
