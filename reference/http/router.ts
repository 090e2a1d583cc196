/**
 * Routes /v2/ requests to one handler per resource (spec §"Endpoints" table end-1 … end-14), logs
 * one structured line per request, and turns every thrown error into its response. Names may
 * contain "/", so each route captures the name greedily and the last segment decides: an upload
 * id never contains ":", a digest always does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getBase } from './base.ts';
import { deleteBlob, getBlob } from './blobs.ts';
import { cancelUpload, getUpload, patchUpload, putUpload, startUpload } from './uploads.ts';
import { deleteManifest, getManifest, putManifest } from './manifests.ts';
import { listTags } from './tags.ts';
import { listReferrers } from './referrers.ts';
import { runGc } from './admin.ts';
import { HttpError } from './errors.ts';
import { sendError } from './respond.ts';
import type { Context, Handler, RegistryConfig } from './context.ts';

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

const ROUTES: readonly Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: getBase, HEAD: getBase } },
  { pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: listTags } },
  { pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: listReferrers } },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: startUpload } },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/:]+)$/, methods: { GET: getUpload, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload } },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
  { pattern: /^\/_touchstone\/gc$/, methods: { POST: runGc } },
];

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds the registry's request listener; `layer` wraps the dispatch (authentication) inside the
 * request log, so that every request is logged, also those the layer answers itself.
 */
export function createRegistryHandler(config: RegistryConfig, layer: (next: Listener) => Listener = (next) => next): Listener {
  const handle = layer((req, res) => {
    dispatch(config, req, res).catch((error: unknown) => {
      sendError(res, error, config.faults.has('error-codes-nonstandard'));
    });
  });
  return (req, res) => {
    const started = performance.now();
    const socket = req.socket;
    const readBefore = socket.bytesRead;
    const writtenBefore = socket.bytesWritten;
    res.on('close', () => {
      config.log({
        time: new Date().toISOString(),
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        bytesIn: socket.bytesRead - readBefore,
        bytesOut: socket.bytesWritten - writtenBefore,
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    });
    handle(req, res);
  };
}

async function dispatch(config: RegistryConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://registry.invalid');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError('ROUTE_UNKNOWN', `malformed path ${url.pathname}`);
  }
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const handler = route.methods[req.method ?? ''];
    if (!handler) {
      throw new HttpError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`, {}, { Allow: Object.keys(route.methods).join(', ') });
    }
    const context: Context = { config, req, res, url, name: match[1] ?? '', ref: match[2] ?? '' };
    await handler(context);
    return;
  }
  throw new HttpError('ROUTE_UNKNOWN', `no endpoint at ${path}`);
}
