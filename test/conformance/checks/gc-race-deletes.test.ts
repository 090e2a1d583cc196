/**
 * gc.race.push-during-deletes (conformance/checks/gc-race-deletes.ts) against the reference
 * registry with a one-hour grace period, collected through its admin endpoint: it passes, also
 * with every delete of its store slowed (mutants/slow-deletes.ts, as npm run mutants' slow-delete
 * pass runs it); with slow deletes it fails against the reference with its pins broken as the
 * mutant of Pins.hold that revealed it breaks them (a push that pins a blob the collection is
 * deleting is not told it is going: answered 201, its layer then deleted); it skips, saying why,
 * without --race-checks and when the trigger cannot age what the check pushed.
 */
import t, { type Test } from 'tap';
import gcRaceDeletes from '../../../conformance/checks/gc-race-deletes.ts';
import { ALL_CAPABILITIES, type GcConfig } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { Pins } from '../../../reference/store/pins.ts';
import { slowDeletes } from '../../../mutants/slow-deletes.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';

const ID = 'gc.race.push-during-deletes';
const GRACE_MS = 3_600_000;

async function run(t: Test, setup: { slow?: boolean; gc?: Partial<GcConfig>; canAdvance?: boolean } = {}): Promise<Result | undefined> {
  // Untagged manifests reclaimed, as in the embedded registry: the pushes must be roots of their own.
  const registry = await startTestRegistry(t, { gcGraceMs: GRACE_MS, gcDeleteUntagged: true });
  if (setup.slow) slowDeletes(registry.root);
  const config: GcConfig = { trigger: adminTrigger(registry.url, setup.canAdvance ?? true), graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true, races: true, ...setup.gc };
  const results = await runChecks(t, registry.url, gcRaceDeletes, [ID], { gc: config, capabilities: ALL_CAPABILITIES });
  t.comment(describeResult(results, ID));
  return results.get(ID);
}

const PASSED = /^5 collections as if 3660 s had passed, each deleting 24 old blobs while one push per blob, each referencing it, went out within the \d+ ms a collection took: \d+ accepted and whole, \d+ refused with their layer gone$/;

t.test('the reference passes, on a fast disk and with slow deletes', async (t) => {
  for (const slow of [false, true]) {
    const result = await run(t, { slow });
    t.equal(result?.status, 'pass', result?.message ?? '');
    t.match(result?.message, PASSED);
  }
});

t.test('with slow deletes, a push not told that its layer is being deleted (the Pins.hold mutant) fails it', async (t) => {
  // As the mutant does: a hold never reports what the collection has claimed.
  const { hold } = Pins.prototype;
  Pins.prototype.hold = function (this: Pins, name: string, digests: Iterable<string>) {
    return { ...hold.call(this, name, digests), claimed: [] };
  };
  t.teardown(() => {
    Pins.prototype.hold = hold;
  });
  const result = await run(t, { slow: true });
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^round \d of 5: \S+:deletes-\d-\d+, whose layer is sha256:[0-9a-f]{64}, was answered 201 while a collection ran, and the collection then deleted that layer: the tagged image cannot be pulled/);
});

t.test('it skips without --race-checks, or when the trigger cannot age what it pushed', async (t) => {
  for (const [gc, canAdvance, reason] of [
    [{ races: false }, true, /race checks run with --race-checks/],
    [{}, false, /grace period is 3600 s and its GC trigger cannot pretend time passed/],
  ] as const) {
    const result = await run(t, { gc, canAdvance });
    t.equal(result?.status, 'skip', result?.message ?? '');
    t.match(result?.message, reason);
  }
});
