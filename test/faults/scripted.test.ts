/**
 * The fault catalog against the scripted layer (issue "a fault catalog and its detection score"):
 * the reference registry with each fault switched on (reference/faults/catalog.ts), the default profile's
 * scripted checks that last detected it (docs/fault-detection.json; all of them for a fault not recorded there). Every fault is detected — a failing or warning check — except the races and
 * GC timings of PROPERTY_FAULTS, which property.test.ts holds the property layer to. `npm run
 * faults` runs the whole default profile and writes the table in README. Runs are mostly waits on
 * the disk, so three go at a time.
 */
import t from 'tap';
import { FAULT_CATALOG, type FaultName } from '../../reference/faults/catalog.ts';
import type { Detection } from '../../scripts/fault-detection.ts';
import { assertNoHarnessErrors, PROPERTY_FAULTS, scripted } from './detection.ts';

const faults = Object.keys(FAULT_CATALOG) as FaultName[];
const detections = new Map<FaultName, Detection>();
let next = 0;
await Promise.all(Array.from({ length: 3 }, async () => {
  while (next < faults.length) {
    const fault = faults[next] as FaultName;
    next += 1;
    detections.set(fault, await scripted(fault));
  }
}));

for (const fault of faults) {
  t.test(fault, async (t) => {
    const detection = detections.get(fault) as Detection;
    assertNoHarnessErrors(t, detection);
    if (PROPERTY_FAULTS[fault] !== undefined && detection.scripted.length === 0) {
      t.pass(`${fault}: no scripted check sees it; ${PROPERTY_FAULTS[fault]} must (property.test.ts)`);
      return;
    }
    t.ok(detection.scripted.length > 0, `${fault} is detected by a scripted check: ${detection.scripted.join(', ') || 'none'}`);
  });
}
