/**
 * gc.safety.age-from-arrival (conformance/checks/gc-timing.ts) against the reference registry with
 * a one-hour grace period, collected through its admin endpoint: it passes; it fails against a
 * collector that dates blobs by their bytes (every blob file's time set back by the check's wait
 * before the collection, as the reference's store does when it neither touches a blob at its
 * upload's close nor at a mount: the mutants of reference/store/blobs.ts that revealed it); it
 * skips, saying why, when the trigger cannot collect as if time had passed or the grace period is
 * too short to tell.
 */
import { readdir, stat, utimes } from 'node:fs/promises';
import { join, sep } from 'node:path';
import t, { type Test } from 'tap';
import gcTiming from '../../../conformance/checks/gc-timing.ts';
import { ALL_CAPABILITIES, type GcConfig, type GcTrigger } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';

const ID = 'gc.safety.age-from-arrival';
const GRACE_MS = 3_600_000;


/** Sets every blob file's modification time back by `ms`: the blobs dated by their bytes. */
async function dateByBytes(root: string, ms: number): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.parentPath.split(sep).includes('blobs')) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path);
    await utimes(path, info.atime, new Date(info.mtimeMs - ms));
  }
}

async function run(t: Test, trigger: (registry: { url: string; root: string }) => GcTrigger, gc: Partial<GcConfig> = {}): Promise<Result | undefined> {
  const registry = await startTestRegistry(t, { gcGraceMs: GRACE_MS });
  const config: GcConfig = { trigger: trigger(registry), graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: false, ...gc };
  const results = await runChecks(t, registry.url, gcTiming, [ID], { gc: config, capabilities: ALL_CAPABILITIES });
  t.comment(describeResult(results, ID));
  return results.get(ID);
}

t.test('the reference keeps blobs young from their arrival: the upload closed, a mount into a holder and into a fresh repository', async (t) => {
  const result = await run(t, (r) => adminTrigger(r.url));
  t.equal(result?.status, 'pass', result?.message ?? '');
  t.match(result?.message, /^3 blobs kept by a collection as if 3599 s had passed since their arrival/);
});

t.test('a collector that dates blobs by their bytes fails it', async (t) => {
  const result = await run(t, (r) => adminTrigger(r.url, true, () => dateByBytes(r.root, 2_000)));
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /a collection as if 3599 s had passed \(the grace period is 3600 s\) removed blob sha256:[0-9a-f]{64} of .*gc-arrival.*, its upload closed just before the collection; its bytes were written 2000 ms earlier: dated from its arrival it was young/);
});

t.test('it skips without a trigger that can advance the clock, or with a grace period too short to tell', async (t) => {
  let result = await run(t, (r) => adminTrigger(r.url, false));
  t.equal(result?.status, 'skip');
  t.match(result?.message, /cannot collect as if a given time had passed/);
  result = await run(t, (r) => adminTrigger(r.url), { graceMs: 1_000 });
  t.equal(result?.status, 'skip');
  t.match(result?.message, /is not longer than the 2000 ms the check ages the blobs by/);
  result = await run(t, () => undefined as unknown as GcTrigger, { trigger: undefined });
  t.equal(result?.status, 'skip');
  t.match(result?.message, /no way to make the registry collect garbage/);
});
