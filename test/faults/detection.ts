/**
 * Shared by the fault-catalog tests: which property must catch the faults a scripted check cannot
 * see (races, GC timing), and the assertion that one run detected its fault.
 */
import { readFile } from 'node:fs/promises';
import type { Test } from 'tap';
import { ALL_CHECKS } from '../../conformance/checks/index.ts';
import type { FaultName } from '../../reference/faults/catalog.ts';
import { detectFault, type Detection } from '../../scripts/fault-detection.ts';
import { MAX_COUNTEREXAMPLE_STEPS } from '../../scripts/faults.ts';

/**
 * Faults of concurrency and GC timing, and the property that must find each (issue: "Faults a
 * scripted check cannot see (races, GC timing) are caught by the property layer").
 */
export const PROPERTY_FAULTS: Partial<Record<FaultName, string>> = {
  'lost-tag-updates': 'property.concurrency',
  // Pages that overlap: the probe lists tags in small pages, so a few tags show it (not only more than the registry's page).
  'tags-last-inclusive': 'property.concurrency',
  'gc-no-grace': 'property.gc',
  'gc-purges-uploads': 'property.gc',
  'gc-shared-layers': 'property.gc',
  'gc-untagged-index-children': 'property.gc',
  'gc-drops-referrers': 'property.gc',
  'cancelled-upload-accepts-data': 'property.blobs',
};

/**
 * The scripted layer (the default profile with --no-properties), narrowed to the checks that
 * detected the fault when `npm run faults` last wrote docs/fault-detection.json: one of them must
 * still detect it. A fault without a recorded scripted detection (new, or seen only by a
 * property) runs every scripted check. `npm run faults` itself always runs everything.
 */
export async function scripted(fault: FaultName): Promise<Detection> {
  const recorded = (await recordedDetections()).get(fault)?.filter((id) => CHECK_IDS.has(id)) ?? [];
  return detectFault(fault, { args: ['--no-properties', ...recorded.flatMap((id) => ['--only', id])] });
}

const CHECK_IDS = new Set(ALL_CHECKS.map((check) => check.id));

let recordedCache: Promise<Map<string, readonly string[]>> | undefined;

/** Fault → the scripted checks that detected it, from docs/fault-detection.json (empty when absent). */
function recordedDetections(): Promise<Map<string, readonly string[]>> {
  recordedCache ??= readFile(new URL('../../docs/fault-detection.json', import.meta.url), 'utf8').then(
    (text) => new Map((JSON.parse(text) as { rows: Detection[] }).rows.map((row) => [row.fault, row.scripted])),
    () => new Map(),
  );
  return recordedCache;
}

/** One property of the default profile. */
export function property(fault: FaultName, id: string): Promise<Detection> {
  return detectFault(fault, { args: ['--only', id] });
}

export function assertNoHarnessErrors(t: Test, detection: Detection): void {
  t.same(detection.errors, [], `${detection.fault}: no harness errors (a fault must never break the suite)`);
}

export function assertPropertyCaught(t: Test, detection: Detection, id: string): void {
  assertNoHarnessErrors(t, detection);
  const found = detection.property.find((p) => p.id === id);
  if (!found) {
    t.fail(`${detection.fault}: ${id} finds no counterexample (found: ${detection.property.map((p) => p.id).join(', ') || 'none'})`);
    return;
  }
  t.ok(found.steps >= 1 && found.steps <= MAX_COUNTEREXAMPLE_STEPS, `${detection.fault}: shrunk to ${found.steps} steps (at most ${MAX_COUNTEREXAMPLE_STEPS}): ${found.commands.join('; ')}`);
}
