/**
 * The one error table of the reference registry (like distribution's registry/api/errcode): every
 * way a request can fail, registered once with the spec error code (spec §"Error Codes", a closed
 * set: spec/error-codes.ts) and the HTTP status it is sent with. Store errors map by kind; the
 * HTTP layer adds the few failures only it can see.
 */
import type { ErrorCode } from '../../spec/error-codes.ts';
import type { StoreErrorKind } from '../store/errors.ts';

export type HttpErrorKind =
  | StoreErrorKind
  | 'DELETE_DISABLED'
  | 'METHOD_NOT_ALLOWED'
  | 'ROUTE_UNKNOWN'
  | 'TARGET_INVALID'
  | 'DIGEST_MISSING'
  | 'CONTENT_RANGE_INVALID'
  | 'PAGINATION_INVALID'
  | 'PARAMETER_INVALID'
  | 'RANGE_NOT_SATISFIABLE'
  | 'TOO_MANY_REQUESTS'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'TOKEN_REQUEST_INVALID';

export interface ErrorEntry {
  readonly code: ErrorCode;
  readonly status: number;
  /** Where the spec fixes this response, or why this code was chosen. */
  readonly why: string;
}

export const ERROR_TABLE: Readonly<Record<HttpErrorKind, ErrorEntry>> = {
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, why: 'name fails the <name> grammar' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, why: 'tags/list of a repository that does not exist (end-8a)' },
  TAG_INVALID: { code: 'MANIFEST_INVALID', status: 400, why: 'tag fails the <reference> grammar; the closed code set has no tag code' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, why: 'digest fails the digest grammar' },
  DIGEST_UNSUPPORTED: { code: 'DIGEST_INVALID', status: 400, why: 'algorithm other than sha256/sha512 (end-4c: 400)' },
  DIGEST_MISMATCH: { code: 'DIGEST_INVALID', status: 400, why: 'content does not match the digest given (end-6, end-7)' },
  DIGEST_MISSING: { code: 'DIGEST_INVALID', status: 400, why: 'PUT closing an upload without ?digest= (end-6)' },
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, why: 'end-2, end-10' },
  BLOB_REFERENCED: { code: 'DENIED', status: 405, why: 'a manifest still references the blob (named in detail); delete the manifest first. 405 is among the answers clients and the official suite accept for a blob delete (end-10)' },
  UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, why: 'end-5, end-6, end-13, end-14' },
  UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, why: 'chunk length disagrees with Content-Range/Content-Length' },
  UPLOAD_OUT_OF_ORDER: { code: 'BLOB_UPLOAD_INVALID', status: 416, why: 'chunk not starting at the current size MUST get 416' },
  CONTENT_RANGE_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, why: 'Content-Range MUST match ^[0-9]+-[0-9]+$' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, why: 'end-3, end-9' },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, why: 'end-7' },
  MANIFEST_BLOB_UNKNOWN: { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, why: 'config, layer or child missing (end-7)' },
  MANIFEST_TOO_LARGE: { code: 'SIZE_INVALID', status: 413, why: 'manifest above 4 MiB: 413 (end-7)' },
  BLOB_TOO_LARGE: { code: 'SIZE_INVALID', status: 413, why: 'an upload that would make the blob larger than the registry\'s maximum blob size' },
  DELETE_DISABLED: { code: 'UNSUPPORTED', status: 405, why: 'deletes disabled by configuration (end-9, end-10)' },
  METHOD_NOT_ALLOWED: { code: 'UNSUPPORTED', status: 405, why: 'method not defined for this endpoint' },
  ROUTE_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, why: 'no endpoint at this path' },
  TARGET_INVALID: { code: 'UNSUPPORTED', status: 400, why: 'a request target that is not a path, or whose percent-encoding does not decode (RFC 9112 §3.2)' },
  PAGINATION_INVALID: { code: 'UNSUPPORTED', status: 400, why: 'n is not a non-negative integer; the closed code set has no pagination code' },
  PARAMETER_INVALID: { code: 'UNSUPPORTED', status: 400, why: 'a parameter of the registry\'s own admin endpoint is malformed' },
  RANGE_NOT_SATISFIABLE: { code: 'SIZE_INVALID', status: 416, why: 'Range outside the blob (RFC 9110 §15.5.17)' },
  TOO_MANY_REQUESTS: { code: 'TOOMANYREQUESTS', status: 429, why: 'more uploads or manifest bytes at once than the registry takes; Retry-After says when to try again (code-14)' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, why: 'no credentials, wrong ones, or a token that does not hold the scope; WWW-Authenticate says how to authenticate' },
  DENIED: { code: 'DENIED', status: 403, why: 'the caller is known but the policy does not grant the action' },
  TOKEN_REQUEST_INVALID: { code: 'UNSUPPORTED', status: 400, why: 'a /token request names another service or a malformed scope (token authentication spec)' },
};

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly kind: HttpErrorKind;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(kind: HttpErrorKind, message: string, detail?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.kind = kind;
    this.detail = detail;
    this.headers = headers;
  }
}
