/**
 * Runs `touchstone bench` in-process for tests, with small sizes and counts, and returns its exit
 * code, what it printed, and its JSON result.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { dir } from 'tmp-promise';
import type { Test } from 'tap';
import { main } from '../../bench/cli.ts';
import type { BenchResult } from '../../bench/result.ts';

export interface BenchRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: BenchResult | undefined;
  readonly dir: string;
}

/** Quick settings: two tiny sizes, concurrency 1 and 2, a few operations per cell. */
export const SMALL = ['--sizes', '3KiB,70KiB', '--concurrency', '1,2', '--count', '4', '--duration', '5', '--tags', '25', '--page-size', '7', '--referrers', '5', '--chunk-size', '32KiB', '--seed', '7'];

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => { chunks.push(String(chunk)); done(); } });
  return { stream, text: () => chunks.join('') };
}

export async function runBench(t: Test, args: readonly string[], options: { tty?: boolean; signal?: AbortSignal } = {}): Promise<BenchRun> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-bench-' });
  t.teardown(() => tmp.cleanup());
  const json = join(tmp.path, 'result.json');
  const out = sink();
  const err = sink();
  if (options.tty) err.stream.isTTY = true;
  const code = await main([...args, '--json', json], { stdout: out.stream, stderr: err.stream, env: {}, ...(options.signal ? { signal: options.signal } : {}) });
  const result = await readFile(json, 'utf8').then((text) => JSON.parse(text) as BenchResult, () => undefined);
  return { code, stdout: out.text(), stderr: err.text(), result, dir: tmp.path };
}
