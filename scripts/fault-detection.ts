/**
 * Runs the conformance suite against the reference registry with one fault of the catalog
 * (reference/faults/catalog.ts) switched on and says whether, and how, the suite detected it: which
 * check ids failed or warned, in which layer (scripted or property), how long the run took to the
 * first detection, and for property detections how many executions it took and how short the
 * shrunk counterexample is. The default profile of `touchstone check` is used unchanged, GC
 * trigger included (the embedded registry's). Shared by `npm run faults` and the catalog test.
 */
import { startEmbeddedReference } from '../cli/embedded.ts';
import { parseCheckArgs } from '../conformance/cli.ts';
import { runSuite } from '../conformance/run.ts';
import type { RunConfig } from '../conformance/config.ts';
import type { Result } from '../conformance/report/types.ts';
import type { FaultName } from '../reference/faults/catalog.ts';

export interface PropertyDetection {
  readonly id: string;
  readonly steps: number;
  readonly executions: number;
  readonly foundAfterMs: number;
  readonly commands: readonly string[];
  readonly replay: string;
}

export interface Detection {
  readonly fault: FaultName | 'none';
  readonly detected: boolean;
  /** Scripted checks that failed or warned. */
  readonly scripted: readonly string[];
  /** Properties that found a counterexample. */
  readonly property: readonly PropertyDetection[];
  /** Harness errors: never a detection; a fault must not crash the suite. */
  readonly errors: readonly string[];
  /** From the start of the run to the end of the first detecting result. */
  readonly firstDetectionMs: number | undefined;
  readonly durationMs: number;
}

export interface DetectOptions {
  /** Extra `touchstone check` arguments (the default profile when empty). */
  readonly args?: readonly string[];
  /** Stop the property layer at its first counterexample (the catalog test; the table runs it all). */
  readonly failFast?: boolean;
}

const detecting = (r: Result): boolean => r.status === 'fail' || r.status === 'warn';

export async function detectFault(fault: FaultName | 'none', options: DetectOptions = {}): Promise<Detection> {
  const parsed = parseCheckArgs([...(options.args ?? []), ...(options.failFast ? ['--fail-fast'] : [])], {});
  if (parsed === 'help') throw new Error('unexpected --help');
  const target = await startEmbeddedReference(fault === 'none' ? [] : [fault]);
  const started = Date.now();
  let firstDetectionMs: number | undefined;
  try {
    const config: RunConfig = { ...parsed.config, url: target.url, gc: target.gc };
    const report = await runSuite(config, {
      onResult: (result) => {
        if (firstDetectionMs !== undefined || !detecting(result)) return;
        // A property's detection happened when its first failing execution ended, before shrinking.
        firstDetectionMs = Date.now() - started - (result.counterexample ? result.ms - result.counterexample.foundAfterMs : 0);
      },
    });
    const found = report.results.filter(detecting);
    return {
      fault,
      detected: found.length > 0,
      scripted: found.filter((r) => r.layer === 'scripted').map((r) => r.id),
      property: found.filter((r) => r.counterexample).map((r) => {
        const example = r.counterexample as NonNullable<Result['counterexample']>;
        return { id: r.id, steps: example.commands.length, executions: example.executions, foundAfterMs: example.foundAfterMs, commands: example.commands, replay: example.replay };
      }),
      errors: report.results.filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.message}`),
      firstDetectionMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await target.close();
  }
}
