/**
 * The reference registry put together: an image store (reference/store), its HTTP front
 * (reference/http), optional periodic garbage collection, and — only when asked for — the fault
 * layer around both (reference/faults). Used by `touchstone serve`, by the conformance suite's
 * embedded target and by the tests (which listen on 127.0.0.1 port 0).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImageStore } from './store/image-store.ts';
import { createRegistryHandler } from './http/router.ts';
import type { RegistryConfig, RequestLog } from './http/context.ts';
import { FaultSet, type FaultName } from './faults/catalog.ts';
import { injectStoreFaults } from './faults/store.ts';
import { injectGcFaults } from './faults/gc.ts';
import { withHttpFaults } from './faults/http.ts';

export interface RegistryOptions {
  readonly root: string;
  readonly host?: string;
  readonly port?: number;
  readonly deletes?: Partial<RegistryConfig['deletes']>;
  readonly autoMount?: boolean;
  readonly referrersPageSize?: number;
  readonly gcGraceMs?: number;
  readonly gcDeleteUntagged?: boolean;
  /** Run GC every this many milliseconds; off when absent. */
  readonly gcIntervalMs?: number;
  readonly log?: (entry: RequestLog) => void;
  /**
   * Faults from the catalog (reference/faults/catalog.ts): names to switch on, or a FaultSet the
   * caller can switch while the registry runs. Without it the fault layer is not there at all.
   */
  readonly faults?: readonly FaultName[] | FaultSet;
}

export interface RunningRegistry {
  readonly url: string;
  readonly store: ImageStore;
  readonly server: Server;
  /** The active faults, when the registry was started with the fault layer. */
  readonly faults: FaultSet | undefined;
  close(): Promise<void>;
}

/** Default grace period: one hour, like zot's gcDelay (docs/gc.md#grace-period). */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const store = await ImageStore.open(options.root);
  const faults = options.faults === undefined ? undefined : options.faults instanceof FaultSet ? options.faults : new FaultSet(options.faults);
  if (faults) {
    injectStoreFaults(store, faults);
    injectGcFaults(store, faults);
  }
  const config: RegistryConfig = {
    store,
    deletes: { manifests: true, tags: true, blobs: true, ...options.deletes },
    autoMount: options.autoMount ?? false,
    referrersPageSize: options.referrersPageSize ?? 500,
    gc: { graceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS, deleteUntagged: options.gcDeleteUntagged ?? false },
    log: options.log ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`)),
  };
  const handler = createRegistryHandler(config);
  // No overall request timeout: a large blob may take long; headers must still arrive promptly.
  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, faults ? withHttpFaults(handler, store, faults) : handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let timer: NodeJS.Timeout | undefined;
  if (options.gcIntervalMs !== undefined) {
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      store
        .collectGarbage(config.gc)
        .catch((error: unknown) => process.stderr.write(`gc failed: ${String(error)}\n`))
        .finally(() => {
          running = false;
        });
    }, options.gcIntervalMs);
    timer.unref();
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    store,
    server,
    faults,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
