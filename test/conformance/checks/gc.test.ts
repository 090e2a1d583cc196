/**
 * The GC checks (conformance/checks/gc.ts) against the reference registry with untagged deletion
 * and a one-hour grace period, collected through its admin endpoint (POST /_touchstone/gc) — every
 * one passes, also with no grace period and a trigger that cannot advance the clock — skipped
 * with the reason when the run cannot collect, does not declare reclaims, or cannot age what it
 * pushed; and failing (safety) or warning (reclaim) against the reference's GC faults, a trigger
 * that collects nothing, and a "collection" that deletes every blob.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import t, { type Test } from 'tap';
import gcChecks from '../../../conformance/checks/gc.ts';
import { HarnessError } from '../../../conformance/client/errors.ts';
import { ALL_CAPABILITIES, type GcConfig, type GcTrigger } from '../../../conformance/config.ts';
import type { FaultName } from '../../../reference/faults/catalog.ts';
import type { RegistryOptions } from '../../../reference/registry.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';
import { errorReply, reply, startTamperProxy, type TamperHook, type TamperRequest, type TamperResponse } from '../../helpers/tamper-proxy.ts';
import type { Result } from '../../../conformance/report/types.ts';

const ALL = gcChecks.map((c) => c.id);
const SAFETY = ALL.filter((id) => id.startsWith('gc.safety.'));
const RECLAIM = ALL.filter((id) => id.startsWith('gc.reclaim.'));
const YOUNG = ['gc.safety.young-blob', 'gc.safety.upload-in-progress'];
const OLD = ALL.filter((id) => !YOUNG.includes(id));
const GRACE_MS = 3_600_000;


/** A trigger that says it collected and did nothing. */
const idleTrigger: GcTrigger = { canAdvance: true, description: 'does nothing', run: async () => undefined };

/** A collection that deletes every blob file of the store, referenced or not. */
function wipingTrigger(root: string): GcTrigger {
  return {
    canAdvance: true,
    description: 'deletes every blob',
    async run() {
      for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
        if (entry.isFile() && entry.parentPath.split(sep).includes('blobs')) await rm(join(entry.parentPath, entry.name));
      }
    },
  };
}

interface Setup {
  readonly registry?: Partial<RegistryOptions>;
  readonly faults?: readonly FaultName[];
  /** The trigger for the registry (its root and URL); the admin endpoint when omitted. */
  readonly trigger?: (registry: { url: string; root: string }) => GcTrigger | undefined;
  readonly gc?: Partial<GcConfig>;
  readonly capabilities?: Partial<typeof ALL_CAPABILITIES>;
  /** A tampering proxy between the checks and the registry. */
  readonly hook?: TamperHook;
}

/** Runs `ids` against a fresh reference registry with untagged deletion and a one-hour grace period. */
async function runGc(t: Test, ids: readonly string[], setup: Setup = {}): Promise<Map<string, Result>> {
  const registry = await startTestRegistry(t, { gcDeleteUntagged: true, gcGraceMs: GRACE_MS, faults: setup.faults ?? [], ...setup.registry });
  const trigger = setup.trigger ? setup.trigger(registry) : adminTrigger(registry.url);
  const gc: GcConfig = { trigger, graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true, ...setup.gc };
  const url = setup.hook ? (await startTamperProxy(t, registry.url, setup.hook)).url : registry.url;
  return runChecks(t, url, gcChecks, ids, { gc, capabilities: { ...ALL_CAPABILITIES, ...setup.capabilities } });
}

function expectAll(t: Test, results: ReadonlyMap<string, Result>, ids: readonly string[], status: Result['status'], message?: RegExp): void {
  for (const id of ids) {
    t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
    if (message) t.match(results.get(id)?.message, message, id);
  }
}

