/**
 * The registry `npm start` checks: the reference registry, started in-process on 127.0.0.1 port 0
 * over a temporary store that is removed afterwards. It collects untagged manifests and has the
 * default grace period of one hour; its built-in trigger can collect as if the grace period had
 * passed, so the suite checks both GC safety and reclaims in seconds. It pages tags/list at 10
 * tags, fewer than the tags checks push, so the answer to a list asked without n carries a Link
 * (end-8b) and the suite follows it: a registry's own paging is exercised on every run; likewise
 * it keeps the running hashes of fewer upload sessions than one check feeds at once. Its restart (persistence.restart) closes it and starts it again on the same
 * store, host and port, so the suite's client keeps its URL; a start that fails rejects, which the
 * check reports. This
 * module sits outside both halves: it is the one place that joins them.
 */
import { dir } from 'tmp-promise';
import { startRegistry, DEFAULT_GC_GRACE_MS, type RegistryOptions, type RunningRegistry } from '../reference/registry.ts';
import type { FaultName } from '../reference/faults/catalog.ts';
import { RegistryClient } from '../conformance/client/registry-client.ts';
import { touchstoneTrigger, type EmbeddedTarget } from '../conformance/cli.ts';
import type { AuthOptions, TlsOptions } from '../reference/auth/setup.ts';

export interface EmbeddedSecurity {
  readonly tls: TlsOptions;
  readonly auth: AuthOptions;
  /** The CA of the TLS certificate, PEM. */
  readonly ca: string;
  /** An identity that may collect garbage. */
  readonly admin: { readonly username: string; readonly password: string };
}

/** Most tags in one page of the embedded registry: fewer than the 12 that conformance/checks/tags.ts pushes. */
const EMBEDDED_TAGS_PAGE = 10;
/**
 * Upload sessions whose running hash the embedded registry keeps: fewer than the 12 that
 * blobs.upload.interleaved-sessions feeds in turn, so their later chunks arrive without one and the
 * registry hashes the session's file instead, a path every run then exercises.
 */
const EMBEDDED_RUNNING_HASHES = 8;

/** What else differs from the registry `npm start` checks (npm run mutants' passes, mutants/passes.ts). */
export interface EmbeddedOptions {
  /** Deletes disabled (the no-tag-delete pass). */
  readonly deletes?: { readonly manifests: boolean; readonly tags: boolean; readonly blobs: boolean };
  /** Manifest summaries kept in memory, in descriptors (the race pass keeps few). */
  readonly summaryDescriptors?: number;
  /** Told the store's directory before the registry starts (the slow-delete and short-write passes slow its deletes, shorten its writes). */
  readonly onStore?: (root: string) => void;
}

export async function startEmbeddedReference(faults: readonly FaultName[] = [], security?: EmbeddedSecurity, options: EmbeddedOptions = {}): Promise<EmbeddedTarget> {
  const store = await dir({ unsafeCleanup: true, prefix: 'touchstone-embedded-' });
  options.onStore?.(store.path);
  const registryOptions: RegistryOptions = {
    root: store.path,
    gcGraceMs: DEFAULT_GC_GRACE_MS,
    gcDeleteUntagged: true,
    autoMount: true,
    tagsPageSize: EMBEDDED_TAGS_PAGE,
    runningHashes: EMBEDDED_RUNNING_HASHES,
    ...(options.summaryDescriptors === undefined ? {} : { summaryDescriptors: options.summaryDescriptors }),
    log: () => undefined,
    faults,
    ...(options.deletes === undefined ? {} : { deletes: options.deletes }),
    ...(security === undefined ? {} : { tls: security.tls, auth: security.auth }),
  };
  let registry: RunningRegistry = await startRegistry(registryOptions);
  const { hostname, port } = new URL(registry.url);
  const client = new RegistryClient({ baseUrl: registry.url, ...(security === undefined ? {} : { ...security.admin, tls: { ca: security.ca } }) });
  return {
    url: registry.url,
    gc: { trigger: touchstoneTrigger(client), graceMs: DEFAULT_GC_GRACE_MS, expectReclaims: true, reclaimsUntagged: true },
    restart: {
      description: 'the embedded reference registry, closed and started again on its store and port',
      async run() {
        await registry.close();
        registry = await startRegistry({ ...registryOptions, host: hostname, port: Number(port) });
      },
    },
    close: async () => {
      await client.close();
      await registry.close();
      await store.cleanup();
    },
  };
}
