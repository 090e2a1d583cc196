/**
 * Routes /v2/ requests to one handler per resource (spec §"Endpoints" table end-1 … end-14), logs
 * one structured line per request, and turns every thrown error into its response. Names may
 * contain "/", so each route captures the name greedily and the last segment decides: an upload
 * id never contains ":", a digest always does. `classify` tells anyone outside the router (the
 * layers composed around the registry, a request log) which resource and endpoint a request is for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getBase } from './base.ts';
import { deleteBlob, getBlob } from './blobs.ts';
import { cancelUpload, getUpload, patchUpload, putUpload, startUpload } from './uploads.ts';
import { deleteManifest, getManifest, putManifest } from './manifests.ts';
import { listTags } from './tags.ts';
import { listCatalog } from './catalog.ts';
import { listReferrers } from './referrers.ts';
import { runGc } from './admin.ts';
import { HttpError } from './errors.ts';
import { sendError } from './respond.ts';
import type { Context, Handler, RegistryConfig } from './context.ts';

/** What a request path addresses; `name` and `ref` are its path parameters. */
export type Resource = 'base' | 'catalog' | 'tags' | 'manifest' | 'referrers' | 'uploads' | 'upload' | 'blob' | 'admin-gc';

interface Route {
  readonly resource: Resource;
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

const ROUTES: readonly Route[] = [
  { resource: 'base', pattern: /^\/v2\/?$/, methods: { GET: getBase, HEAD: getBase } },
  // Not an endpoint of the spec ("reserved for historical usage"); before the name routes: _catalog is no name.
  { resource: 'catalog', pattern: /^\/v2\/_catalog$/, methods: { GET: listCatalog } },
  { resource: 'tags', pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: listTags } },
  { resource: 'manifest', pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
  { resource: 'referrers', pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: listReferrers } },
  { resource: 'uploads', pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: startUpload } },
  { resource: 'upload', pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/:]+)$/, methods: { GET: getUpload, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload } },
  { resource: 'blob', pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
  { resource: 'admin-gc', pattern: /^\/_touchstone\/gc$/, methods: { POST: runGc } },
];

/** The spec's endpoint ids (§"Endpoints"), by resource and method; the ids of end-4 and end-11 depend on the query. */
const ENDPOINTS: Readonly<Record<Resource, Readonly<Record<string, string>>>> = {
  base: { GET: 'end-1', HEAD: 'end-1' },
  catalog: {},
  tags: { GET: 'end-8' },
  manifest: { GET: 'end-3', HEAD: 'end-3', PUT: 'end-7', DELETE: 'end-9' },
  referrers: { GET: 'end-12' },
  uploads: { POST: 'end-4a' },
  upload: { PATCH: 'end-5', PUT: 'end-6', GET: 'end-13', DELETE: 'end-14' },
  blob: { GET: 'end-2', HEAD: 'end-2', DELETE: 'end-10' },
  'admin-gc': {},
};

export interface Classified {
  readonly resource: Resource;
  readonly name: string;
  readonly ref: string;
  /** The spec endpoint id (end-1 … end-14), when the method is one the spec defines there. */
  readonly endpoint: string | undefined;
  readonly url: URL;
  readonly path: string;
}

/**
 * Which resource a request addresses, or undefined for no endpoint. Throws TARGET_INVALID (400)
 * for a request target that is not a path at all: an absolute URL with a bad authority
 * (`//a:99999/v2/`), a percent-encoding that does not decode.
 */
export function classify(method: string, target: string): Classified | undefined {
  const url = parseTarget(target);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError('TARGET_INVALID', `malformed percent-encoding in ${url.pathname.slice(0, 200)}`);
  }
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const query = url.searchParams;
    let endpoint = ENDPOINTS[route.resource][method];
    if (route.resource === 'uploads' && method === 'POST') {
      endpoint = query.has('mount') ? 'end-11' : query.has('digest') ? 'end-4b' : 'end-4a';
    }
    return { resource: route.resource, name: match[1] ?? '', ref: match[2] ?? '', endpoint, url, path };
  }
  return undefined;
}

/**
 * The request target as a URL (RFC 9112 §3.2): origin-form (`/v2/…`) is what clients send;
 * undefined for an absolute-form or authority-like target that does not parse (`//host:99999/…`).
 * The router and the access layer (reference/auth/layer.ts) read targets through this one parser.
 */
export function targetUrl(target: string): URL | undefined {
  return URL.parse(target, 'http://registry.invalid') ?? undefined;
}

/** The request target as a URL; one that does not parse is a client error, never a 5xx. */
function parseTarget(target: string): URL {
  const url = targetUrl(target);
  if (url === undefined) throw new HttpError('TARGET_INVALID', `request target ${JSON.stringify(target.slice(0, 200))} is not a path`);
  return url;
}

/**
 * Where the previous request on a connection ended, in bytes read and written: Node has often read
 * a request's headers and body before the handler runs, so counting from there would log 0.
 */
const connectionMarks = new WeakMap<Socket, { read: number; written: number }>();

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds the registry's request listener; `layer` wraps the dispatch (access control) inside the
 * request log, so that every request is logged, also those the layer answers itself.
 */
export function createRegistryHandler(config: RegistryConfig, layer: (next: Listener) => Listener = (next) => next): Listener {
  const handle = layer((req, res) => {
    dispatch(config, req, res).catch((error: unknown) => {
      sendError(res, error);
    });
  });
  return (req, res) => {
    const started = performance.now();
    const socket = req.socket;
    const mark = connectionMarks.get(socket) ?? { read: 0, written: 0 };
    res.on('close', () => {
      const now = { read: socket.bytesRead, written: socket.bytesWritten };
      connectionMarks.set(socket, now);
      config.log({
        time: new Date().toISOString(),
        method: req.method ?? '',
        // As the registry saw it: access control takes secrets out of the query before it goes on.
        path: req.url ?? '',
        status: res.statusCode,
        bytesIn: now.read - mark.read,
        bytesOut: now.written - mark.written,
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    });
    handle(req, res);
  };
}

async function dispatch(config: RegistryConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? '';
  const found = classify(method, req.url ?? '/');
  if (!found) throw new HttpError('ROUTE_UNKNOWN', `no endpoint at ${(req.url ?? '/').slice(0, 200)}`);
  const route = ROUTES.find((r) => r.resource === found.resource) as Route;
  const handler = route.methods[method];
  if (!handler) {
    throw new HttpError('METHOD_NOT_ALLOWED', `${method} is not allowed here`, {}, { Allow: Object.keys(route.methods).join(', ') });
  }
  const context: Context = { config, req, res, url: found.url, name: found.name, ref: found.ref };
  await handler(context);
}
