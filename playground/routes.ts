/**
 * The page's own routes, beside the registry's /v2/ on the same origin: `/` (the page),
 * `/_play/web/<file>` (its files), `/_play/events` (Server-Sent Events), and `/_play/api/…`:
 * state, walkthroughs, the request log, the store, GC explained and run, faults and lessons.
 * Answers are JSON; a request that changes something (POST) must carry a JSON body and come from
 * this origin (a page elsewhere cannot switch faults or run GC: no CORS, and Origin is checked).
 * None of these requests reach the registry or its log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStoreError } from '../reference/store/errors.ts';
import type { RunningRegistry } from '../reference/registry.ts';
import { SPEC_MAIN_URL, SPEC_URL } from '../spec/sentences.ts';
import { describeBlob, describeManifest, describeRepository, listRepositories } from './store-view.ts';
import { explainGc, MAX_ADVANCE_SECONDS, runGc, type GcOptionsInput } from './gc-explain.ts';
import { buildWalkthrough, WALKTHROUGHS } from './walkthroughs/index.ts';
import type { EventHub } from './events.ts';
import { isLessonFault, type Lessons } from './lessons.ts';
import type { RequestLogBook } from './request-log.ts';
import type { StaticFiles } from './static.ts';

/** The largest JSON body the API reads. */
const MAX_BODY = 64 * 1024;

export interface PlayContext {
  readonly registry: RunningRegistry;
  /** The store's directory, and whether it is a temporary one removed on exit. */
  readonly root: string;
  readonly temporary: boolean;
  readonly book: RequestLogBook;
  readonly hub: EventHub;
  readonly lessons: Lessons;
  readonly files: StaticFiles;
}

class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function isPlaygroundPath(target: string): boolean {
  return target === '/' || target.startsWith('/?') || target.startsWith('/_play/');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** A POST from this origin with a JSON body (at most MAX_BODY bytes). */
async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const origin = req.headers.origin;
  if (origin !== undefined && new URL(origin).host !== req.headers.host) throw new ApiError(403, `requests from ${origin} may not change this playground`);
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new ApiError(415, 'send Content-Type: application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError(400, 'the body must be a JSON object');
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new ApiError(400, `missing ?${name}=`);
  return value;
}

function gcInput(advance: unknown, untagged: unknown, fallbackUntagged: boolean): GcOptionsInput {
  const advanceSeconds = advance === undefined || advance === null || advance === '' ? 0 : Number(advance);
  if (!Number.isFinite(advanceSeconds) || advanceSeconds < 0 || advanceSeconds > MAX_ADVANCE_SECONDS) throw new ApiError(400, `advance must be between 0 and ${MAX_ADVANCE_SECONDS} seconds`);
  const deleteUntagged = untagged === undefined || untagged === null ? fallbackUntagged : untagged === true || untagged === '1' || untagged === 'true';
  return { advanceSeconds, deleteUntagged };
}

export class PlayRoutes {
  readonly #play: PlayContext;
  /** Repository names walkthroughs have handed out. */
  readonly #given = new Set<string>();

