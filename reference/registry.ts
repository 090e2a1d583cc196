/**
 * The reference registry put together: an image store (reference/store), its HTTP front
 * (reference/http) over HTTP or HTTPS, optional access control around it (reference/auth), the periodic work a store needs — expiring abandoned upload sessions, and
 * garbage collection when asked for — and, only when asked for, the fault layer around both
 * (reference/faults). Used by `touchstone serve`, by the conformance suite's embedded target and
 * by the tests (which listen on 127.0.0.1 port 0).
 *
 * Every request is bounded in time and memory: a connection idle for `idleTimeoutMs` (no byte of
 * headers or body, no byte taken by the client) is closed — an upload cut off this way keeps what
 * arrived; uploads streaming at once and manifest bytes held at once are capped (429 above).
 * Closing drains: no new connection is accepted, requests in flight get up to `drainMs` to finish.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ImageStore } from './store/image-store.ts';
import { createRegistryHandler } from './http/router.ts';
import { Limits } from './http/limits.ts';
import { answerConnect } from './http/connect.ts';
import type { RegistryConfig, RequestLog } from './http/context.ts';
import { FaultSet, type FaultName } from './faults/catalog.ts';
import { injectStoreFaults } from './faults/store.ts';
import { injectGcFaults } from './faults/gc.ts';
import { withHttpFaults } from './faults/http.ts';
import { withAuthFaults } from './faults/auth.ts';
import { withAuth } from './auth/layer.ts';
import { loadAuth, loadTls, type AuthOptions, type TlsOptions } from './auth/setup.ts';

export interface RegistryOptions {
  readonly root: string;
  readonly host?: string;
  readonly port?: number;
  readonly deletes?: Partial<RegistryConfig['deletes']>;
  readonly autoMount?: boolean;
  /** Referrers per page (default 20: a subject with a few dozen referrers spans pages). */
  readonly referrersPageSize?: number;
  /** Most tags in one page, with `n` or without (default 1000). */
  readonly tagsPageSize?: number;
  /** Most repositories in one GET /v2/_catalog page, with `n` or without (default 100). */
  readonly catalogPageSize?: number;
  readonly gcGraceMs?: number;
  readonly gcDeleteUntagged?: boolean;
  /** Run GC every this many milliseconds; off when absent. */
  readonly gcIntervalMs?: number;
  /** Upload sessions idle this long are removed, GC or not (default one hour; 0: never). */
  readonly uploadExpiryMs?: number;
  /** A connection with no traffic for this long is closed (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Blob uploads streaming at once (default 256). */
  readonly maxUploads?: number;
  /** Manifest bytes held in memory at once (default 64 MiB: sixteen 4 MiB manifests). */
  readonly maxManifestMemory?: number;
  /** Largest blob an upload may make (default 64 GiB). */
  readonly maxBlobBytes?: number;
  /** Upload sessions whose running hash is kept in memory (default 1024); older ones are rehashed from disk. */
  readonly runningHashes?: number;
  /** Manifest summaries kept in memory, counted in descriptors (default 100,000); a miss reads the manifest from disk. */
  readonly summaryDescriptors?: number;
  readonly log?: (entry: RequestLog) => void;
  /** Serve HTTPS/1.1 with this certificate and key (files); plain HTTP when absent. */
  readonly tls?: TlsOptions;
  /** Authentication and the access policy (reference/auth/); anonymous and unrestricted when absent. */
  readonly auth?: AuthOptions;
  /**
   * Faults from the catalog (reference/faults/catalog.ts): names to switch on, or a FaultSet the
   * caller can switch while the registry runs. Without it the fault layer is not there at all.
   */
  readonly faults?: readonly FaultName[] | FaultSet;
  /** Wraps the request listener outermost (outside the fault layer), e.g. to observe every exchange. */
  readonly wrap?: (listener: RequestListener) => RequestListener;
}

export interface RunningRegistry {
  readonly url: string;
  readonly store: ImageStore;
  readonly server: Server | HttpsServer;
  readonly config: RegistryConfig;
  /** The active faults, when the registry was started with the fault layer. */
  readonly faults: FaultSet | undefined;
  /** What start-up removed that killed writes had left behind. */
  readonly recovered: number;
  /** Stops at once: every connection is cut. */
  close(): Promise<void>;
  /**
   * Stops accepting, lets requests in flight finish for up to `drainMs`, then cuts what is left.
   * Resolves with how many requests finished while draining and how many were cut.
   */
  drain(drainMs: number): Promise<{ finished: number; cut: number }>;
}

