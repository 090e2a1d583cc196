/**
 * Bounds on what clients can make the registry hold at once: blob uploads streaming at the same
 * time, and manifest bytes held in memory while PUT bodies arrive (a manifest is read whole to be
 * validated; a blob never is). Above either bound the answer is 429 TOOMANYREQUESTS with
 * Retry-After (spec §Error Codes, code-14), given before any byte of the body is read, and the
 * connection is closed so the unread body is not drained.
 */
import { HttpError } from './errors.ts';

export interface LimitsConfig {
  /** Requests streaming blob bytes (PATCH, PUT with a body, POST ?digest=) at the same time. */
  readonly uploads: number;
  /** Manifest bytes held in memory at once, counted by what each PUT declares (4 MiB without Content-Length). */
  readonly manifestBytes: number;
}

/** Seconds a client told to retry is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

export class Limits {
  readonly config: LimitsConfig;
  #uploads = 0;
  #manifestBytes = 0;

  constructor(config: LimitsConfig) {
    this.config = config;
  }

  /** Takes an upload slot; the returned function gives it back (once). */
  upload(): () => void {
    if (this.#uploads >= this.config.uploads) throw tooMany(`${this.#uploads} blob uploads in progress, the most this registry takes at once`);
    this.#uploads += 1;
    return once(() => {
      this.#uploads -= 1;
    });
  }

  /** Reserves `bytes` of manifest memory; the returned function gives them back (once). */
  manifest(bytes: number): () => void {
    if (this.#manifestBytes + bytes > this.config.manifestBytes) {
      throw tooMany(`${this.#manifestBytes} bytes of manifests are arriving; ${bytes} more would pass this registry's ${this.config.manifestBytes}`);
    }
    this.#manifestBytes += bytes;
    return once(() => {
      this.#manifestBytes -= bytes;
    });
  }

  /** What is held now, for tests and the start-up summary. */
  get held(): { uploads: number; manifestBytes: number } {
    return { uploads: this.#uploads, manifestBytes: this.#manifestBytes };
  }
}

function tooMany(message: string): HttpError {
  return new HttpError('TOO_MANY_REQUESTS', message, {}, { 'Retry-After': String(RETRY_AFTER_SECONDS), Connection: 'close' });
}

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
