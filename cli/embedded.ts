/**
 * The registry `npm start` checks: the reference registry, started in-process on 127.0.0.1 port 0
 * over a temporary store that is removed afterwards. It collects untagged manifests and has the
 * default grace period of one hour; its built-in trigger can collect as if the grace period had
 * passed, so the suite checks both GC safety and reclaims in seconds. This module sits outside
 * both halves: it is the one place that joins them.
 */
import { dir } from 'tmp-promise';
import { startRegistry, DEFAULT_GC_GRACE_MS } from '../reference/registry.ts';
import type { FaultName } from '../reference/faults/catalog.ts';
import { RegistryClient } from '../conformance/client/registry-client.ts';
import { touchstoneTrigger, type EmbeddedTarget } from '../conformance/cli.ts';

export async function startEmbeddedReference(faults: readonly FaultName[] = []): Promise<EmbeddedTarget> {
  const store = await dir({ unsafeCleanup: true, prefix: 'touchstone-embedded-' });
  const registry = await startRegistry({
    root: store.path,
    gcGraceMs: DEFAULT_GC_GRACE_MS,
    gcDeleteUntagged: true,
    autoMount: true,
    log: () => undefined,
    faults,
  });
  const client = new RegistryClient({ baseUrl: registry.url });
  return {
    url: registry.url,
    gc: { trigger: touchstoneTrigger(client), graceMs: DEFAULT_GC_GRACE_MS, expectReclaims: true, reclaimsUntagged: true },
    close: async () => {
      await client.close();
      await registry.close();
      await store.cleanup();
    },
  };
}
