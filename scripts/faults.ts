/**
 * `npm run faults`: the detection score of the suite. Runs the default profile of
 * `touchstone check` against the reference registry once without faults (nothing may be reported)
 * and once per fault of the catalog (reference/faults/catalog.ts), two runs at a time, each in its own
 * process; writes docs/fault-detection.json and the table between the fault markers of README.md:
 * fault → detected or not, by which check ids, scripted or property layer, time to detection, and
 * for property detections the length of the shrunk counterexample. Exits 1 when a fault goes
 * undetected, the baseline reports something, or a property counterexample is longer than 6 steps.
 *
 *   npm run faults [-- --only NAME …] [--jobs 2]
 *   node --import tsx scripts/faults.ts --child NAME   (one run, JSON on stdout)
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_CATALOG, faultDescription, isFaultName, type FaultName } from '../reference/faults/catalog.ts';
import { detectFault, type Detection } from './fault-detection.ts';

const ROOT = resolve(import.meta.dirname, '..');
const JSON_OUT = resolve(ROOT, 'docs/fault-detection.json');
const README = resolve(ROOT, 'README.md');
const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';
/** The longest a shrunk counterexample may be (issue: "shrunk to at most 6 steps"). */
export const MAX_COUNTEREXAMPLE_STEPS = 6;
/** A run that takes longer than this is killed and counted as not detected. */
const CHILD_TIMEOUT_MS = 10 * 60_000;

function runChild(fault: FaultName | 'none'): Promise<Detection> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/faults.ts', '--child', fault], { cwd: ROOT, timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${fault}: ${error.message}\n${stderr}`));
        return;
      }
      resolveRun(JSON.parse(stdout) as Detection);
    });
  });
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

/** Up to three ids, then how many more: the JSON has them all. */
function ids(list: readonly string[]): string {
  if (list.length === 0) return '—';
  const shown = list.slice(0, 3).map((id) => `\`${id}\``).join(', ');
  return list.length > 3 ? `${shown} and ${list.length - 3} more` : shown;
}

export function tableOf(rows: readonly Detection[]): string {
  const lines = [
    '| fault | mirrors | detected | scripted checks | property (shrunk steps, executions) | first detection |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const mirrors = row.fault === 'none' ? 'no fault: the baseline' : faultDescription(row.fault);
    const scripted = ids(row.scripted);
    const property = row.property.length === 0 ? '—' : row.property.map((p) => `\`${p.id}\` (${p.steps}, ${p.executions})`).join(', ');
    const detected = row.fault === 'none' ? (row.detected ? 'reported something' : 'nothing reported') : row.detected ? 'yes' : '**no**';
    lines.push(`| \`${row.fault}\` | ${mirrors.replaceAll('|', '\\|')} | ${detected} | ${scripted} | ${property} | ${seconds(row.firstDetectionMs)} |`);
  }
  return lines.join('\n');
}

function problemsOf(rows: readonly Detection[]): string[] {
  const problems: string[] = [];
  for (const row of rows) {
    if (row.errors.length > 0) problems.push(`${row.fault}: harness errors: ${row.errors.join('; ')}`);
    if (row.fault === 'none' && row.detected) problems.push(`the baseline reported ${[...row.scripted, ...row.property.map((p) => p.id)].join(', ')}`);
    if (row.fault !== 'none' && !row.detected) problems.push(`${row.fault} was not detected`);
    for (const p of row.property) if (p.steps > MAX_COUNTEREXAMPLE_STEPS) problems.push(`${row.fault}: ${p.id} shrank only to ${p.steps} steps`);
  }
  return problems;
}

async function writeOutputs(rows: readonly Detection[]): Promise<void> {
  await mkdir(resolve(ROOT, 'docs'), { recursive: true });
  await writeFile(JSON_OUT, `${JSON.stringify({ generated: new Date().toISOString(), maxCounterexampleSteps: MAX_COUNTEREXAMPLE_STEPS, rows }, null, 2)}\n`);
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`README.md has no ${START} … ${END} section`);
  const detected = rows.filter((r) => r.fault !== 'none' && r.detected).length;
  const total = rows.filter((r) => r.fault !== 'none').length;
  const section = `${START}\n${detected} of ${total} faults detected with the default profile (\`npm run faults\`, ${new Date().toISOString().slice(0, 10)}).\n\n${tableOf(rows)}\n`;
  await writeFile(README, `${readme.slice(0, start)}${section}${readme.slice(end)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { child: { type: 'string' }, only: { type: 'string', multiple: true }, jobs: { type: 'string', default: '2' } } });
  if (values.child !== undefined) {
    const fault = values.child;
    if (fault !== 'none' && !isFaultName(fault)) throw new Error(`unknown fault ${fault}`);
    process.stdout.write(JSON.stringify(await detectFault(fault)));
    return 0;
  }
  const only = values.only ?? [];
  for (const name of only) if (!isFaultName(name)) throw new Error(`unknown fault ${name} (see touchstone serve --list-faults)`);
  const queue: (FaultName | 'none')[] = only.length > 0 ? (only as FaultName[]) : ['none', ...(Object.keys(FAULT_CATALOG) as FaultName[])];
  const rows = new Map<string, Detection>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const fault = queue[next] as FaultName | 'none';
      next += 1;
      const row = await runChild(fault);
      rows.set(fault, row);
      process.stderr.write(`${fault}: ${row.detected ? `detected by ${[...row.scripted, ...row.property.map((p) => `${p.id} (${p.steps} steps)`)].join(', ')}` : 'not detected'}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(values.jobs)) }, worker));
  const ordered = queue.map((fault) => rows.get(fault) as Detection);
  if (only.length === 0) await writeOutputs(ordered);
  else process.stdout.write(`${tableOf(ordered)}\n`);
  const problems = problemsOf(ordered);
  for (const problem of problems) process.stderr.write(`PROBLEM ${problem}\n`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
