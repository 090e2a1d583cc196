/**
 * Errors the image store raises. Each kind names one way a request can be wrong or a thing can be
 * missing; the store knows nothing of HTTP, and reference/http/errors.ts maps every kind to its
 * spec error code and status in one table.
 */

export type StoreErrorKind =
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'TAG_INVALID'
  | 'DIGEST_INVALID'
  | 'DIGEST_UNSUPPORTED'
  | 'DIGEST_MISMATCH'
  | 'BLOB_UNKNOWN'
  | 'BLOB_REFERENCED'
  | 'UPLOAD_UNKNOWN'
  | 'UPLOAD_INVALID'
  | 'UPLOAD_OUT_OF_ORDER'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_TOO_LARGE'
  | 'BLOB_TOO_LARGE';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly kind: StoreErrorKind;
  readonly detail: unknown;

  constructor(kind: StoreErrorKind, message: string, detail?: unknown) {
    super(message);
    this.kind = kind;
    this.detail = detail;
  }
}

export function isStoreError(error: unknown, kind?: StoreErrorKind): error is StoreError {
  return error instanceof StoreError && (kind === undefined || error.kind === kind);
}

/** True for a file-system error meaning "no such file or directory". */
export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
