/**
 * `touchstone play`, put together: the reference registry (reference/registry.ts) over a
 * temporary store or --root DIR, with a switchable FaultSet and, through its `wrap` option, the
 * capture layer (capture.ts) that feeds the live request log; the page and its API (routes.ts)
 * on the same server and port. One origin for both: the page's fetches are same-origin, so the
 * registry needs no CORS headers and answers the page exactly as it answers skopeo or curl, and
 * every request, from the page or from outside, passes the same capture layer. Binds 127.0.0.1
 * unless told otherwise; writes nowhere but the store's directory.
 */
import { dir } from 'tmp-promise';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_GC_GRACE_MS, startRegistry, type RunningRegistry } from '../reference/registry.ts';
import { FaultSet } from '../reference/faults/catalog.ts';
import { ExchangeTap } from './capture.ts';
import { EventHub } from './events.ts';
import { Lessons } from './lessons.ts';
import { RequestLogBook } from './request-log.ts';
import { isPlaygroundPath, PlayRoutes } from './routes.ts';
import { StaticFiles } from './static.ts';

export interface PlaygroundOptions {
  /** The store's directory; a temporary one (removed on close) when absent. */
  readonly root?: string;
  readonly host?: string;
  readonly port?: number;
  readonly gcGraceMs?: number;
}

export interface Playground {
  readonly url: string;
  readonly root: string;
  readonly registry: RunningRegistry;
  readonly book: RequestLogBook;
  close(): Promise<void>;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const temporary = options.root === undefined ? await dir({ unsafeCleanup: true, prefix: 'touchstone-play-' }) : undefined;
  const root = options.root ?? (temporary?.path as string);
  const book = new RequestLogBook();
  const hub = new EventHub();
  const tap = new ExchangeTap((exchange) => book.add(exchange));
  const files = await StaticFiles.load();
  let routes: PlayRoutes | undefined;
  const wrap = (listener: (req: IncomingMessage, res: ServerResponse) => void) => {
    const tapped = tap.wrap(listener);
    return (req: IncomingMessage, res: ServerResponse): void => {
      if (!isPlaygroundPath(req.url ?? '')) tapped(req, res);
      else if (routes) routes.handle(req, res);
      else res.writeHead(503, { 'Retry-After': '1', 'Content-Length': 0 }).end();
    };
  };
  let registry: RunningRegistry;
  try {
    registry = await startRegistry({
      root,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      gcGraceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
      gcDeleteUntagged: true,
      faults: new FaultSet(),
      log: tap.log,
      wrap,
    });
  } catch (error) {
    hub.close();
    await temporary?.cleanup();
    throw error;
  }
  const lessons = await Lessons.load(registry.faults as FaultSet, registry.url, registry.config);
  routes = new PlayRoutes({ registry, root, temporary: temporary !== undefined, book, hub, lessons, files });
  book.onEntry((summary) => {
    hub.send('request', summary);
    if (WRITES.has(summary.method) && summary.status < 500) hub.send('store', { reason: 'request', repository: summary.repository });
  });
  return {
    url: registry.url,
    root,
    registry,
    book,
    close: async () => {
      hub.close();
      await registry.close();
      await temporary?.cleanup();
    },
  };
}
