/**
 * The benchmark's parts, without a registry: generated blobs hash to their digests whatever the
 * ranges they are cut into; percentiles and spreads; sizes; the plan's volume cap and estimate;
 * the exact push share of the mixed workload; ratios, the regression tolerance and the verdict;
 * the progress display on a terminal and off it.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { BlobFactory } from '../../bench/content.ts';
import { percentile, percentiles, spread } from '../../bench/stats.ts';
import { formatSize, GiB, KiB, MiB, opsCap, parseSize, type Settings } from '../../bench/settings.ts';
import { plan, volumeEstimate, type Step } from '../../bench/runner.ts';
import { WORKLOADS, workload } from '../../bench/workloads/index.ts';
import { isPush } from '../../bench/workloads/pull.ts';
import { ratios, regressions, verdict } from '../../bench/report/compare.ts';
import { progress } from '../../bench/progress.ts';
import { num, ratioText } from '../../bench/report/text.ts';
import type { CellResult, Measurement, RegistryInfo } from '../../bench/result.ts';

const sha = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

t.test('generated blobs: the digest is the hash of the bytes, cut any way; distinct per index; the same per seed', async (t) => {
  const blobs = new BlobFactory(42);
  for (const size of [0, 1, 15, 16, 17, 1000, MiB, MiB + 5, 3 * MiB + 7]) {
    const blob = blobs.blob(3, size);
    const whole = Buffer.concat([...blobs.bytes(blob)]);
    t.equal(whole.length, size, `${size}: length`);
    t.equal(sha(whole), blob.digest, `${size}: digest`);
    const cut: Buffer[] = [];
    for (let at = 0; at < size; at += 333_333) cut.push(...blobs.bytes(blob, at, Math.min(size, at + 333_333)));
    t.ok(Buffer.concat(cut).equals(whole), `${size}: ranges give the same bytes`);
    const hash = createHash('sha256');
    for (const piece of blobs.bytes(blob, 0, size, hash)) t.ok(piece.length <= 256 * KiB);
    t.equal(`sha256:${hash.digest('hex')}`, blob.digest, `${size}: hashed while generated`);
  }
  t.not(blobs.blob(0, 100).digest, blobs.blob(1, 100).digest, 'each index its own blob');
  t.equal(new BlobFactory(42).blob(9, 5000).digest, blobs.blob(9, 5000).digest, 'the same seed, the same blob');
  t.not(new BlobFactory(43).blob(9, 5000).digest, blobs.blob(9, 5000).digest, 'another seed, another blob');
});

t.test('statistics: nearest-rank percentiles, medians, spreads', async (t) => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  t.same(percentiles(hundred), { p50: 50, p90: 90, p99: 99, max: 100 });
  t.equal(percentile([5], 99), 5);
  t.ok(Number.isNaN(percentile([], 50)));
  t.equal(percentiles([]), undefined);
  t.same(spread([3, 1, 2, NaN]), { median: 2, min: 1, max: 3 });
  t.same(spread([4, 1]), { median: 2.5, min: 1, max: 4 });
  t.equal(spread([NaN]), undefined);
});

t.test('sizes as people write them', async (t) => {
  t.equal(parseSize('16MiB'), 16 * MiB);
  t.equal(parseSize('512 KiB'), 512 * KiB);
  t.equal(parseSize('1.5k'), 1536);
  t.equal(parseSize('2MB'), 2_000_000);
  t.equal(parseSize('100'), 100);
  t.equal(parseSize('1GiB'), GiB);
  t.equal(parseSize('12 parsecs'), undefined);
  t.equal(parseSize('-1'), undefined);
  t.equal(formatSize(16 * MiB), '16 MiB');
  t.equal(formatSize(1536), '1.5 KiB');
  t.equal(formatSize(100), '100 B');
  t.equal(formatSize(3 * GiB), '3 GiB');
});

const settings: Settings = {
  workloads: WORKLOADS.map((w) => w.name), sizes: [MiB, 128 * MiB], concurrency: [1, 8], durationMs: 1000, count: 100,
  cellVolume: 512 * MiB, chunkSize: 4 * MiB, writePercent: 25, tags: 10, pageSize: 5, referrers: 3, repeat: 2, seed: 1, namespace: 'n', compare: false,
};

t.test('the plan: cells capped by count and volume; the volume estimate is an upper bound', async (t) => {
  t.equal(opsCap(settings, MiB), 100);
  t.equal(opsCap(settings, 128 * MiB), 4, '512 MiB of 128 MiB blobs');
  t.equal(opsCap(settings, GiB), 1, 'at least one');
  t.equal(opsCap(settings, undefined), 100);
  const cells = plan([workload('push-streamed')!, workload('mount')!], settings);
  t.same(cells.map((c) => `${c.workload.name} ${c.size ?? '-'} c${c.concurrency} ${c.skipped ?? 'runs'}`), [
    `push-streamed ${MiB} c1 runs`,
    `push-streamed ${MiB} c8 runs`,
    `push-streamed ${128 * MiB} c1 runs`,
    `push-streamed ${128 * MiB} c8 8 × 128 MiB in flight exceeds --cell-volume 512 MiB`,
    'mount - c1 runs',
    'mount - c8 runs',
  ]);
  // push-streamed: (100 + 100) × 1 MiB + 4 × 128 MiB, twice; mount: 32 source blobs of 1 MiB.
  t.equal(volumeEstimate([workload('push-streamed')!, workload('mount')!], settings), 2 * (200 * MiB + 512 * MiB) + 32 * MiB);
  t.equal(volumeEstimate([workload('pull')!], settings), 4 * MiB + 4 * 128 * MiB, 'pulls push only their pool');
});

t.test('the mixed workload pushes exactly its share', async (t) => {
  for (const percent of [0, 25, 33, 100]) {
    let pushes = 0;
    for (let i = 0; i < 1000; i += 1) if (isPush(i, percent)) pushes += 1;
    t.equal(pushes, Math.floor(10 * percent), `${percent} %`);
  }
  t.same([0, 1, 2, 3, 4, 5, 6, 7].map((i) => isPush(i, 25)), [false, false, false, true, false, false, false, true], 'every fourth');
});

function measurement(repetition: number, opsPerSec: number, p50: number): Measurement {
  return {
    repetition, ops: 10, requests: 10, bytes: 0, seconds: 1, opsPerSec, requestsPerSec: opsPerSec, mbPerSec: 0,
    latencyMs: { p50, p90: p50, p99: p50, max: p50 }, ttfbMs: undefined, errors: {}, clientCpuPercent: 1, registryMemory: undefined,
  };
}

function cell(registry: string, runs: Measurement[], status: CellResult['status'] = 'measured'): CellResult {
  const o = spread(runs.map((r) => r.opsPerSec));
  return {
    workload: 'pull', size: MiB, concurrency: 1, registry, status, runs,
    summary: { opsPerSec: o, requestsPerSec: o, mbPerSec: o, latencyMs: runs[0]?.latencyMs, ttfbMs: undefined, errors: 0, clientCpuPercent: 1, registryPeakMb: undefined, registrySampledMaxMb: undefined },
  };
}

const registries = (...labels: string[]): RegistryInfo[] => labels.map((label) => ({ label, url: `http://${label}`, checked: 0, deleted: 0, left: 0, leftBytes: 0 }));

t.test('ratios pair the repetitions that ran side by side', async (t) => {
  const a = cell('A', [measurement(1, 100, 10), measurement(2, 200, 10)]);
  const b = cell('B', [measurement(1, 50, 20), measurement(2, 300, 5)]);
  const [ratio] = ratios([a, b], ['A', 'B']);
  t.same(ratio?.throughput, { median: 1, min: 0.5, max: 1.5 });
  t.same(ratio?.p50, { median: 1.25, min: 0.5, max: 2 });
  t.same(ratios([a, cell('B', [], 'unsupported')], ['A', 'B']), [], 'nothing to compare with an unsupported cell');
  t.equal(ratioText(ratio?.throughput), '1.00× (0.50–1.50)');
  t.equal(ratioText({ median: 2, min: 2, max: 2 }), '2.00×');
  t.equal(ratioText(undefined), '—');
  t.equal(num(1234.5), '1235');
  t.equal(num(12.34), '12.3');
  t.equal(num(NaN), '—');
});

t.test('the regression tolerance', async (t) => {
  const baseline = { cells: [cell('A', [measurement(1, 100, 10)])], registries: registries('A') };
  const at = (ops: number, p50: number) => regressions({ cells: [cell('X', [measurement(1, ops, p50)])], registries: registries('X') }, baseline, 10);
  t.same(at(95, 10.5), { compared: 1, found: [] }, '5 % worse: within 10 %');
  const found = at(85, 12).found;
  t.same(found.map((r) => [r.figure, r.baseline, r.now, Math.round(r.worsePercent)]), [['op/s', 100, 85, 15], ['p50 ms', 10, 12, 20]], '15 % fewer op/s and 20 % more p50: both');
  t.same(at(1000, 1).found, [], 'better is never a regression');
  t.equal(regressions({ cells: [{ ...cell('A', []), concurrency: 8 }], registries: registries('A') }, baseline, 10).compared, 0, 'cells absent from the baseline are not compared');
});

t.test('the verdict: errors first, then regressions', async (t) => {
  const error = { registry: 'B', workload: 'pull', kind: 'digest mismatch', count: 2, example: 'x' };
  t.equal(verdict([error], [], false).status, 'errors');
  t.match(verdict([error], [], false).message, /^FAILED: 2 wrong answers \(B\)/);
  const regression = { workload: 'pull', size: 1, concurrency: 1, registry: 'A', figure: 'op/s' as const, baseline: 2, now: 1, worsePercent: 50 };
  t.equal(verdict([], [regression], false).status, 'regression');
  t.same(verdict([], undefined, true), { status: 'ok', message: 'OK: every answer checked, no error (interrupted: partial figures)' });
});

t.test('progress: a redrawn line on a terminal, plain lines elsewhere', async (t) => {
  const capture = (tty: boolean) => {
    const chunks: string[] = [];
    const stream = Object.assign(new Writable({ write: (c, _e, done) => { chunks.push(String(c)); done(); } }), { isTTY: tty });
    return { hooks: progress(stream), text: () => chunks.join('') };
  };
  const step: Step = { number: 2, total: 9, workload: workload('pull')!, size: MiB, concurrency: 8, repetition: 1, registry: 'A' };
  const terminal = capture(true);
  terminal.hooks.onTick?.(step, { elapsedMs: 500, ops: 10, bytes: 10 * MiB, errors: 0 });
  terminal.hooks.onTick?.(step, { elapsedMs: 1000, ops: 20, bytes: 20 * MiB, errors: 1 });
  terminal.hooks.onCellEnd?.(step, measurement(1, 20, 3), undefined);
  t.equal(terminal.text(), [
    '\r\x1b[2K[2/9] A pull 1 MiB c8 rep 1  0.5 s  10 ops  20.0 op/s, 21.0 MB/s  0 errors',
    '\r\x1b[2K[2/9] A pull 1 MiB c8 rep 1  1.0 s  20 ops  20.0 op/s, 21.0 MB/s  1 errors',
    '\r\x1b[2K[2/9] A pull 1 MiB c8 rep 1  20.0 op/s  0.00 MB/s  p50 3.00 ms  0 errors\n',
  ].join(''));
  const plain = capture(false);
  plain.hooks.onTick?.(step, { elapsedMs: 500, ops: 10, bytes: 0, errors: 0 });
  plain.hooks.onTick?.(step, { elapsedMs: 10_500, ops: 10, bytes: 0, errors: 0 });
  plain.hooks.onPhase?.('A: preparing pull 1 MiB');
  plain.hooks.onCellEnd?.(step, undefined, 'unsupported: no');
  t.equal(plain.text(), [
    '[2/9] A pull 1 MiB c8 rep 1  10.5 s  10 ops  0.95 op/s, 0.00 MB/s  0 errors\n',
    'A: preparing pull 1 MiB\n',
    '[2/9] A pull 1 MiB c8 rep 1  unsupported: no\n',
  ].join(''), 'one line per 10 s, per phase, per cell');
});
