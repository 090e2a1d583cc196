/**
 * Short ways to write the steps walkthroughs repeat: pushing a blob in one POST (end-4b), putting
 * a manifest with its media type as Content-Type (end-7), a request without a body. Each still says which
 * statuses the spec allows, which sentences govern it and what to notice.
 */
import { bodyOf, type Blob } from './content.ts';
import type { Step, StepRequest } from './types.ts';

export const OCTET = { 'Content-Type': 'application/octet-stream' } as const;

interface Say {
  readonly expect?: readonly number[];
  readonly sentences?: readonly string[];
  readonly notice?: string;
  readonly capture?: Readonly<Record<string, string>>;
}

export function step(title: string, request: StepRequest, say: Say & { readonly expect: readonly number[]; readonly notice: string }): Step {
  return { title, request, expect: say.expect, sentences: say.sentences ?? [], notice: say.notice, ...(say.capture ? { capture: say.capture } : {}) };
}

/** POST /v2/<repo>/blobs/uploads/?digest=<digest> with the whole blob (single POST, end-4b). */
export function pushBlob(repo: string, blob: Blob, title: string, say: Say = {}): Step {
  return step(title, { method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, headers: OCTET, body: bodyOf(blob) }, {
    expect: say.expect ?? [201],
    sentences: say.sentences ?? ['single-post.created'],
    notice: say.notice ?? `Setup: ${blob.size} bytes in one request, the digest in the query. 201 Created: the blob is in the repository, at the Location the answer gives.`,
    ...(say.capture ? { capture: say.capture } : {}),
  });
}

/** PUT /v2/<repo>/manifests/<reference> with Content-Type set to the manifest's mediaType (end-7). */
export function putManifest(repo: string, reference: string, manifest: Blob, title: string, say: Say = {}): Step {
  return step(title, { method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { 'Content-Type': manifest.mediaType }, body: bodyOf(manifest) }, {
    expect: say.expect ?? [201],
    sentences: say.sentences ?? ['manifests.push.content-type', 'manifests.push.created'],
    notice: say.notice ?? 'Setup: the manifest is stored; 201 Created with its Location and Docker-Content-Digest.',
    ...(say.capture ? { capture: say.capture } : {}),
  });
}

/** A request without a body: GET, HEAD, DELETE. */
export function call(method: 'GET' | 'HEAD' | 'DELETE', path: string, title: string, say: Say & { readonly expect: readonly number[]; readonly notice: string }, headers: Record<string, string> = {}): Step {
  return step(title, { method, path, headers }, say);
}