/** Default grace period: one hour, like zot's gcDelay (docs/gc.md#grace-period). */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export const DEFAULTS = {
  referrersPageSize: 20,
  tagsPageSize: 1000,
  catalogPageSize: 100,
  uploadExpiryMs: 60 * 60 * 1000,
  idleTimeoutMs: 60_000,
  maxUploads: 256,
  maxManifestMemory: 64 * 1024 * 1024,
  maxBlobBytes: 64 * 1024 ** 3,
} as const;

export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const tls = options.tls ? await loadTls(options.tls) : undefined;
  const loaded = options.auth ? await loadAuth(options.auth) : undefined;
  const store = await ImageStore.open(options.root, {
    maxBlobBytes: options.maxBlobBytes ?? DEFAULTS.maxBlobBytes,
    ...(options.runningHashes === undefined ? {} : { runningHashes: options.runningHashes }),
    ...(options.summaryDescriptors === undefined ? {} : { summaryDescriptors: options.summaryDescriptors }),
  });
  const recovered = await store.recover();
  const faults = options.faults === undefined ? undefined : options.faults instanceof FaultSet ? options.faults : new FaultSet(options.faults);
  if (faults) {
    injectStoreFaults(store, faults);
    injectGcFaults(store, faults);
  }
  const config: RegistryConfig = {
    store,
    deletes: { manifests: true, tags: true, blobs: true, ...options.deletes },
    autoMount: options.autoMount ?? false,
    pages: {
      referrers: options.referrersPageSize ?? DEFAULTS.referrersPageSize,
      tags: options.tagsPageSize ?? DEFAULTS.tagsPageSize,
      catalog: options.catalogPageSize ?? DEFAULTS.catalogPageSize,
    },
    limits: new Limits({ uploads: options.maxUploads ?? DEFAULTS.maxUploads, manifestBytes: options.maxManifestMemory ?? DEFAULTS.maxManifestMemory }),
    gc: { graceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS, deleteUntagged: options.gcDeleteUntagged ?? false },
    log: options.log ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`)),
  };
  const auth = loaded && faults ? { ...loaded, parts: withAuthFaults(loaded.parts, faults) } : loaded;
  const handler = createRegistryHandler(config, auth && ((next) => withAuth(next, auth)));
  const idleMs = options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  // No overall request timeout (a large blob may take long), but no connection may sit idle.
  const timeouts = { requestTimeout: 0, headersTimeout: idleMs, keepAliveTimeout: Math.min(5_000, idleMs) };
  const faulty = faults ? withHttpFaults(handler, store, faults) : handler;
  const listener = options.wrap ? options.wrap(faulty) : faulty;
  const server = tls ? createHttpsServer({ ...timeouts, ...tls }, listener) : createServer(timeouts, listener);
  server.setTimeout(idleMs, (socket) => socket.destroy());
  answerConnect(server);
  let inFlight = 0;
  server.on('request', (_req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const timers = [
    options.gcIntervalMs === undefined ? undefined : every(options.gcIntervalMs, 'gc', () => store.collectGarbage(config.gc)),
    (options.uploadExpiryMs ?? DEFAULTS.uploadExpiryMs) === 0 ? undefined : expireUploads(store, options.uploadExpiryMs ?? DEFAULTS.uploadExpiryMs),
  ];
  const stopTimers = (): void => {
    for (const timer of timers) clearInterval(timer);
  };
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    store,
    server,
    config,
    faults,
    recovered,
    close: async () => {
      stopTimers();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    drain: async (drainMs) => {
      stopTimers();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const before = inFlight;
      const deadline = Date.now() + drainMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        server.closeIdleConnections();
      }
      const cut = inFlight;
      server.closeAllConnections();
      await closed;
      return { finished: before - cut, cut };
    },
  };
}

/** Runs `task` every `ms`, never two at once, never keeping the process alive. */
function every(ms: number, what: string, task: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error: unknown) => process.stderr.write(`${what} failed: ${String(error)}\n`))
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}

/** Abandoned upload sessions go after `expiryMs` idle, checked ten times per expiry period (at most every ten minutes). */
function expireUploads(store: ImageStore, expiryMs: number): NodeJS.Timeout {
  return every(Math.min(expiryMs / 10, 10 * 60_000), 'upload expiry', () => store.uploads.expireIdle(Date.now() - expiryMs));
}