  constructor(play: PlayContext) {
    this.#play = play;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) sendJson(res, error.status, { error: error.message });
      else if (isStoreError(error)) sendJson(res, ['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN'].includes(error.kind) ? 404 : 400, { error: error.message, code: error.kind });
      else sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://playground.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const { registry, book, hub, lessons, files } = this.#play;
    const store = registry.store;
    const get = method === 'GET' || method === 'HEAD';

    if (get && path === '/') {
      await files.serve('index.html', res, method === 'HEAD');
      return;
    }
    if (get && path.startsWith('/_play/web/')) {
      if (!(await files.serve(path.slice('/_play/web/'.length), res, method === 'HEAD'))) throw new ApiError(404, `no file ${path}`);
      return;
    }
    if (get && path === '/_play/events') {
      hub.attach(req, res, [
        { event: 'faults', data: this.#faults() },
        { event: 'history', data: book.recent() },
      ]);
      return;
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /_play/api/state':
        sendJson(res, 200, {
          url: registry.url,
          root: this.#play.root,
          temporary: this.#play.temporary,
          gc: { graceSeconds: registry.config.gc.graceMs / 1000, deleteUntagged: registry.config.gc.deleteUntagged },
          spec: { v1: SPEC_URL, main: SPEC_MAIN_URL },
          walkthroughs: WALKTHROUGHS.map(({ id, title, summary }) => ({ id, title, summary })),
        });
        return;
      case 'GET /_play/api/walkthrough': {
        const id = required(url.searchParams, 'id');
        const definition = WALKTHROUGHS.find((w) => w.id === id);
        if (!definition) throw new ApiError(404, `no walkthrough ${id}`);
        const { graceMs, deleteUntagged } = registry.config.gc;
        sendJson(res, 200, await buildWalkthrough(definition, store, this.#given, { graceSeconds: graceMs / 1000, deleteUntagged }));
        return;
      }
      case 'GET /_play/api/log':
        sendJson(res, 200, book.recent());
        return;
      case 'GET /_play/api/log/entry': {
        const detail = book.detail(Number(required(url.searchParams, 'id')));
        if (!detail) throw new ApiError(404, 'that request is no longer in the log');
        sendJson(res, 200, detail);
        return;
      }
      case 'GET /_play/api/store':
        sendJson(res, 200, await listRepositories(store));
        return;
      case 'GET /_play/api/store/repository': {
        const view = await describeRepository(store, required(url.searchParams, 'name'));
        if (!view) throw new ApiError(404, 'no such repository');
        sendJson(res, 200, view);
        return;
      }
      case 'GET /_play/api/store/manifest':
        sendJson(res, 200, await describeManifest(store, required(url.searchParams, 'name'), required(url.searchParams, 'digest')));
        return;
      case 'GET /_play/api/store/blob':
        sendJson(res, 200, await describeBlob(store, required(url.searchParams, 'name'), required(url.searchParams, 'digest')));
        return;
      case 'GET /_play/api/gc/explain': {
        const input = gcInput(url.searchParams.get('advance'), url.searchParams.get('untagged'), registry.config.gc.deleteUntagged);
        sendJson(res, 200, await explainGc(store, registry.config.gc.graceMs, input));
        return;
      }
      case 'POST /_play/api/gc/run': {
        const body = await jsonBody(req);
        const outcome = await runGc(store, registry.config.gc.graceMs, gcInput(body.advanceSeconds, body.deleteUntagged, registry.config.gc.deleteUntagged));
        hub.send('store', { reason: 'gc' });
        sendJson(res, 200, outcome);
        return;
      }
      case 'GET /_play/api/lessons':
        sendJson(res, 200, { busy: lessons.busy, lessons: lessons.list() });
        return;
      case 'POST /_play/api/faults': {
        const body = await jsonBody(req);
        if (typeof body.fault !== 'string' || typeof body.on !== 'boolean' || !lessons.set(body.fault, body.on)) throw new ApiError(400, 'send {"fault": <a name of the catalog>, "on": true|false}');
        hub.send('faults', this.#faults());
        sendJson(res, 200, this.#faults());
        return;
      }
      case 'POST /_play/api/lessons/run': {
        const body = await jsonBody(req);
        if (typeof body.fault !== 'string' || !isLessonFault(body.fault)) throw new ApiError(400, 'send {"fault": <a name of the catalog>}');
        if (lessons.busy) throw new ApiError(409, 'a lesson is running; wait for it');
        hub.send('lesson', { fault: body.fault, running: true });
        try {
          sendJson(res, 200, await lessons.run(body.fault));
        } finally {
          hub.send('lesson', { fault: body.fault, running: false });
          hub.send('store', { reason: 'lesson' });
        }
        return;
      }
      default:
        throw new ApiError(404, `nothing at ${method} ${path}`);
    }
  }

  #faults(): { active: string[] } {
    return { active: this.#play.lessons.list().filter((lesson) => lesson.active).map((lesson) => lesson.fault) };
  }
}
