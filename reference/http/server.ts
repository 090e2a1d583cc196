/**
 * Starts the reference registry: an HTTP server (HTTPS/1.1 with `tls`) over an image store, with
 * optional periodic garbage collection and optional authentication (`auth`: reference/auth/'s
 * layer around the request handler). Used by `touchstone serve`, by the conformance suite's
 * embedded target and by the tests (which listen on 127.0.0.1 port 0).
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ImageStore } from '../store/image-store.ts';
import { createRegistryHandler } from './router.ts';
import { Faults, type FaultName } from '../faults.ts';
import type { RegistryConfig, RequestLog } from './context.ts';
import { withAuth } from '../auth/layer.ts';
import { loadAuth, loadTls, type AuthOptions, type TlsOptions } from '../auth/setup.ts';

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
  /** Faults from the catalog to inject (reference/faults.ts); none by default. */
  readonly faults?: readonly FaultName[];
  /** Serve HTTPS with this certificate and key (files); plain HTTP when absent. */
  readonly tls?: TlsOptions;
  /** Authentication and access policy (reference/auth/); anonymous and unrestricted when absent. */
  readonly auth?: AuthOptions;
}

export interface RunningRegistry {
  readonly url: string;
  readonly store: ImageStore;
  readonly server: Server | HttpsServer;
  close(): Promise<void>;
}

/** Default grace period: one hour, like zot's gcDelay (spec-notes §11). */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const tls = options.tls ? await loadTls(options.tls) : undefined;
  const auth = options.auth ? await loadAuth(options.auth) : undefined;
  const faults = new Faults(options.faults);
  const store = await ImageStore.open(options.root, faults);
  const config: RegistryConfig = {
    store,
    deletes: { manifests: true, tags: true, blobs: true, ...options.deletes },
    autoMount: options.autoMount ?? false,
    referrersPageSize: options.referrersPageSize ?? 500,
    gc: { graceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS, deleteUntagged: options.gcDeleteUntagged ?? false },
    log: options.log ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`)),
    faults,
  };
  // No overall request timeout: a large blob may take long; headers must still arrive promptly.
  const timeouts = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };
  const listener = createRegistryHandler(config, auth && ((next) => withAuth(next, auth)));
  const server = tls ? createHttpsServer({ ...timeouts, ...tls }, listener) : createServer(timeouts, listener);
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
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    store,
    server,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
