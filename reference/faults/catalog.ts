/**
 * The fault catalog: small, named deviations from the spec that real registries shipped. The
 * reference registry can be started with any of them (`touchstone serve --fault NAME`) so the
 * conformance suite can prove it catches each one (`npm run faults`). They live outside the
 * registry: reference/faults/store.ts and gc.ts decorate the image store's operations,
 * reference/faults/http.ts rewrites requests and answers around the HTTP front; reference/http
 * and reference/store contain only the registry. All are off by default; each entry says which
 * real bug it mirrors.
 */

import { AUTH_FAULTS, type AuthFaultName } from './auth.ts';

export const FAULT_CATALOG = {
  // Garbage collection
  'gc-no-grace': 'GC ignores the grace period and deletes blobs uploaded for a manifest not pushed yet (zot\'s early code: GC after every PUT, docs/deviations.md#zots-early-storage-code)',
  'gc-shared-layers': 'GC deletes the layers of a deleted manifest even when another image still shares them (reference counting by manifest)',
  'gc-untagged-index-children': 'GC with untagged deletion removes the children of a still-tagged index (Distribution 2.8.2 --delete-untagged, docs/deviations.md#cncf-distribution-282)',
  'gc-drops-referrers': 'GC with untagged deletion removes referrers (signatures, SBOMs) of live images (zot before referrers-aware GC)',
  'gc-purges-uploads': 'GC deletes upload sessions in progress whatever their age (Distribution upload purging with no age)',
  // Manifests, tags, deletes
  'delete-manifest-leaves-tags': 'deleting a manifest by digest removes one index entry and leaves its other tags dangling (zot\'s early code, docs/deviations.md#zots-early-storage-code)',
  'delete-tag-deletes-manifest': 'deleting a tag deletes the manifest and every other tag pointing to it',
  'lost-tag-updates': 'index.json read-modify-write without the lock: concurrent pushes lose tags (zot\'s early code: mutex never used, docs/deviations.md#zots-early-storage-code)',
  'tag-move-drops-old-manifest': 'moving a tag drops the previous manifest from the repository, so its digest 404s (zot\'s early PutImageManifest, docs/deviations.md#zots-early-storage-code)',
  'manifest-digest-not-verified': 'PUT by digest stores a body whose digest differs from the reference (no verification)',
  'manifest-reformatted': 'manifests are re-serialized on GET instead of served byte-exact, so their digest changes',
  'manifest-content-type-wrong': 'manifests are served as application/json instead of the media type they were pushed with',
  'manifest-digest-header-missing': 'GET/HEAD of a manifest answer without Docker-Content-Digest',
  'subject-header-missing': 'a manifest with a subject is accepted without the OCI-Subject response header',
  'invalid-digest-500': 'an invalid digest in a manifest path gives 500 instead of a 4xx (Distribution 2.8.2, docs/deviations.md#cncf-distribution-282)',
  // Tags listing
  'tags-unsorted': 'tags listed in index order, not lexical order (zot\'s early GetImageTags, docs/deviations.md#zots-early-storage-code)',
  'tags-last-inclusive': 'tags/list?last=X includes X itself',
  'tags-paging-repeats': 'the Link to the next page repeats the last tag of the current page',
  'tags-paging-skips': 'the next page skips one tag after `last`',
  'tags-n-ignored': 'tags/list ignores n and returns every tag (Distribution 2.8.2, docs/deviations.md#cncf-distribution-282)',
  // Blobs and uploads
  'blob-digest-header-wrong': 'blob GET/HEAD answer with a Docker-Content-Digest that is not the blob digest',
  'blob-body-corrupted': 'blob bodies are served with one byte flipped (a corrupt storage backend)',
  'blob-body-truncated': 'blob bodies are served one byte short',
  'blob-cross-repo': 'a blob pushed to one repository is served from every repository (global blob lookup ignoring repository scope)',
  'range-off-by-one': 'Range requests get 206 with the bytes shifted by one',
  'chunk-out-of-order-accepted': 'a chunk whose start is not the current size is accepted with 202 instead of 416 (Distribution 2.8.2, docs/deviations.md#cncf-distribution-282)',
  'put-last-chunk-ignored': 'the final chunk carried by the closing PUT is ignored (zot\'s early FinishBlobUpload, docs/deviations.md#zots-early-storage-code)',
  'upload-digest-not-verified': 'closing an upload stores the content under the digest the client claims, unverified',
  'upload-range-off-by-one': 'upload progress reports Range: 0-<size> instead of 0-<size - 1>',
  'cancelled-upload-accepts-data': 'DELETE of an upload session answers 204 but the session keeps accepting data',
  'mount-without-blob': 'a cross-repository mount answers 201 without making the blob available',
  // Referrers and errors
  'referrers-filter-ignored': 'the referrers API claims OCI-Filters-Applied: artifactType but returns every referrer',
  'referrers-404-when-empty': 'the referrers API answers 404 for a digest nothing refers to, instead of an empty index',
  'error-codes-nonstandard': 'error bodies carry codes outside the spec\'s closed set (NOT_FOUND, BAD_REQUEST, …)',
} as const;

/** A fault of the registry (FAULT_CATALOG) or of its access control (AUTH_FAULTS: needs --auth). */
export type FaultName = keyof typeof FAULT_CATALOG | AuthFaultName;

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULT_CATALOG, name) || Object.hasOwn(AUTH_FAULTS, name);
}

export function isAuthFault(name: FaultName): name is AuthFaultName {
  return Object.hasOwn(AUTH_FAULTS, name);
}

/** What a fault of either catalog mirrors. */
export function faultDescription(name: FaultName): string {
  return isAuthFault(name) ? AUTH_FAULTS[name] : FAULT_CATALOG[name];
}

/**
 * The active faults of one registry. Mutable: a fault can be switched on and off while the
 * registry runs (each decorator asks at the moment it acts).
 */
export class FaultSet {
  readonly #active: Set<FaultName>;

  constructor(names: Iterable<FaultName> = []) {
    this.#active = new Set(names);
  }

  has(name: FaultName): boolean {
    return this.#active.has(name);
  }

  set(name: FaultName, on: boolean): void {
    if (on) this.#active.add(name);
    else this.#active.delete(name);
  }

  list(): FaultName[] {
    return [...this.#active];
  }
}