t.test('every GC check passes against the reference registry', async (t) => {
  t.equal(gcChecks.length, 11, 'the GC checks are all there');
  for (const c of gcChecks) {
    t.match(c.id, /^gc\.(safety|reclaim)\.[a-z0-9-]+$/, 'id in the gc area');
    t.equal(c.level, c.id.startsWith('gc.safety.') ? 'MUST' : 'SHOULD', `${c.id}: safety MUST, reclaim SHOULD`);
    t.same(c.requires ?? [], [], `${c.id} requires no capability`);
    t.match(c.spec, /^docs\/gc\.md#[a-z-]+ \(GC is outside the spec\)/, `${c.id} cites its rule in docs/gc.md`);
  }
  const results = await runGc(t, ALL);
  expectAll(t, results, YOUNG, 'pass', /on the real clock, within the grace period of 3600 s/);
  expectAll(t, results, OLD, 'pass', /as if 3660 s had passed/);
});

t.test('with no grace period and a trigger that cannot advance, a plain collection serves', async (t) => {
  const results = await runGc(t, ALL, { registry: { gcGraceMs: 0 }, trigger: (r) => adminTrigger(r.url, false), gc: { graceMs: 0 } });
  expectAll(t, results, YOUNG, 'skip', /the registry has no grace period \(0 s\): nothing it holds is young/);
  expectAll(t, results, SAFETY.filter((id) => !YOUNG.includes(id)), 'pass', /^a collection on the real clock \(no grace period\)$/);
  expectAll(t, results, RECLAIM, 'pass', /on the real clock \(no grace period\), 5 s after the pushes/);
});

t.test('without a trigger every GC check is skipped with the reason', async (t) => {
  const results = await runGc(t, ALL, { trigger: () => undefined });
  expectAll(t, results, ALL, 'skip', /^no way to make the registry collect garbage: use --gc-command CMD$/);
});

t.test('reclaim checks are skipped unless the run declares reclaims (untagged ones apart)', async (t) => {
  let results = await runGc(t, RECLAIM, { gc: { expectReclaims: false } });
  expectAll(t, results, RECLAIM, 'skip', /does not declare that the registry reclaims garbage \(--expect-gc-reclaims\)/);
  results = await runGc(t, RECLAIM, { gc: { reclaimsUntagged: false } });
  expectAll(t, results, ['gc.reclaim.untagged-manifest'], 'skip', /does not declare that the registry reclaims untagged manifests \(--gc-reclaims-untagged\)/);
  expectAll(t, results, RECLAIM.filter((id) => id !== 'gc.reclaim.untagged-manifest'), 'pass');
});

t.test('a trigger that cannot advance skips what needs old items while the registry has a grace period', async (t) => {
  const results = await runGc(t, ALL, { trigger: (r) => adminTrigger(r.url, false) });
  expectAll(t, results, OLD, 'skip', /^the registry's grace period is 3600 s and its GC trigger cannot pretend time passed$/);
  expectAll(t, results, YOUNG, 'pass');
});

t.test('checks that delete a manifest are skipped on a registry declared without manifest deletes', async (t) => {
  const ids = ['gc.safety.shared-layer', 'gc.reclaim.deleted-manifest'];
  const results = await runGc(t, ids, { capabilities: { manifestDeletes: false } });
  expectAll(t, results, ids, 'skip', /registry declared without: manifestDeletes/);
});

t.test('a GC without grace (fault gc-no-grace) fails the young-blob and upload-in-progress checks', async (t) => {
  const results = await runGc(t, YOUNG, { faults: ['gc-no-grace'] });
  expectAll(t, results, YOUNG, 'fail');
  t.match(results.get('gc.safety.young-blob')?.message, /^the collection removed blob sha256:[0-9a-f]{64} of \S+, uploaded \d+ ms before the collection ended, for a manifest not pushed yet, which had to stay: younger than the grace period \(3600 s\)/);
  t.match(results.get('gc.safety.upload-in-progress')?.message, /^the collection removed upload session http:\S+ \(1024 bytes sent, more to come\), which had to stay: younger than the grace period \(3600 s\), the client is still uploading/);
});

t.test('a GC purging uploads in progress (fault gc-purges-uploads) fails gc.safety.upload-in-progress', async (t) => {
  const results = await runGc(t, ['gc.safety.upload-in-progress'], { faults: ['gc-purges-uploads'] });
  expectAll(t, results, ['gc.safety.upload-in-progress'], 'fail', /the collection removed upload session .* which had to stay/);
});

t.test('a manifest PUT refused after the collection fails gc.safety.young-blob', async (t) => {
  const hook: TamperHook = (request) => (request.method === 'PUT' && request.url.pathname.endsWith('/manifests/young') ? errorReply(400, 'MANIFEST_BLOB_UNKNOWN') : undefined);
  const results = await runGc(t, ['gc.safety.young-blob'], { hook });
  expectAll(t, results, ['gc.safety.young-blob'], 'fail', /PUT of the manifest whose blobs were uploaded before the collection: expected status 201, got 400/);
});

t.test('a GC removing the untagged children of a tagged index (fault gc-untagged-index-children) fails the index checks', async (t) => {
  const ids = ['gc.safety.index-children', 'gc.safety.nested-index', 'gc.reclaim.untagged-manifest'];
  const results = await runGc(t, ids, { faults: ['gc-untagged-index-children'] });
  expectAll(t, results, ['gc.safety.index-children', 'gc.safety.nested-index'], 'fail', /^the collection removed manifest \S+@sha256:[0-9a-f]{64}, which had to stay: untagged, but a child of index sha256:[0-9a-f]{64}, which is tagged "(multi|nested)"/);
  expectAll(t, results, ['gc.reclaim.untagged-manifest'], 'warn', /the collection removed manifest .* which had to stay: untagged, but a child of index .* tagged "index"/);
});

t.test('a GC taking shared layers along with a deleted manifest (fault gc-shared-layers) fails gc.safety.shared-layer', async (t) => {
  const results = await runGc(t, ['gc.safety.shared-layer', 'gc.reclaim.deleted-manifest'], { faults: ['gc-shared-layers'] });
  expectAll(t, results, ['gc.safety.shared-layer'], 'fail', /^the collection removed blob sha256:[0-9a-f]{64} of \S+, which had to stay: a layer of manifest sha256:[0-9a-f]{64}, which is tagged "kept" \(it shares layer/);
  expectAll(t, results, ['gc.reclaim.deleted-manifest'], 'warn', /the collection removed blob .* which had to stay: a layer of manifest .* tagged "kept" \(the deleted manifest shared it\)/);
});

t.test('a GC dropping referrers of live images (fault gc-drops-referrers) fails gc.safety.referrers', async (t) => {
  const results = await runGc(t, ['gc.safety.referrers'], { faults: ['gc-drops-referrers'] });
  expectAll(t, results, ['gc.safety.referrers'], 'fail', /^the collection removed manifest \S+@sha256:[0-9a-f]{64}, which had to stay: a referrer of sha256:[0-9a-f]{64}, which is tagged "signed"/);
});

t.test('a referrer no longer listed after the collection fails gc.safety.referrers', async (t) => {
  let collected = false;
  const hook: TamperHook = (request, forward) => {
    if (request.url.pathname === '/_touchstone/gc') collected = true;
    if (collected && request.method === 'GET' && request.url.pathname.includes('/referrers/')) {
      return forward().then((response) => ({ ...response, body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })) }));
    }
    return undefined;
  };
  // The trigger goes through the proxy, so the hook knows when the collection happened.
  const registry = await startTestRegistry(t, { gcDeleteUntagged: true, gcGraceMs: GRACE_MS });
  const proxy = await startTamperProxy(t, registry.url, hook);
  const gc: GcConfig = { trigger: adminTrigger(proxy.url), graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true };
  const results = await runChecks(t, proxy.url, gcChecks, ['gc.safety.referrers'], { gc });
  expectAll(t, results, ['gc.safety.referrers'], 'fail', /after the collection the referrers of sha256:[0-9a-f]{64} in \S+ no longer list sha256:[0-9a-f]{64}, which had to stay: a referrer of/);
});

