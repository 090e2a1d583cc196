/**
 * Existing content a run reads (issue: read-only registries): `--image` references, repeatable —
 * repo:tag, repo@digest or repo:tag@digest, optionally prefixed by the registry's host as people
 * copy them from `docker pull` lines (a host is the first component when it has a "." or ":" or
 * is "localhost", Docker's rule; it must be the host of --url) — and the official suite's
 * read-only data (OCI_RO_DATA_TAGS, _MANIFESTS, _BLOBS, _REFERRERS), which name content of its
 * repo1. Names, tags and digests are checked against the spec's grammars (spec "Pulling
 * manifests"; image-spec descriptor.md "Digests") before any request is sent.
 */
import { DIGEST_PATTERN, NAME_MAX_LENGTH, NAME_PATTERN, TAG_PATTERN } from '../../spec/grammars.ts';
import type { ExistingContent, ImageRef } from '../config.ts';

export class ImageRefError extends Error {
  override readonly name = 'ImageRefError';
}

function validName(name: string, what: string): string {
  if (name.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(name)) throw new ImageRefError(`${what}: ${JSON.stringify(name)} is not a repository name (lowercase components separated by "/")`);
  return name;
}

function validDigest(digest: string, what: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new ImageRefError(`${what}: ${JSON.stringify(digest)} is not a digest (algorithm:encoded)`);
  return digest;
}

/** Parses one --image reference; `url` is the registry's URL, to recognise its host in front. */
export function parseImageRef(text: string, url: string): ImageRef {
  const what = `--image ${text}`;
  let rest = text.trim();
  const [first, ...others] = rest.split('/');
  if (others.length > 0 && first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const host = url === '' ? undefined : new URL(url).host.toLowerCase();
    if (host !== first.toLowerCase()) throw new ImageRefError(`${what} names the registry ${first}, not the one checked (${host ?? 'the embedded reference registry'})`);
    rest = others.join('/');
  }
  const at = rest.indexOf('@');
  const digest = at === -1 ? undefined : validDigest(rest.slice(at + 1), what);
  const named = at === -1 ? rest : rest.slice(0, at);
  const colon = named.lastIndexOf(':');
  const tag = colon === -1 ? undefined : named.slice(colon + 1);
  const repo = validName(colon === -1 ? named : named.slice(0, colon), what);
  if (tag !== undefined && !TAG_PATTERN.test(tag)) throw new ImageRefError(`${what}: ${JSON.stringify(tag)} is not a tag`);
  if (tag === undefined && digest === undefined) throw new ImageRefError(`${what} names no manifest: give repo:tag or repo@digest`);
  return { repo, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The content of --image flags and of the official read-only data, which lives in `repo1`. */
export function existingContent(images: readonly string[], url: string, ro: { tags: readonly string[]; manifests: readonly string[]; blobs: readonly string[]; referrers: readonly string[] }, repo1: string): ExistingContent {
  const fromRo = ro.tags.length + ro.manifests.length + ro.blobs.length + ro.referrers.length > 0;
  if (fromRo) validName(repo1, 'OCI_REPO1 (where OCI_RO_DATA_* live)');
  const tagged = ro.tags.map((tag) => {
    if (!TAG_PATTERN.test(tag)) throw new ImageRefError(`OCI_RO_DATA_TAGS: ${JSON.stringify(tag)} is not a tag`);
    return { repo: repo1, tag };
  });
  const digests = (list: readonly string[], what: string) => list.map((digest) => ({ repo: repo1, digest: validDigest(digest, what) }));
  return {
    images: [...images.map((image) => parseImageRef(image, url)), ...tagged, ...digests(ro.manifests, 'OCI_RO_DATA_MANIFESTS')],
    blobs: digests(ro.blobs, 'OCI_RO_DATA_BLOBS'),
    referrers: digests(ro.referrers, 'OCI_RO_DATA_REFERRERS'),
  };
}

export const READ_ONLY_HELP = `read-only registries (mirrors, pull-through caches, production)
  --read-only                  write nothing: only the checks that need no write run (pulls of the
                               images below, byte-exact digests, HEAD/GET agreement, Range, tags
                               paging, referrers, catalog, error answers); the rest skip with the
                               reason; no property layer, no cleanup
  --image REF                  an existing manifest to read, repeatable: repo:tag, repo@digest or
                               repo:tag@digest (a leading host must be the --url's); also
                               OCI_RO_DATA_TAGS / _MANIFESTS (in OCI_REPO1), _BLOBS, _REFERRERS`;
