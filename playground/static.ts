/**
 * The page's own files (playground/web/): HTML, ES modules, CSS, served as they are — no build
 * step, no CDN, nothing fetched from anywhere else. Only files present at start-up are served,
 * looked up by exact name, so no request path can reach outside the folder.
 */
import { readFile, readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { ServerResponse } from 'node:http';

const WEB_DIR = resolve(import.meta.dirname, 'web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export class StaticFiles {
  readonly #files: ReadonlyMap<string, string>;

  private constructor(files: ReadonlyMap<string, string>) {
    this.#files = files;
  }

  static async load(dir = WEB_DIR): Promise<StaticFiles> {
    const names = (await readdir(dir)).filter((name) => Object.hasOwn(TYPES, extname(name)));
    return new StaticFiles(new Map(names.map((name) => [name, join(dir, name)])));
  }

  /** Serves `name` (a file name, no directory); false when there is no such file. */
  async serve(name: string, res: ServerResponse, head = false): Promise<boolean> {
    const path = this.#files.get(name);
    if (path === undefined) return false;
    const body = await readFile(path);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(name)] as string,
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // Everything the page needs comes from here; nothing from anywhere else.
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
    });
    res.end(head ? undefined : body);
    return true;
  }
}