t.test('a collection that deletes every blob fails every safety check that ages what it pushed', async (t) => {
  const ids = SAFETY.filter((id) => !YOUNG.includes(id));
  const results = await runGc(t, ids, { trigger: (r) => wipingTrigger(r.root) });
  expectAll(t, results, ids, 'fail', /^the collection removed manifest \S+:[a-z]+ \(sha256:[0-9a-f]{64}\), which had to stay: tagged "[a-z]+"/);
});

t.test('a collection that deletes every blob and session fails the young checks', async (t) => {
  const wipeAll = (root: string): GcTrigger => ({
    ...wipingTrigger(root),
    async run(advanceMs) {
      await wipingTrigger(root).run(advanceMs);
      await rm(join(root, '_uploads'), { recursive: true, force: true });
    },
  });
  const results = await runGc(t, YOUNG, { trigger: (r) => wipeAll(r.root) });
  expectAll(t, results, YOUNG, 'fail', /^the collection removed (blob|upload session) .*, which had to stay: younger than the grace period/);
});

t.test('a trigger that collects nothing makes every reclaim check warn', async (t) => {
  const results = await runGc(t, RECLAIM, { trigger: () => idleTrigger });
  expectAll(t, results, RECLAIM, 'warn', /^the collection kept .*, which should have been reclaimed: /);
  t.match(results.get('gc.reclaim.unreferenced-blob')?.message, /kept blob sha256:[0-9a-f]{64} of \S+, which should have been reclaimed: referenced by no manifest and older than the grace period/);
  t.match(results.get('gc.reclaim.deleted-manifest')?.message, /kept blob .*: the config of a deleted manifest: referenced only by the deleted manifest sha256:/);
  t.match(results.get('gc.reclaim.untagged-manifest')?.message, /kept manifest \S+@sha256:[0-9a-f]{64}, which should have been reclaimed: untagged, reachable from no tag, index or subject/);
  t.match(results.get('gc.reclaim.abandoned-upload')?.message, /kept upload session http:\S+ \(answered 204\), which should have been reclaimed: abandoned after 1024 bytes, never closed/);
  // Safety still passes: keeping everything is safe.
  const safety = await runGc(t, SAFETY, { trigger: () => idleTrigger });
  expectAll(t, safety, SAFETY, 'pass');
});

