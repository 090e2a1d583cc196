/**
 * The suite against the real CNCF Distribution 2.8.2 (Debian package docker-registry, started by
 * scripts/distribution.sh on 127.0.0.1 with deletes enabled): the test pins exactly which checks
 * fail, which warn, and that none errors — each failure and warning a deviation of Distribution
 * from the spec (docs/deviations.md#cncf-distribution-282; the README's Distribution table says
 * what it answers and which statement that breaks). Three runs, each on a fresh store of its own,
 * side by side:
 *
 *   - registry: every scripted check but gc.*, and every property but property.gc, with the
 *     defaults (every capability declared, spec main), the property layer seeded, and
 *     `distribution.sh restart` (stop, start on the same store and port) as the restart
 *     persistence.restart needs;
 *   - gc: the gc.* checks with the offline `garbage-collect --delete-untagged` (no grace period;
 *     reclaims declared, untagged manifests too). On a fresh store because that collection aborts
 *     on any repository holding only untagged manifests ("failed to mark: … unknown repository",
 *     fixed upstream by distribution/distribution#4331), which the other checks leave behind;
 *   - property.gc with the plain `garbage-collect`, for the same reason.
 *
 * The GC runs declare the registry without referrers (the first run pins the missing API), or the
 * first referrer push would stop them at the missing OCI-Subject before any collection. Every
 * start of the registry gets the same HTTP secret (REGISTRY_HTTP_SECRET): without one Distribution
 * makes a new secret at each start, so the restart of an offline collection would void every
 * upload session's signed state and an upload would look reclaimed when its data is still there.
 * Every child process (start, stop, each collection) and the test itself have a timeout.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { commandTrigger } from '../../conformance/cli.ts';
import { commandRestart } from '../../conformance/restart.ts';
import { HarnessError } from '../../conformance/client/errors.ts';
import { ALL_CAPABILITIES, defaultRunConfig, type GcConfig, type PropertyConfig, type RestartTrigger, type RunConfig } from '../../conformance/config.ts';
import { newRunId, runSuite } from '../../conformance/run.ts';
import type { Report, Result } from '../../conformance/report/types.ts';
import type { Status } from '../../conformance/checks/types.ts';
import { assertSucceeded, requireTool, run } from '../helpers/tools.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/distribution.sh', import.meta.url));
const SECRET = 'touchstone-interop-distribution';
/** Starting or stopping the registry, or one offline collection (stop, garbage-collect, start). */
const SCRIPT_TIMEOUT_MS = 60_000;

/**
 * Seeded and small: the same command sequences every time. With these seeds each property that
 * fails finds its counterexample within its first 8 executions, seconds before its share of the
 * time budget runs out; shrinking is cut short (the statuses are pinned, not the counterexamples).
 */
const PROPERTIES: PropertyConfig = {
  runs: 10,
  timeBudgetMs: 60_000,
  shrinkBudgetMs: 10_000,
  seed: 3,
  path: undefined,
  maxCommands: 20,
  stopAtFirstFailure: false,
  commandLine: 'tap test/interop/distribution.test.ts',
};

/** property.gc alone: every collection restarts the registry, so fewer executions. */
const GC_PROPERTY: PropertyConfig = { ...PROPERTIES, runs: 5, timeBudgetMs: 25_000, seed: 42 };

const EXPECTED = {
  registry: {
    fail: [
      'blobs.upload.chunked-out-of-order',
      'blobs.upload.status',
      'manifests.kind.index-subject',
      'manifests.kind.non-distributable',
      'manifests.pull.no-accept',
      'manifests.push.subject-header',
      'property.blobs',
      'property.concurrency',
      'property.manifests',
      'property.referrers',
      'property.tags',
      'referrers.filter.applied',
      'referrers.filter.paged',
      'referrers.list.after-delete',
      'referrers.list.annotations',
      'referrers.list.artifact-type',
      'referrers.list.content-type',
      'referrers.list.descriptors',
      'referrers.list.empty',
      'referrers.list.empty-unknown-subject',
      'referrers.list.exact',
      'referrers.list.index',
      'referrers.list.invalid-digest',
      'referrers.list.pagination',
      'referrers.list.subject-pushed-later',
      'tags.list.last',
      'tags.list.n',
      'tags.list.n-zero',
      'tags.list.order',
      'tags.list.paging',
      'tags.list.untagged',
      'validation.digest.manifest-paths',
      'validation.name.invalid',
    ],
    warn: [
      'blobs.pull.range-empty-blob',
      'blobs.pull.range-invalid',
      'blobs.pull.range-suffix-unsatisfiable',
      'blobs.pull.range-unit-unknown',
      'blobs.pull.range-unsatisfiable',
      'blobs.upload.chunk-length-mismatch',
      'blobs.upload.sha512-identity',
      'catalog.list.exists',
      'deletes.tag.disabled-code',
      'deletes.tag.supported',
      'manifests.push.non-distributable',
      'manifests.push.too-large',
      'referrers.filter.supported',
      'referrers.list.no-link-when-complete',
      'referrers.list.unfiltered-header',
      'validation.manifest.invalid-body',
    ],
  },
  gc: {
    fail: ['gc.safety.index-children', 'gc.safety.nested-index', 'gc.safety.referrers'],
    warn: ['gc.reclaim.abandoned-upload', 'gc.reclaim.untagged-manifest'],
  },
  propertyGc: {
    fail: ['property.gc'],
    warn: [],
  },
} as const;

