/**
 * The mutation table and the survivor list (docs/mutants.md, README.md "Mutation testing"), made
 * from every checked-in results file (mutants/results/**.json, Stryker's own report format) and
 * the triage (docs/mutants.json): each mutant that survives or is never reached is either
 * equivalent — no client can observe it through the API, with the reason — or listed as open.
 * Score = (killed + timed out) / (mutants − errors), as Stryker counts it; the last column leaves
 * the equivalent and the allowed mutants out, so 100 % there means no blind spot is left.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface Location {
  readonly start: { readonly line: number; readonly column: number };
}

export interface ResultMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: Location;
  readonly status: string;
  readonly statusReason?: string;
}

/** One triage decision: every mutant of `file` within `lines` (and of `mutator`, with `replacement`, when given). */
export interface TriageEntry {
  readonly file: string;
  readonly lines: readonly [number, number];
  /** Only the mutant starting at this column (two mutants of one line with the same replacement). */
  readonly column?: number;
  readonly mutator?: string;
  readonly replacement?: string;
  /**
   * equivalent: no client can observe it; allowed: a client sees another answer, but one the spec
   * allows as well as the original (no check can call either wrong); open: a blind spot not
   * closed yet; investigated: an error (crash) explained.
   */
  readonly verdict: 'equivalent' | 'allowed' | 'open' | 'investigated';
  readonly why: string;
}

interface Row {
  file: string;
  /** The day of the file's last run (the `runAt` mutants/run.ts stamps into its results). */
  run: string;
  mutants: number;
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  errors: number;
  equivalent: number;
  allowed: number;
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export function triageOf(file: string, mutant: ResultMutant, triage: readonly TriageEntry[]): TriageEntry | undefined {
  const line = mutant.location.start.line;
  return triage.find((t) => t.file === file && line >= t.lines[0] && line <= t.lines[1] && (t.column === undefined || t.column === mutant.location.start.column) && (t.mutator === undefined || t.mutator === mutant.mutatorName) && (t.replacement === undefined || t.replacement === mutant.replacement));
}

async function resultFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => join(e.parentPath, e.name)).sort();
}

/** Every source file mutation testing covers (reference/http and reference/store), sorted. */
async function sourcesOf(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['reference/http', 'reference/store']) {
    for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) found.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}

const percent = (part: number, whole: number): string => (whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} %`);

function tableOf(rows: readonly Row[]): string {
  const total: Row = { file: '**total**', run: '', mutants: 0, killed: 0, survived: 0, timeout: 0, noCoverage: 0, errors: 0, equivalent: 0, allowed: 0 };
  for (const row of rows) for (const key of ['mutants', 'killed', 'survived', 'timeout', 'noCoverage', 'errors', 'equivalent', 'allowed'] as const) total[key] += row[key];
  const line = (r: Row): string => {
    const detected = r.killed + r.timeout;
    return `| ${r.file.startsWith('*') ? r.file : `\`${r.file}\``} | ${r.run} | ${r.mutants} | ${r.killed} | ${r.survived} | ${r.timeout} | ${r.noCoverage} | ${r.errors} | ${percent(detected, r.mutants - r.errors)} | ${r.equivalent} | ${r.allowed} | ${percent(detected, r.mutants - r.errors - r.equivalent - r.allowed)} |`;
  };
  return [
    '| file | run | mutants | killed | survived | timed out | not reached | errors | score | equivalent | allowed | score without equivalent and allowed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(line),
    line(total),
  ].join('\n');
}

function replaceBetween(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`markers ${start} … ${end} missing`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

export async function writeTables(root: string): Promise<void> {
  const triage = (JSON.parse(await readFile(join(root, 'docs/mutants.json'), 'utf8')) as { entries: TriageEntry[] }).entries;
  const rows: Row[] = [];
  const survivors: string[] = [];
  for (const path of await resultFiles(join(root, 'mutants/results'))) {
    const report = JSON.parse(await readFile(path, 'utf8')) as { runAt?: string; files: Record<string, { mutants: ResultMutant[] }> };
    // A file without a single mutant (only types and imports) has run all the same: a row of zeros.
    const files = Object.keys(report.files).length > 0 ? report.files : { [relative(join(root, 'mutants/results'), path).replace(/\.json$/, '')]: { mutants: [] } };
    for (const [name, { mutants }] of Object.entries(files)) {
      const file = relative(root, join(root, name));
      const row: Row = { file, run: report.runAt?.slice(0, 10) ?? '—', mutants: 0, killed: 0, survived: 0, timeout: 0, noCoverage: 0, errors: 0, equivalent: 0, allowed: 0 };
      for (const m of [...mutants].sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)) {
        if (m.status === 'Ignored') continue;
        row.mutants += 1;
        if (m.status === 'Killed') row.killed += 1;
        else if (m.status === 'Survived') row.survived += 1;
        else if (m.status === 'Timeout') row.timeout += 1;
        else if (m.status === 'NoCoverage') row.noCoverage += 1;
        else row.errors += 1;
        if (!UNDETECTED.has(m.status) && m.status !== 'RuntimeError' && m.status !== 'CompileError') continue;
        const decided = triageOf(file, m, triage);
        if (decided?.verdict === 'equivalent' && UNDETECTED.has(m.status)) row.equivalent += 1;
        if (decided?.verdict === 'allowed' && UNDETECTED.has(m.status)) row.allowed += 1;
        const what = `\`${file}:${m.location.start.line}:${m.location.start.column}\` ${m.mutatorName} → \`${(m.replacement ?? '').replace(/\s+/g, ' ').replaceAll('`', "'").slice(0, 80)}\``;
        const error = m.status === 'RuntimeError' || m.status === 'CompileError';
        const verdict = error
          ? `${decided?.verdict === 'investigated' ? `error, investigated: ${decided.why}` : '**error, not investigated**'} (${m.statusReason ?? ''})`
          : decided && decided.verdict !== 'investigated' ? `${decided.verdict}: ${decided.why}` : '**untriaged**';
        survivors.push(`- ${what} (${m.status === 'NoCoverage' ? 'not reached' : m.status.toLowerCase()}): ${verdict.replace(/\s+/g, ' ').slice(0, 500)}`);
      }
      rows.push(row);
    }
  }
  const run = new Set(rows.map((row) => row.file));
  const notRun = (await sourcesOf(root)).filter((file) => !run.has(file));
  const stamp = `${rows.length} of ${rows.length + notRun.length} files run (\`npm run mutants\`; the run column gives the day of each file's last run).`;
  const rest = notRun.length === 0 ? '' : `\n\nNot run yet (${notRun.length} file${notRun.length === 1 ? '' : 's'}): ${notRun.map((file) => `\`${file}\``).join(', ')}.`;
  const table = `${stamp}\n\n${tableOf(rows)}${rest}`;
  const docs = join(root, 'docs/mutants.md');
  let text = await readFile(docs, 'utf8');
  text = replaceBetween(text, 'mutants-table', table);
  text = replaceBetween(text, 'mutants-survivors', survivors.length === 0 ? 'None.' : survivors.join('\n'));
  await writeFile(docs, text);
  const readme = join(root, 'README.md');
  await writeFile(readme, replaceBetween(await readFile(readme, 'utf8'), 'mutants-table', table));
}

if (import.meta.url === `file://${process.argv[1]}`) await writeTables(join(import.meta.dirname, '..'));
