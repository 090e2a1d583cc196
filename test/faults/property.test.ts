/**
 * The fault catalog against the property layer: each race and GC-timing fault (PROPERTY_FAULTS)
 * is found by its property with the default profile's settings, and the counterexample shrinks
 * to at most 6 steps. With no fault, those properties find nothing (the self-run in
 * test/cli/touchstone.test.ts runs them all).
 */
import t from 'tap';
import type { FaultName } from '../../reference/faults/catalog.ts';
import { assertPropertyCaught, property, PROPERTY_FAULTS } from './detection.ts';

for (const [fault, id] of Object.entries(PROPERTY_FAULTS) as [FaultName, string][]) {
  t.test(`${fault} → ${id}`, async (t) => {
    assertPropertyCaught(t, await property(fault, id), id);
  });
}
