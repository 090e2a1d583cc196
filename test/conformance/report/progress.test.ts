/**
 * Live progress of the property layer (conformance/report/progress.ts, wired in
 * conformance/cli.ts): while a property runs, `touchstone check` shows its executions, elapsed
 * time and budget, and says when a counterexample is being shrunk. On a terminal it is one line
 * redrawn in place (CR + erase in line) and cleared before the next result line; in a pipe or CI
 * log it is plain lines, at most one every few seconds per property, never an escape code.
 * --quiet and --tap print none.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { main, parseCheckArgs } from '../../../conformance/cli.ts';
import { runSuite } from '../../../conformance/run.ts';
import type { RunConfig } from '../../../conformance/config.ts';
import { describeProgress, PLAIN_EVERY_MS, ProgressDisplay } from '../../../conformance/report/progress.ts';
import type { PropertyProgress } from '../../../conformance/model/property.ts';
import { startTestRegistry } from '../../helpers/registry.ts';

const CLEAR = '\r\u001b[2K';

/** A stdout that keeps each write apart, so the order of progress and result lines shows. */
class Chunks extends Writable {
  readonly chunks: string[] = [];
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  constructor(isTTY: boolean, columns?: number) {
    super();
    this.isTTY = isTTY;
    this.columns = columns;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

async function check(argv: string[], stdout: Chunks): Promise<number> {
  const stderr = new Chunks(false);
  return main(argv, { env: {}, stdout, stderr });
}

/** Index of the first chunk containing `text`, -1 if none. */
const chunkWith = (out: Chunks, text: string | RegExp): number => out.chunks.findIndex((c) => (typeof text === 'string' ? c.includes(text) : text.test(c)));

t.test('in a pipe: plain progress lines per property, written before its result line', async (t) => {
  const registry = await startTestRegistry(t);
  const out = new Chunks(false);
  const code = await check(['--url', registry.url, '--only', 'property.blobs', '--only', 'property.tags', '--time-budget', '4', '--runs', '1000'], out);
  t.equal(code, 0, out.text);
  t.notMatch(out.text, /\u001b|\r/, 'no escape codes and no carriage returns');
  for (const id of ['property.blobs', 'property.tags']) {
    const start = chunkWith(out, `${id}: running, 0/1000 executions, 0.0 s of 2.0 s\n`);
    const result = chunkWith(out, new RegExp(`PASS {2}${id.replace('.', '\\.')} `));
    t.ok(start >= 0, `${id}: a line at its start`);
    t.ok(result > start, `${id}: the progress line comes before its result line`);
    const lines = out.chunks.slice(start, result).filter((c) => c.startsWith(`${id}: running`));
    // The property took as long as its result line says (one execution may outlast the budget on a busy machine).
    const seconds = Number(/\(([\d.]+) s\)/.exec(out.chunks[result] ?? '')?.[1] ?? NaN);
    const most = 1 + Math.ceil((seconds * 1000) / PLAIN_EVERY_MS);
    t.ok(lines.length >= 1 && lines.length <= most, `${id}: at most one line per ${PLAIN_EVERY_MS / 1000} s after the first (${lines.length} in ${seconds} s)`);
    for (const line of lines) t.match(line, new RegExp(`^${id.replace('.', '\\.')}: running, \\d+/1000 executions, \\d+\\.\\d s of 2\\.0 s\\n$`), 'one whole line');
  }
  t.ok(chunkWith(out, 'property.tags: running') > chunkWith(out, /PASS {2}property\.blobs /), 'the second property starts after the first ended');
});

t.test('on a terminal: one line redrawn in place, cleared before each result line', async (t) => {
  const registry = await startTestRegistry(t);
  const out = new Chunks(true, 60);
  const code = await check(['--url', registry.url, '--only', 'property.blobs', '--time-budget', '3', '--runs', '1000', '--no-color'], out);
  t.equal(code, 0, out.text);
  const draws = out.chunks.filter((c) => c.startsWith(`${CLEAR}property.blobs: running`));
  t.ok(draws.length >= 2, `redrawn as the property runs (${draws.length} draws)`);
  t.ok(draws.every((c) => !c.includes('\n')), 'a redraw never starts a new line');
  t.ok(draws.every((c) => c.length - CLEAR.length < 60), 'never wider than the terminal');
  const result = chunkWith(out, /PASS {2}property\.blobs /);
  t.ok(result > 0, 'the result line');
  t.equal(out.chunks[result - 1], CLEAR, 'the progress line is cleared just before the result line');
  t.notOk(out.chunks.slice(result).some((c) => c.includes('running,')), 'no progress after the property ended');
});

t.test('a counterexample being shrunk says so, with its shrink steps', async (t) => {
  const registry = await startTestRegistry(t, { faults: ['cancelled-upload-accepts-data'] });
  const out = new Chunks(false);
  const code = await check(['--url', registry.url, '--only', 'property.blobs', '--seed', '7'], out);
  t.equal(code, 1, out.text);
  const shrinking = chunkWith(out, /^property\.blobs: shrinking a counterexample, \d+ shrink steps?, \d+ executions?, \d+\.\d s of \d+\.\d s\n$/);
  t.ok(shrinking > chunkWith(out, 'property.blobs: running'), 'the shrink phase is announced after the running phase');
  t.ok(shrinking < chunkWith(out, /FAIL {2}property\.blobs /), 'before the result line');
});

t.test('the runner\'s callbacks: a start, every execution, then shrinking with its steps, all before the result', async (t) => {
  const registry = await startTestRegistry(t, { faults: ['cancelled-upload-accepts-data'] });
  const parsed = parseCheckArgs(['--url', registry.url, '--only', 'property.blobs', '--seed', '3', '--time-budget', '6'], {});
  if (parsed === 'help') throw new Error('unexpected help');
  const config: RunConfig = { ...parsed.config, gc: { ...parsed.config.gc, trigger: undefined } };
  const seen: Array<PropertyProgress | string> = [];
  const report = await runSuite(config, { onProgress: (p) => seen.push(p), onResult: (r) => seen.push(r.id) });
  t.equal(report.results[0]?.status, 'fail');
  t.equal(seen.at(-1), 'property.blobs', 'the result comes last');
  const events = seen.slice(0, -1) as PropertyProgress[];
  t.match(events[0], { property: 'property.blobs', executions: 0, runs: 30, budgetMs: 6000, phase: 'running', shrinkSteps: 0 }, 'a start event');
  t.ok(events.every((e) => e.property === 'property.blobs' && e.runs === 30), 'one property');
  const firstShrinking = events.findIndex((e) => e.phase === 'shrinking');
  t.ok(firstShrinking > 0, 'a running phase, then shrinking');
  t.ok(events.slice(firstShrinking).every((e) => e.phase === 'shrinking' && e.budgetMs === 6000 + 60_000), 'never back to running; the shrink allowance added to the budget');
  for (let i = 1; i < events.length; i += 1) {
    const [a, b] = [events[i - 1] as PropertyProgress, events[i] as PropertyProgress];
    if (b.executions < a.executions || b.shrinkSteps < a.shrinkSteps || b.elapsedMs < a.elapsedMs) t.fail(`event ${i} goes back: ${JSON.stringify([a, b])}`);
  }
  const last = events.at(-1) as PropertyProgress;
  t.ok(last.shrinkSteps > 0, `smaller counterexamples counted (${last.shrinkSteps})`);
  t.ok(events.filter((e) => e.phase === 'shrinking').length > last.shrinkSteps, 'an event per shrink step at least');
});

t.test('--quiet and --tap print no progress', async (t) => {
  const registry = await startTestRegistry(t);
  for (const flag of ['--quiet', '--tap']) {
    for (const tty of [false, true]) {
      const out = new Chunks(tty);
      t.equal(await check(['--url', registry.url, '--only', 'property.tags', '--time-budget', '1.5', flag, '--no-color'], out), 0);
      t.notMatch(out.text, /running,|executions,|\r|\u001b\[2K/, `${flag}${tty ? ' on a terminal' : ''}: no progress`);
    }
  }
});

const at = (fields: Partial<PropertyProgress> = {}): PropertyProgress => ({
  property: 'property.gc',
  executions: 0,
  runs: 30,
  elapsedMs: 0,
  budgetMs: 7500,
  phase: 'running',
  shrinkSteps: 0,
  ...fields,
});

t.test('the progress text: executions of runs and elapsed of budget; shrink steps while shrinking', async (t) => {
  t.equal(describeProgress(at({ executions: 12, elapsedMs: 4130 })), 'property.gc: running, 12/30 executions, 4.1 s of 7.5 s');
  t.equal(describeProgress(at({ phase: 'shrinking', executions: 45, shrinkSteps: 1, elapsedMs: 12_000, budgetMs: 67_500 })), 'property.gc: shrinking a counterexample, 1 shrink step, 45 executions, 12.0 s of 67.5 s');
  t.equal(describeProgress(at({ phase: 'shrinking', shrinkSteps: 7, elapsedMs: 83_000, budgetMs: 105_000 })), 'property.gc: shrinking a counterexample, 7 shrink steps, 0 executions, 83.0 s of 105.0 s');
});

t.test('plain lines: one at the start, then at most one every 5 s per property, and one when shrinking starts', async (t) => {
  const out = new Chunks(false);
  let now = 1000;
  const display = new ProgressDisplay(out, () => now);
  display.update(at());
  now += 1000;
  display.update(at({ executions: 3, elapsedMs: 1000 }));
  now += PLAIN_EVERY_MS - 1000;
  display.update(at({ executions: 9, elapsedMs: PLAIN_EVERY_MS }));
  now += 100;
  display.update(at({ phase: 'shrinking', executions: 10, elapsedMs: PLAIN_EVERY_MS + 100, budgetMs: 67_500 }));
  now += 100;
  display.update(at({ property: 'property.tags', executions: 0 }));
  display.clear();
  t.same(out.chunks, [
    'property.gc: running, 0/30 executions, 0.0 s of 7.5 s\n',
    'property.gc: running, 9/30 executions, 5.0 s of 7.5 s\n',
    'property.gc: shrinking a counterexample, 0 shrink steps, 10 executions, 5.1 s of 67.5 s\n',
    'property.tags: running, 0/30 executions, 0.0 s of 7.5 s\n',
  ]);
});

t.test('on a terminal: redraws in one write, at most ten a second, cut to the width, cleared once', async (t) => {
  const out = new Chunks(true, 40);
  let now = 0;
  const display = new ProgressDisplay(out, () => now);
  display.clear();
  t.same(out.chunks, [], 'nothing drawn: nothing to clear');
  display.update(at({ executions: 1, elapsedMs: 10 }));
  now += 50;
  display.update(at({ executions: 2, elapsedMs: 60 }));
  now += 60;
  display.update(at({ executions: 3, elapsedMs: 120 }));
  now += 500;
  display.update(at({ phase: 'shrinking', executions: 4, elapsedMs: 620 }));
  display.clear();
  display.clear();
  t.same(out.chunks, [
    `${CLEAR}property.gc: running, 1/30 executions, `,
    `${CLEAR}property.gc: running, 3/30 executions, `,
    `${CLEAR}property.gc: shrinking a counterexample`,
    CLEAR,
  ]);
  const wide = new Chunks(true);
  new ProgressDisplay(wide, () => 0).update(at());
  t.same(wide.chunks, [`${CLEAR}property.gc: running, 0/30 executions, 0.0 s of 7.5 s`], 'no width known: 80 columns');
});
