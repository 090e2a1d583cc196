/**
 * Shared by the fault-catalog tests: which property must catch the faults a scripted check cannot
 * see (races, GC timing), and the assertion that one run detected its fault.
 */
import type { Test } from 'tap';
import type { FaultName } from '../../reference/faults/catalog.ts';
import { detectFault, type Detection } from '../../scripts/fault-detection.ts';
import { MAX_COUNTEREXAMPLE_STEPS } from '../../scripts/faults.ts';

/**
 * Faults of concurrency and GC timing, and the property that must find each (issue: "Faults a
 * scripted check cannot see (races, GC timing) are caught by the property layer").
 */
export const PROPERTY_FAULTS: Partial<Record<FaultName, string>> = {
  'lost-tag-updates': 'property.concurrency',
  'gc-no-grace': 'property.gc',
  'gc-purges-uploads': 'property.gc',
  'gc-shared-layers': 'property.gc',
  'gc-untagged-index-children': 'property.gc',
  'gc-drops-referrers': 'property.gc',
  'cancelled-upload-accepts-data': 'property.blobs',
};

/** The scripted layer alone (the default profile with --no-properties). */
export function scripted(fault: FaultName): Promise<Detection> {
  return detectFault(fault, { args: ['--no-properties'] });
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
