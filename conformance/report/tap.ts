/**
 * The TAP version 14 report (testanything.org/tap-version-14-specification): the version line,
 * the plan 1..N, then one test point per result, areas introduced by a comment. A pass or a skip
 * is `ok` (a skip with `# SKIP reason`); a warning (a broken SHOULD or MAY, which never fails a
 * run: §Notational Conventions) is `ok` with a YAML diagnostic noting it; a failure or harness
 * error is `not ok` with a YAML diagnostic: message, level, spec, and for a property failure the
 * seed, path, replay command and commands. Registry-controlled text cannot forge TAP lines:
 * descriptions and directives are single lines with `#` and `\` escaped as TAP 14 requires, and
 * YAML values are double-quoted scalars, which carry any text on one line.
 */
import { summarize, type Report, type Result } from './types.ts';
import { countsLine, groupByArea, verdict } from './text.ts';

/** TAP 14 "Test Point": a description or directive reason is one line, with \ and # escaped. */
function tapLine(text: string): string {
  return oneLine(text).replaceAll('\\', '\\\\').replaceAll('#', '\\#');
}

/** Line breaks and other control characters become spaces (a description may not span lines), lone surrogates and noncharacters U+FFFD. */
function oneLine(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) out += ' ';
    else if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) out += '\ufffd';
    else out += char;
  }
  return out;
}

/**
 * A YAML 1.2 double-quoted scalar. JSON string syntax is a subset of it; characters YAML does not
 * allow raw (§5.1: DEL, C1 controls, U+FFFE/U+FFFF) are written as \u escapes, as are NEL, LS and
 * PS, which YAML 1.1 readers take for line breaks; lone surrogates, which no YAML stream can hold,
 * become U+FFFD.
 */
function yamlString(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else out += char;
  }
  return JSON.stringify(out).replace(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The YAML diagnostic of a test point, indented two spaces between `  ---` and `  ...` (TAP 14). */
function diagnostic(result: Result): string[] {
  const yaml = [`status: ${result.status}`, `level: ${result.level}`, `message: ${yamlString(result.message)}`, `spec: ${yamlString(result.spec)}`];
  if (result.nonNormative) yaml.push('nonNormative: true');
  const example = result.counterexample;
  if (example) {
    yaml.push(`seed: ${example.seed}`, `path: ${yamlString(example.path)}`, `replay: ${yamlString(example.replay)}`);
    yaml.push(example.commands.length === 0 ? 'commands: []' : 'commands:', ...example.commands.map((command) => `  - ${yamlString(command)}`));
  }
  const exchanges = result.exchanges ?? [];
  if (exchanges.length > 0) {
    yaml.push('exchanges:', ...exchanges.map((e) => `  - ${yamlString(`${e.method} ${e.url} -> ${e.status}`)}`));
  }
  return ['  ---', ...yaml.map((line) => `  ${line}`), '  ...'];
}

function testPoint(result: Result, number: number): string[] {
  const description = `${number} - ${tapLine(`${result.id}: ${result.title}`)}`;
  switch (result.status) {
    case 'pass':
      return [`ok ${description}`];
    case 'skip':
      return [`ok ${description} # SKIP ${tapLine(result.message)}`];
    case 'warn':
      return [`ok ${description}`, ...diagnostic(result)];
    case 'fail':
    case 'error':
      return [`not ok ${description}`, ...diagnostic(result)];
  }
}

export function toTap(report: Report): string {
  const total = report.results.length;
  // TAP 14 "The Plan": 1..0 says nothing was run, and may carry a reason.
  const lines = ['TAP version 14', total === 0 ? '1..0 # no checks were selected' : `1..${total}`];
  let number = 0;
  for (const [area, results] of groupByArea(report.results)) {
    lines.push(`# ${tapLine(area)}: ${countsLine(summarize(results))}`);
    for (const result of results) lines.push(...testPoint(result, ++number));
  }
  lines.push(`# ${oneLine(report.target)}: ${countsLine(summarize(report.results), true)}`, `# ${verdict(report)}`);
  return `${lines.join('\n')}\n`;
}
