/**
 * The JUnit XML report, for CI systems (the Ant junit schema that Jenkins, GitLab and GitHub
 * reporters read): one <testsuite> per area, one <testcase> per result. A failure (a broken
 * MUST, OCI Distribution Spec §Notational Conventions) is a <failure>, a harness error an
 * <error>, both with the message, the spec section, the recorded exchanges and any property
 * counterexample as text; a skip is <skipped message=…/>; a warning (a broken SHOULD or MAY) passes
 * with a <system-out> noting it. The suite counts are computed from the results they contain.
 * Registry-controlled text is escaped, and characters XML 1.0 cannot carry at all (§2.2 Char:
 * most C0 controls, lone surrogates, U+FFFE/U+FFFF) are written as visible \u escapes instead.
 */
import { bodyText, type Exchange } from '../client/exchange.ts';
import { summarize, type Report, type Result } from './types.ts';
import { groupByArea, levelLabel } from './text.ts';

/** XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
}

function escapeXml(text: string, inAttribute: boolean): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (!isXmlChar(code)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (char === '&') out += '&amp;';
    else if (char === '<') out += '&lt;';
    else if (char === '>') out += '&gt;';
    else if (char === '"') out += '&quot;';
    else if (char === "'") out += '&#39;';
    // §2.11 normalizes a literal CR away, and §3.3.3 turns tab and newline in attributes into spaces.
    else if (char === '\r') out += '&#13;';
    else if (inAttribute && char === '\n') out += '&#10;';
    else if (inAttribute && char === '\t') out += '&#9;';
    else out += char;
  }
  return out;
}

/** Text content for XML (and HTML): markup characters as references, illegal characters as \u escapes. */
export function escapeXmlText(text: string): string {
  return escapeXml(text, false);
}

/** A quoted attribute value for XML (and HTML): as escapeXmlText, and whitespace kept as references. */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text, true);
}

function attributes(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function quoted(prefix: string, text: string): string[] {
  return text === '' ? [] : [prefix, ...text.split('\n').map((line) => `${prefix} ${line}`)];
}

function transcript(exchanges: readonly Exchange[]): string[] {
  const lines: string[] = [];
  exchanges.forEach((exchange, i) => {
    lines.push('', `exchange ${i + 1} of ${exchanges.length} (${exchange.ms} ms):`, `> ${exchange.method} ${exchange.url}`);
    for (const [name, value] of Object.entries(exchange.requestHeaders)) lines.push(`> ${name}: ${value}`);
    lines.push(...quoted('>', bodyText(exchange.requestBody)));
    lines.push(`< ${exchange.status}`);
    for (const [name, value] of Object.entries(exchange.responseHeaders)) lines.push(`< ${name}: ${value}`);
    lines.push(...quoted('<', bodyText(exchange.responseBody)));
  });
  return lines;
}

/** What a failing, erring or warning testcase says: message, level, spec, counterexample, exchanges. */
function details(result: Result): string {
  const lines = [result.message, '', `check: ${result.id}`, `level: ${levelLabel(result)}`, `spec: ${result.spec}`];
  const example = result.counterexample;
  if (example) {
    lines.push('', `counterexample: seed ${example.seed}, path ${example.path}`, `replay: ${example.replay}`, 'commands:');
    example.commands.forEach((command, i) => lines.push(`  ${i + 1}. ${command}`));
    lines.push('', 'curl reproduction:', example.curl.trimEnd());
  }
  lines.push(...transcript(result.exchanges ?? []));
  return `${lines.join('\n')}\n`;
}

function testcase(result: Result): string {
  const head = `    <testcase${attributes({ classname: `touchstone.${result.area}`, name: `${result.id}: ${result.title}`, time: seconds(result.ms) })}`;
  switch (result.status) {
    case 'pass':
      return `${head}/>`;
    case 'skip':
      return `${head}>\n      <skipped${attributes({ message: result.message })}/>\n    </testcase>`;
    case 'warn':
      return `${head}>\n      <system-out>${escapeXmlText(`WARNING: ${result.level}-level statement not met\n${details(result)}`)}</system-out>\n    </testcase>`;
    case 'fail':
      return `${head}>\n      <failure${attributes({ message: result.message, type: result.level })}>${escapeXmlText(details(result))}</failure>\n    </testcase>`;
    case 'error':
      return `${head}>\n      <error${attributes({ message: result.message, type: 'harness error' })}>${escapeXmlText(details(result))}</error>\n    </testcase>`;
  }
}

/** The Ant schema's timestamp is an ISO 8601 date-time without a zone; the run's is UTC. */
function timestamp(startedAt: string): string {
  return startedAt.replace(/(\.\d+)?Z$/, '');
}

function counts(results: readonly Result[]): Record<string, string | number> {
  const summary = summarize(results);
  return { tests: results.length, failures: summary.fail, errors: summary.error, skipped: summary.skip };
}

export function toJunit(report: Report): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'touchstone', ...counts(report.results), time: seconds(report.durationMs), timestamp: timestamp(report.startedAt) })}>`,
  ];
  for (const [area, results] of groupByArea(report.results)) {
    const time = seconds(results.reduce((sum, result) => sum + result.ms, 0));
    lines.push(`  <testsuite${attributes({ name: area, ...counts(results), time, timestamp: timestamp(report.startedAt) })}>`);
    lines.push('    <properties>');
    lines.push(`      <property${attributes({ name: 'target', value: report.target })}/>`);
    lines.push(`      <property${attributes({ name: 'specVersion', value: report.specVersion })}/>`);
    lines.push('    </properties>');
    for (const result of results) lines.push(testcase(result));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
