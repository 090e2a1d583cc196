/**
 * The suite against its own oracle. A self-run of `touchstone check` with no URL (what `npm start`
 * does) checks the embedded reference registry: every MUST and SHOULD check passes and the
 * property layer finds nothing. A property failure is reproducible: the seed and path it prints
 * replay exactly the same minimal command sequence, recorded ones included (fixtures/replays.json:
 * when a change to the generators changes what a seed means, re-record it),
 * and its curl reproduction is written with --repro.
 */
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../cli/touchstone.ts';
import { main as checkMain } from '../../conformance/cli.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/tools.ts';
import type { FaultName } from '../../reference/faults/catalog.ts';
import type { Report, Result } from '../../conformance/report/types.ts';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function report(file: string): Promise<Report> {
  return JSON.parse(await readFile(file, 'utf8')) as Report;
}

/** Runs `touchstone check` against a reference registry with `faults`; returns the JSON report. */
async function checkFaulty(t: Test, faults: FaultName[], args: string[]): Promise<{ code: number; report: Report; dir: string }> {
  const registry = await startTestRegistry(t, { faults, gcDeleteUntagged: true });
  const dir = await tempDir(t);
  const json = join(dir, 'report.json');
  const code = await checkMain(['--url', registry.url, '--json', json, '--quiet', '--gc-touchstone', '--expect-gc-reclaims', '--gc-reclaims-untagged', ...args], { stdout: new Sink(), stderr: new Sink() });
  return { code, report: await report(json), dir };
}

t.test('the property layer reads a tag list whole, following its Links, from a registry that pages it without n', async (t) => {
  const registry = await startTestRegistry(t, { tagsPageSize: 2, gcDeleteUntagged: true });
  const dir = await tempDir(t);
  const json = join(dir, 'paged.json');
  const code = await checkMain(['--url', registry.url, '--json', json, '--quiet', '--only', 'property.tags', '--only', 'property.concurrency', '--runs', '8', '--seed', '7'], { stdout: new Sink(), stderr: new Sink() });
  const results = (await report(json)).results;
  t.same(results.map((r) => [r.id, r.status, r.status === 'pass' ? '' : r.message]), [['property.tags', 'pass', ''], ['property.concurrency', 'pass', '']]);
  t.equal(code, 0);
});

t.test('self-run: the embedded reference registry passes every MUST and SHOULD check and every property', async (t) => {
  const dir = await tempDir(t);
  const json = join(dir, 'self.json');
  const saved = process.stdout.write;
  const out = new Sink();
  process.stdout.write = out.write.bind(out) as typeof process.stdout.write;
  let code: number | undefined;
  try {
    code = await main(['check', '--json', json, '--runs', '12', '--time-budget', '40', '--no-color']);
  } finally {
    process.stdout.write = saved;
  }
  t.equal(code, 0, 'exit 0');
  const self = await report(json);
  const bad = self.results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
  t.same(bad.map((r) => `${r.id}: ${r.message}`), [], 'nothing fails, warns or errs');
  const properties = self.results.filter((r) => r.layer === 'property');
  t.same(properties.map((r) => [r.id, r.status]), [
    ['property.blobs', 'pass'], ['property.manifests', 'pass'], ['property.tags', 'pass'],
    ['property.referrers', 'pass'], ['property.concurrency', 'pass'], ['property.gc', 'pass'],
  ], 'every property ran (the GC one too: the embedded registry brings its trigger)');
  const skipped = self.results.filter((r) => r.status === 'skip');
  t.ok(skipped.every((r) => /after v1\.1\.1|the registry deletes tags|race checks run with --race-checks/.test(r.message)), `skips are only newer requirements and the race checks left out: ${skipped.map((r) => r.id).join(', ')}`);
  t.ok(self.results.length >= 100, `${self.results.length} results`);
  t.match(out.text, /^property +6 checks: 6 pass$/m, 'the summary groups by area');
});

function counterexampleOf(result: Result | undefined): NonNullable<Result['counterexample']> {
  if (!result?.counterexample) throw new Error(`no counterexample: ${JSON.stringify(result)}`);
  return result.counterexample;
}

t.test('a property counterexample replays exactly with its --seed and --path, and --repro writes its curl script', async (t) => {
  const first = await checkFaulty(t, ['lost-tag-updates'], ['--only', 'property.concurrency', '--runs', '40', '--time-budget', '60']);
  t.equal(first.code, 1, 'a MUST failure');
  const found = first.report.results.find((r) => r.id === 'property.concurrency');
  t.equal(found?.status, 'fail', found?.message ?? 'no result');
  const counterexample = counterexampleOf(found);
  t.ok(counterexample.commands.length >= 1 && counterexample.commands.length <= 6, `shrunk to ${counterexample.commands.length} steps: ${counterexample.commands.join('; ')}`);
  t.match(counterexample.replay, new RegExp(`--only property\\.concurrency --seed ${counterexample.seed} --path '${counterexample.path.replace(/[+]/g, '\\+')}'$`));
  t.match(counterexample.curl, /^#!\/usr\/bin\/env bash/);

  const repro = join(first.dir, 'repro.sh');
  const again = await checkFaulty(t, ['lost-tag-updates'], ['--only', 'property.concurrency', '--seed', String(counterexample.seed), '--path', counterexample.path, '--repro', repro]);
  t.equal(again.code, 1);
  const replayed = counterexampleOf(again.report.results.find((r) => r.id === 'property.concurrency'));
  t.same(replayed.commands, counterexample.commands, 'the same minimal sequence');
  t.equal(await readFile(repro, 'utf8'), replayed.curl, '--repro wrote the curl reproduction');
});

interface RecordedReplay {
  readonly fault: FaultName;
  readonly property: string;
  readonly seed: number;
  readonly path: string;
  readonly commands: readonly string[];
}

t.test('recorded seeds and paths still replay to the same minimal sequence', async (t) => {
  const recorded = JSON.parse(await readFile(resolve(import.meta.dirname, '../../fixtures/replays.json'), 'utf8')) as RecordedReplay[];
  t.ok(recorded.length >= 2, 'recordings exist');
  for (const replay of recorded) {
    const run = await checkFaulty(t, [replay.fault], ['--only', replay.property, '--seed', String(replay.seed), '--path', replay.path]);
    const result = run.report.results.find((r) => r.id === replay.property);
    t.equal(result?.status, 'fail', `${replay.fault}: ${result?.message}`);
    t.same(result?.counterexample?.commands, replay.commands, `${replay.fault}: the recorded minimal sequence`);
  }
});