interface Distribution {
  readonly url: string;
  /** Its offline collection (`distribution.sh gc DIR FLAGS…`) as the suite's GC trigger. */
  gc(flags: readonly string[], policy: Omit<GcConfig, 'trigger' | 'graceMs'>): GcConfig;
  /** `distribution.sh restart DIR` as the suite's restart trigger. */
  restart(): RestartTrigger;
}

const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** `bash scripts/distribution.sh ACTION DIR` with the fixed secret. */
function script(action: 'start' | 'stop', directory: string) {
  return run('bash', [SCRIPT, action, directory], { env: { REGISTRY_HTTP_SECRET: SECRET }, timeoutMs: SCRIPT_TIMEOUT_MS });
}

/**
 * A fresh Distribution in a temp dir (port chosen by the script). At teardown no collection
 * starts any more, the running ones end (each within its timeout: a collection restarts the
 * registry, so stopping it first could leave one running), then it is stopped and its dir removed.
 */
async function startDistribution(t: Test, name: string): Promise<Distribution | undefined> {
  const tmp = await dir({ unsafeCleanup: true, prefix: `touchstone-distribution-${name}-` });
  const collecting = new Set<Promise<void>>();
  let closed = false;
  t.teardown(async () => {
    closed = true;
    await Promise.allSettled(collecting);
    await script('stop', tmp.path);
    await tmp.cleanup();
  });
  const started = await script('start', tmp.path);
  if (!assertSucceeded(t, started, `distribution.sh start (${name})`)) return undefined;
  const url = started.stdout.trim();
  return {
    url,
    gc(flags, policy) {
      const command = `REGISTRY_HTTP_SECRET=${quote(SECRET)} bash ${[SCRIPT, 'gc', tmp.path, ...flags].map(quote).join(' ')}`;
      const trigger = commandTrigger(command, url, SCRIPT_TIMEOUT_MS);
      const collect = (advanceMs: number): Promise<void> => {
        if (closed) return Promise.reject(new HarnessError(`${name}: the test is over, no more collections`));
        const collection = trigger.run(advanceMs);
        const settled = collection.catch(() => undefined).finally(() => collecting.delete(settled));
        collecting.add(settled);
        return collection;
      };
      // Distribution has no grace period: garbage-collect collects whatever is unreferenced now.
      return { trigger: { ...trigger, run: collect }, graceMs: 0, ...policy };
    },
    restart() {
      const command = `REGISTRY_HTTP_SECRET=${quote(SECRET)} bash ${[SCRIPT, 'restart', tmp.path].map(quote).join(' ')}`;
      const trigger = commandRestart(command, url, {}, SCRIPT_TIMEOUT_MS);
      return {
        ...trigger,
        run: () => {
          if (closed) return Promise.reject(new HarnessError(`${name}: the test is over, no more restarts`));
          const restarting = trigger.run();
          const settled = restarting.catch(() => undefined).finally(() => collecting.delete(settled));
          collecting.add(settled);
          return restarting;
        },
      };
    },
  };
}

async function check(t: Test, name: string, configure: (registry: Distribution) => Partial<RunConfig>): Promise<Report | undefined> {
  const registry = await startDistribution(t, name);
  if (!registry) return undefined;
  return runSuite(defaultRunConfig(registry.url, { namespace: 'touchstone', runId: newRunId(), ...configure(registry) }));
}

function ids(report: Report, status: Status): string[] {
  return report.results.filter((result) => result.status === status).map((result) => result.id).sort();
}

/** What each result of `status` said, for the diagnostics of a mismatch. */
function messages(report: Report, status: Status): Record<string, string> {
  return Object.fromEntries(report.results.filter((result: Result) => result.status === status).map((result) => [result.id, result.message.slice(0, 400)]));
}

function assertPinned(t: Test, name: string, report: Report | undefined, expected: { readonly fail: readonly string[]; readonly warn: readonly string[] }): void {
  if (!report) return;
  t.same(ids(report, 'error'), [], `${name}: no harness errors`, { errors: messages(report, 'error') });
  t.same(ids(report, 'fail'), [...expected.fail], `${name}: exactly these checks fail`, { failures: messages(report, 'fail') });
  t.same(ids(report, 'warn'), [...expected.warn], `${name}: exactly these checks warn`, { warnings: messages(report, 'warn') });
}

if (await requireTool(t, 'docker-registry', 'docker-registry')) {
  t.test('CNCF Distribution 2.8.2 fails and warns on exactly its deviations, and nothing errors', { timeout: 150_000 }, async (t) => {
    const withoutReferrers = { ...ALL_CAPABILITIES, referrers: false };
    const [registry, gc, propertyGc] = await Promise.all([
      check(t, 'registry', (distribution) => ({ skip: ['gc.', 'property.gc'], property: PROPERTIES, restart: distribution.restart() })),
      check(t, 'gc', (distribution) => ({
        only: ['gc.'],
        capabilities: withoutReferrers,
        gc: distribution.gc(['--delete-untagged'], { expectReclaims: true, reclaimsUntagged: true }),
      })),
      check(t, 'property-gc', (distribution) => ({
        only: ['property.gc'],
        capabilities: withoutReferrers,
        gc: distribution.gc([], { expectReclaims: true, reclaimsUntagged: false }),
        property: GC_PROPERTY,
      })),
    ]);
    assertPinned(t, 'registry run', registry, EXPECTED.registry);
    const persistence = registry?.results.find((result) => result.id === 'persistence.restart');
    t.equal(persistence?.status, 'pass', `persistence.restart passes with distribution.sh restart: ${persistence?.message}`);
    assertPinned(t, 'gc run (garbage-collect --delete-untagged)', gc, EXPECTED.gc);
    assertPinned(t, 'property.gc run (garbage-collect)', propertyGc, EXPECTED.propertyGc);
  });
}
