/**
 * Grammars of the OCI Distribution Spec v1.1 (§ "Definitions" and "Pulling manifests"):
 * repository names, tags, digests, and the digest algorithms this project knows.
 * Data only: both the reference registry and the conformance suite validate with these,
 * so the two halves can never disagree on what a valid name is.
 */

/** Repository name: path components separated by "/" (spec: `<name>` grammar). */
export const NAME_PATTERN =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Many clients cap host + name at 255 characters; a name alone never needs more. */
export const NAME_MAX_LENGTH = 255;

/** Tag: up to 128 characters, not starting with "." or "-" (spec: `<reference>` as a tag). */
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Digest: `algorithm ":" encoded` (image-spec descriptor.md "Digests"). */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Registered algorithms and the exact form of their encoded part (lowercase hex only). */
export const DIGEST_ALGORITHMS = {
  sha256: { encoded: /^[a-f0-9]{64}$/, requirement: 'MUST' },
  sha512: { encoded: /^[a-f0-9]{128}$/, requirement: 'MAY' },
} as const;

export type DigestAlgorithm = keyof typeof DIGEST_ALGORITHMS;

/** Content-Range of a chunked PATCH: `<start>-<end>`, inclusive, no unit (spec "Pushing a blob in chunks"). */
export const CONTENT_RANGE_PATTERN = /^([0-9]+)-([0-9]+)$/;

/** The digest of the empty blob, handy for tests and checks. */
export const EMPTY_BLOB_SHA256 =
  'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
