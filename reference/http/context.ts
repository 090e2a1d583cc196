/**
 * What every handler receives: the registry's configuration, the request and response, the parsed
 * URL, and the path parameters its route captured.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageStore } from '../store/image-store.ts';
import type { GcOptions } from '../store/gc.ts';
import type { Limits } from './limits.ts';

export interface RequestLog {
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly ms: number;
}

export interface RegistryConfig {
  readonly store: ImageStore;
  /** Each delete can be turned off; it then answers 405 UNSUPPORTED (spec end-9, end-10). */
  readonly deletes: { readonly manifests: boolean; readonly tags: boolean; readonly blobs: boolean };
  /** Mount without `from` searches every repository (spec "automatic content discovery"). */
  readonly autoMount: boolean;
  /** Most entries of one page before a Link header points at the next: referrers, and tags and the catalog when `n` is absent or larger. */
  readonly pages: { readonly referrers: number; readonly tags: number; readonly catalog: number };
  /** Uploads streaming and manifest bytes held at once: 429 above them. */
  readonly limits: Limits;
  /** What POST /_touchstone/gc collects. */
  readonly gc: Omit<GcOptions, 'now'>;
  readonly log: (entry: RequestLog) => void;
}

export interface Context {
  readonly config: RegistryConfig;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Repository name (empty for /v2/ itself). */
  readonly name: string;
  /** The last path parameter: a reference, digest or upload id. */
  readonly ref: string;
}

export type Handler = (ctx: Context) => Promise<void>;