t.test('a registry that keeps untagged manifests warns gc.reclaim.untagged-manifest when declared to reclaim them', async (t) => {
  const results = await runGc(t, ['gc.reclaim.untagged-manifest'], { registry: { gcDeleteUntagged: false } });
  expectAll(t, results, ['gc.reclaim.untagged-manifest'], 'warn', /kept manifest .*, which should have been reclaimed: untagged/);
});

t.test('a failing trigger is the harness\'s error, not the registry\'s', async (t) => {
  const broken: GcTrigger = { canAdvance: true, description: 'command: false', run: () => Promise.reject(new Error('exited with 1')) };
  const results = await runGc(t, ['gc.safety.tagged-image'], { trigger: () => broken });
  expectAll(t, results, ['gc.safety.tagged-image'], 'error', /^HarnessError: the GC trigger \(command: false\) failed: exited with 1$/);
  // A trigger that already says what broke (--gc-command) is passed on as it is.
  const explained: GcTrigger = { ...broken, run: () => Promise.reject(new HarnessError('--gc-command failed (1): no such registry')) };
  const passedOn = await runGc(t, ['gc.safety.tagged-image'], { trigger: () => explained });
  expectAll(t, passedOn, ['gc.safety.tagged-image'], 'error', /^HarnessError: --gc-command failed \(1\): no such registry$/);
});

/** Runs `ids` with the trigger behind the proxy, so the hook knows when the collection happened. */
async function runGcWatched(t: Test, ids: readonly string[], hook: (request: TamperRequest, collected: boolean) => TamperResponse | undefined): Promise<Map<string, Result>> {
  let collected = false;
  const registry = await startTestRegistry(t, { gcDeleteUntagged: true, gcGraceMs: GRACE_MS });
  const proxy = await startTamperProxy(t, registry.url, (request) => {
    if (request.url.pathname === '/_touchstone/gc') collected = true;
    return hook(request, collected);
  });
  const gc: GcConfig = { trigger: adminTrigger(proxy.url), graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true };
  return runChecks(t, proxy.url, gcChecks, ids, { gc });
}

t.test('a reclaimed manifest still answering HEAD (the store/gc.ts:139 mutant left it in index.json) warns gc.reclaim.untagged-manifest', async (t) => {
  const results = await runGcWatched(t, ['gc.reclaim.untagged-manifest'], (request, collected) => (collected && request.method === 'HEAD' && request.url.pathname.includes('/manifests/sha256:') ? reply(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }) : undefined));
  expectAll(t, results, ['gc.reclaim.untagged-manifest'], 'warn', /the collection kept manifest .* which should have been reclaimed: .*\(HEAD still answers 200\)/);
});

t.test('a reclaimed blob that cannot be used again (the store/gc.ts:158 mutant kept it claimed) warns gc.reclaim.unreferenced-blob', async (t) => {
  const results = await runGcWatched(t, ['gc.reclaim.unreferenced-blob'], (request, collected) => (collected && request.method === 'PUT' && request.url.pathname.endsWith('/manifests/again') ? errorReply(400, 'MANIFEST_BLOB_UNKNOWN') : undefined));
  expectAll(t, results, ['gc.reclaim.unreferenced-blob'], 'warn', /push manifest again: expected status 201, got 400/);
});

t.test('a referrer of a referrer, pushed first, lost in the collection (the store/gc.ts:204 mutant marked one round only) fails gc.safety.referrers', async (t) => {
  let second: string | undefined;
  const results = await runGcWatched(t, ['gc.safety.referrers'], (request, collected) => {
    // The first manifest pushed by digest is the signature of the signature.
    if (!collected && request.method === 'PUT' && request.url.pathname.includes('/manifests/sha256:')) second ??= request.url.pathname;
    return collected && request.method === 'GET' && request.url.pathname === second ? errorReply(404, 'MANIFEST_UNKNOWN') : undefined;
  });
  expectAll(t, results, ['gc.safety.referrers'], 'fail', /the collection removed manifest .* \(pushed before it\)/);
});
