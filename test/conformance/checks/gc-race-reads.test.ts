/**
 * gc.race.pull-during-collection (conformance/checks/gc-race-reads.ts) against the reference
 * registry with a one-hour grace period and untagged manifests reclaimed, collected through its
 * admin endpoint: it passes; it fails against the reference with its store broken by hand as the
 * mutants of ManifestStore's #readBody that revealed it break it (a manifest whose bytes vanished
 * between the lookup and the read answered 500 instead of 404), against a proxy that answers 500
 * for a manifest that is gone while a collection runs, and against a registry that keeps untagged
 * manifests although the run declares it reclaims them; it skips, saying why, without
 * --race-checks, without declared reclaims (of garbage, of untagged manifests), and when the
 * trigger cannot age what the check pushed. A pull's media type is compared without case or
 * parameters.
 */
import t, { type Test } from 'tap';
import gcRaceReads, { judge } from '../../../conformance/checks/gc-race-reads.ts';
import { CheckFailure } from '../../../conformance/client/errors.ts';
import type { Exchange } from '../../../conformance/client/exchange.ts';
import type { Reply } from '../../../conformance/client/registry-client.ts';
import { imageConfig, imageManifest, randomBlob } from '../../../conformance/content.ts';
import { ALL_CAPABILITIES, type GcConfig, type GcTrigger } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import type { RegistryOptions } from '../../../reference/registry.ts';
import { ManifestStore } from '../../../reference/store/manifests.ts';
import { isStoreError } from '../../../reference/store/errors.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';
import { startTamperProxy, errorReply, type TamperHook } from '../../helpers/tamper-proxy.ts';

const ID = 'gc.race.pull-during-collection';
const GRACE_MS = 3_600_000;

interface Setup {
  readonly gc?: Partial<GcConfig>;
  readonly canAdvance?: boolean;
  readonly registry?: Partial<RegistryOptions>;
  /** A proxy in front of the registry; `collecting()` says whether a collection is running. */
  readonly hook?: (collecting: () => boolean) => TamperHook;
}

async function run(t: Test, setup: Setup = {}): Promise<Result | undefined> {
  const registry = await startTestRegistry(t, { gcGraceMs: GRACE_MS, gcDeleteUntagged: true, ...setup.registry });
  let running = 0;
  const admin = adminTrigger(registry.url, setup.canAdvance ?? true);
  const trigger: GcTrigger = {
    ...admin,
    async run(advanceMs) {
      running += 1;
      try {
        await admin.run(advanceMs);
      } finally {
        running -= 1;
      }
    },
  };
  const url = setup.hook ? (await startTamperProxy(t, registry.url, setup.hook(() => running > 0))).url : registry.url;
  const config: GcConfig = { trigger, graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true, races: true, ...setup.gc };
  const results = await runChecks(t, url, gcRaceReads, [ID], { gc: config, capabilities: ALL_CAPABILITIES });
  t.comment(describeResult(results, ID));
  return results.get(ID);
}

t.test('the reference passes: every pull during a collection is the manifest whole or 404', async (t) => {
  const result = await run(t);
  t.equal(result?.status, 'pass', result?.message ?? '');
  t.match(result?.message, /^10 collections as if 3660 s had passed in a repository of 3001 tags, each deleting 1 untagged manifest pulled from 8 lanes: \d+ pulls served whole, \d+ not found, none wrong; all gone after; the pulls met the deletion in \d+ of 10 \(they stop 3 s into a collection\)$/);
});

t.test('a manifest whose bytes vanished after its lookup answered 500 (the #readBody mutants) fails it', async (t) => {
  // As the mutants do: the store's "missing from repository" MANIFEST_UNKNOWN of #readBody
  // becomes an error of no known code, which the HTTP layer answers 500.
  const original = ManifestStore.prototype.get;
  ManifestStore.prototype.get = async function (this: ManifestStore, name: string, reference: string) {
    try {
      return await original.call(this, name, reference);
    } catch (error) {
      if (isStoreError(error, 'MANIFEST_UNKNOWN') && /is missing from repository/.test(error.message)) throw new Error(`ENOENT: ${error.message}`);
      throw error;
    }
  };
  t.teardown(() => {
    ManifestStore.prototype.get = original;
  });
  const result = await run(t);
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^collection \d+ of 10: GET \S+@sha256:[0-9a-f]{64} \(untagged\) while a collection deletes it: expected status 200 or 404, got 500/);
});

t.test('a registry answering 500 for a manifest gone while a collection runs fails it', async (t) => {
  const hook = (collecting: () => boolean): TamperHook => async (request, forward) => {
    if (request.method !== 'GET' || !/\/manifests\/sha256:/.test(request.url.pathname) || !collecting()) return undefined;
    const answer = await forward();
    return answer.status === 404 ? errorReply(500, 'UNKNOWN') : answer;
  };
  const result = await run(t, { hook });
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^collection 1 of 10: GET \S+ \(untagged\) while a collection deletes it: expected status 200 or 404, got 500/);
});

t.test('a registry that keeps untagged manifests, declared to reclaim them, fails it: nothing raced', async (t) => {
  const result = await run(t, { registry: { gcDeleteUntagged: false } });
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^collection 1 of 10: untagged manifest \S+, older than the grace period and reachable from nothing, is still served after the collection although the run declares that the registry reclaims untagged manifests: no pull raced its deletion/);
});

t.test('it skips without --race-checks, without declared reclaims, or when the trigger cannot age what it pushed', async (t) => {
  for (const [gc, canAdvance, reason] of [
    [{ races: false }, true, /race checks run with --race-checks/],
    [{ expectReclaims: false }, true, /does not declare that the registry reclaims garbage/],
    [{ reclaimsUntagged: false }, true, /does not declare that the registry reclaims untagged manifests/],
    [{}, false, /grace period is 3600 s and its GC trigger cannot pretend time passed/],
  ] as const) {
    const result = await run(t, { gc, canAdvance });
    t.equal(result?.status, 'skip', result?.message ?? '');
    t.match(result?.message, reason);
  }
});

t.test('a pull is judged by its media type without case or parameters (RFC 9110 §8.3.1)', async (t) => {
  const manifest = imageManifest(imageConfig('judge'), [randomBlob(8)]);
  const reply = (contentType: string): Reply => ({
    status: 200,
    headers: { 'content-type': contentType },
    body: manifest.bytes,
    exchange: {} as Exchange,
    header: (name) => (name.toLowerCase() === 'content-type' ? contentType : undefined),
    json: () => JSON.parse(manifest.bytes.toString()),
  });
  for (const type of [manifest.mediaType, 'Application/VND.OCI.Image.Manifest.v1+JSON', `${manifest.mediaType}; charset=utf-8`]) {
    t.equal(judge(reply(type), 'GET', manifest, 'GET'), 'ok', `Content-Type: ${type}`);
  }
  t.throws(() => judge(reply('application/vnd.oci.image.index.v1+json'), 'GET', manifest, 'GET'), CheckFailure, 'another media type fails');
});
