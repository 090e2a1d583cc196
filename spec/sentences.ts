/**
 * Sentences of the OCI Distribution Spec, quoted exactly (v1.1.1, spec.md; one from main, marked
 * `since`), each with its section as the scripted checks cite it ("§Pushing a blob in chunks"),
 * the section's anchor in spec.md, the endpoint ids of the §Endpoints table it governs, and its
 * level. Markdown links are reduced to their text; code blocks the sentence introduces are in
 * `shows`. The playground quotes them next to every exchange; a check that quotes one of them
 * cites the same section (test/playground/sentences.test.ts). Data only.
 */

/** The RFC 2119 keyword a sentence uses; NONE for a sentence that describes without one. */
export type SentenceLevel = 'MUST' | 'SHOULD' | 'MAY' | 'NONE';

export interface SpecSentence {
  readonly id: string;
  /** The section name, as the checks cite it after "§". */
  readonly section: string;
  /** The heading's anchor in spec.md. */
  readonly anchor: string;
  readonly endpoints: readonly string[];
  readonly level: SentenceLevel;
  /** The exact words of the spec (one or two consecutive sentences). */
  readonly text: string;
  /** The code block the sentence introduces ("the following header:"). */
  readonly shows?: string;
  /** Set when the sentence is newer than v1.1.1. */
  readonly since?: 'main';
}

export interface SpecEndpoint {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly success: string;
  readonly failure: string;
  readonly section: string;
  readonly anchor: string;
}

export const SPEC_URL = 'https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md';
export const SPEC_MAIN_URL = 'https://github.com/opencontainers/distribution-spec/blob/main/spec.md';

/** The §Endpoints table (end-14 is from main). */
export const SPEC_ENDPOINTS: readonly SpecEndpoint[] = [
  { id: 'end-1', method: 'GET', path: '/v2/', success: '200', failure: '404/401', section: 'Determining support', anchor: 'determining-support' },
  { id: 'end-2', method: 'GET / HEAD', path: '/v2/<name>/blobs/<digest>', success: '200', failure: '404', section: 'Pulling blobs', anchor: 'pulling-blobs' },
  { id: 'end-3', method: 'GET / HEAD', path: '/v2/<name>/manifests/<reference>', success: '200', failure: '404', section: 'Pulling manifests', anchor: 'pulling-manifests' },
  { id: 'end-4a', method: 'POST', path: '/v2/<name>/blobs/uploads/', success: '202', failure: '404', section: 'Pushing a blob monolithically', anchor: 'post-then-put' },
  { id: 'end-4b', method: 'POST', path: '/v2/<name>/blobs/uploads/?digest=<digest>', success: '201/202', failure: '404/400', section: 'Pushing a blob monolithically', anchor: 'single-post' },
  { id: 'end-5', method: 'PATCH', path: '/v2/<name>/blobs/uploads/<reference>', success: '202', failure: '404/416', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks' },
  { id: 'end-6', method: 'PUT', path: '/v2/<name>/blobs/uploads/<reference>?digest=<digest>', success: '201', failure: '404/400', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks' },
  { id: 'end-7', method: 'PUT', path: '/v2/<name>/manifests/<reference>', success: '201', failure: '404/413', section: 'Pushing Manifests', anchor: 'pushing-manifests' },
  { id: 'end-8a', method: 'GET', path: '/v2/<name>/tags/list', success: '200', failure: '404', section: 'Listing Tags', anchor: 'listing-tags' },
  { id: 'end-8b', method: 'GET', path: '/v2/<name>/tags/list?n=<integer>&last=<tagname>', success: '200', failure: '404', section: 'Listing Tags', anchor: 'listing-tags' },
  { id: 'end-9', method: 'DELETE', path: '/v2/<name>/manifests/<reference>', success: '202', failure: '404/400/405', section: 'Deleting Manifests', anchor: 'deleting-manifests' },
  { id: 'end-10', method: 'DELETE', path: '/v2/<name>/blobs/<digest>', success: '202', failure: '404/400/405', section: 'Deleting Blobs', anchor: 'deleting-blobs' },
  { id: 'end-11', method: 'POST', path: '/v2/<name>/blobs/uploads/?mount=<digest>&from=<other_name>', success: '201/202', failure: '404', section: 'Mounting a blob from another repository', anchor: 'mounting-a-blob-from-another-repository' },
  { id: 'end-12a', method: 'GET', path: '/v2/<name>/referrers/<digest>', success: '200', failure: '404/400', section: 'Listing Referrers', anchor: 'listing-referrers' },
  { id: 'end-12b', method: 'GET', path: '/v2/<name>/referrers/<digest>?artifactType=<artifactType>', success: '200', failure: '404/400', section: 'Listing Referrers', anchor: 'listing-referrers' },
  { id: 'end-13', method: 'GET', path: '/v2/<name>/blobs/uploads/<reference>', success: '204', failure: '404', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks' },
  { id: 'end-14', method: 'DELETE', path: '/v2/<name>/blobs/uploads/<reference>', success: '204', failure: '404/400', section: 'Cancel a blob upload', anchor: 'cancel-a-blob-upload' },
];

export const SPEC_SENTENCES: readonly SpecSentence[] = [
  // API
  { id: 'support.v2', section: 'Determining support', anchor: 'determining-support', endpoints: ['end-1'], level: 'NONE', text: 'If the response is `200 OK`, then the registry implements this specification.' },
  // Pull
  { id: 'manifests.pull.reference', section: 'Pulling manifests', anchor: 'pulling-manifests', endpoints: ['end-3'], level: 'MUST', text: '`<reference>` MUST be either (a) the digest of the manifest or (b) a tag. The `<reference>` MUST NOT be in any other format.' },
  { id: 'manifests.pull.ok', section: 'Pulling manifests', anchor: 'pulling-manifests', endpoints: ['end-3'], level: 'MUST', text: 'A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be `200 OK`.' },
  { id: 'manifests.pull.content-type', section: 'Pulling manifests', anchor: 'pulling-manifests', endpoints: ['end-3'], level: 'SHOULD', text: 'The `Content-Type` header SHOULD match what the client pushed as the manifest\'s `Content-Type`.' },
  { id: 'manifests.pull.unknown', section: 'Pulling manifests', anchor: 'pulling-manifests', endpoints: ['end-3'], level: 'MUST', text: 'If the manifest is not found in the repository, the response code MUST be `404 Not Found`.' },
  { id: 'blobs.pull.ok', section: 'Pulling blobs', anchor: 'pulling-blobs', endpoints: ['end-2'], level: 'MUST', text: 'A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be `200 OK`.' },
  { id: 'blobs.pull.digest-header', section: 'Pulling blobs', anchor: 'pulling-blobs', endpoints: ['end-2'], level: 'MUST', text: 'A successful response SHOULD contain the digest of the uploaded blob in the header `Docker-Content-Digest`. If present, the value of this header MUST be a digest matching that of the response body.' },
  { id: 'blobs.pull.unknown', section: 'Pulling blobs', anchor: 'pulling-blobs', endpoints: ['end-2'], level: 'MUST', text: 'If the blob is not found in the repository, the response code MUST be `404 Not Found`.' },
  { id: 'exists.head', section: 'Checking if content exists in the registry', anchor: 'checking-if-content-exists-in-the-registry', endpoints: ['end-2', 'end-3'], level: 'MUST', text: 'A HEAD request to an existing blob or manifest URL MUST return `200 OK`.' },
  { id: 'exists.unknown', section: 'Checking if content exists in the registry', anchor: 'checking-if-content-exists-in-the-registry', endpoints: ['end-2', 'end-3'], level: 'MUST', text: 'If the blob or manifest is not found in the repository, the response code MUST be `404 Not Found`.' },
  // Push
  { id: 'push.subject-first', section: 'Push', anchor: 'push', endpoints: ['end-7'], level: 'MUST', text: 'A registry MUST initially accept an otherwise valid manifest with a `subject` field that references a manifest that does not exist in the repository, allowing clients to push a manifest and referrers to that manifest in either order.' },
  { id: 'push.blob-unknown', section: 'Push', anchor: 'push', endpoints: ['end-7'], level: 'MAY', text: 'A registry MAY reject a manifest uploaded to the manifest endpoint with descriptors in other fields that reference a manifest or blob that does not exist in the registry. When a manifest is rejected for this reason, it MUST result in one or more `MANIFEST_BLOB_UNKNOWN` errors.' },
  { id: 'monolithic.post', section: 'Pushing a blob monolithically', anchor: 'post-then-put', endpoints: ['end-4a'], level: 'MUST', text: 'Upon success, the response MUST have a code of `202 Accepted`, and MUST include the following header:', shows: 'Location: <location>' },
  { id: 'monolithic.location', section: 'Pushing a blob monolithically', anchor: 'post-then-put', endpoints: ['end-6'], level: 'SHOULD', text: 'The `<location>` MAY contain critical query parameters. Additionally, it SHOULD match exactly the `<location>` obtained from the `POST` request.' },
  { id: 'monolithic.put', section: 'Pushing a blob monolithically', anchor: 'post-then-put', endpoints: ['end-6'], level: 'MUST', text: 'Upon successful completion of the request, the response MUST have code `201 Created` and MUST have the following header:', shows: 'Location: <blob-location>' },
  { id: 'single-post.created', section: 'Pushing a blob monolithically', anchor: 'single-post', endpoints: ['end-4b'], level: 'MUST', text: 'Successful completion of the request MUST return a `201 Created` and MUST include the following header:', shows: 'Location: <blob-location>' },
  { id: 'single-post.fallback', section: 'Pushing a blob monolithically', anchor: 'single-post', endpoints: ['end-4b'], level: 'SHOULD', text: 'Registries that do not support single request monolithic uploads SHOULD return a `202 Accepted` status code and `Location` header and clients SHOULD proceed with a subsequent PUT request, as described by the POST then PUT upload method.' },
  { id: 'chunked.post', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-4a'], level: 'MUST', text: 'The process remains unchanged for chunked upload, except that the post request MUST include the following header:', shows: 'Content-Length: 0' },
  { id: 'chunked.range', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-5'], level: 'MUST', text: 'The `<range>` refers to the byte range of the chunk, and MUST be inclusive on both ends. The first chunk\'s range MUST begin with `0`.' },
  { id: 'chunked.accepted', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-5'], level: 'MUST', text: 'Each successful chunk upload MUST have a `202 Accepted` response code, and MUST have the following headers:', shows: 'Location: <location>\nRange: 0-<end-of-range>' },
  { id: 'chunked.in-order', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-5'], level: 'MUST', text: 'Chunks MUST be uploaded in order, with the first byte of a chunk being the last chunk\'s `<end-of-range>` plus one.' },
  { id: 'chunked.out-of-order', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-5'], level: 'MUST', text: 'If a chunk is uploaded out of order, the registry MUST respond with a `416 Requested Range Not Satisfiable` code. A GET request may be used to retrieve the current valid offset and upload location.' },
  { id: 'chunked.last-in-put', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-5', 'end-6'], level: 'MAY', text: 'The final chunk MAY be uploaded using a `PATCH` request or it MAY be uploaded in the closing `PUT` request. Regardless of how the final chunk is uploaded, the session MUST be closed with a `PUT` request.' },
  { id: 'chunked.close-digest', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-6'], level: 'MUST', text: 'The closing `PUT` request MUST include the `<digest>` of the whole blob (not the final chunk) as a query parameter.' },
  { id: 'chunked.closed', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-6'], level: 'MUST', text: 'The response to a successful closing of the session MUST be `201 Created`, and MUST contain the following header:', shows: 'Location: <blob-location>' },
  { id: 'chunked.status', section: 'Pushing a blob in chunks', anchor: 'pushing-a-blob-in-chunks', endpoints: ['end-13'], level: 'MUST', text: 'The response to an active upload `<location>` MUST be a `204 No Content` response code, and MUST have the following headers:', shows: 'Location: <location>\nRange: 0-<end-of-range>' },
  { id: 'cancel.upload', section: 'Cancel a blob upload', anchor: 'cancel-a-blob-upload', endpoints: ['end-14'], level: 'SHOULD', text: 'If successful, the response SHOULD be a `204 No Content` response code.', since: 'main' },
  { id: 'mount.created', section: 'Mounting a blob from another repository', anchor: 'mounting-a-blob-from-another-repository', endpoints: ['end-11'], level: 'MUST', text: 'The response to a successful mount MUST be `201 Created`, and MUST contain the following header:', shows: 'Location: <blob-location>' },
  { id: 'mount.fallback', section: 'Mounting a blob from another repository', anchor: 'mounting-a-blob-from-another-repository', endpoints: ['end-11'], level: 'SHOULD', text: 'Alternatively, if a registry does not support cross-repository mounting or is unable to mount the requested blob, it SHOULD return a `202`. This indicates that the upload session has begun and that the client MAY proceed with the upload.' },
  { id: 'manifests.push.content-type', section: 'Pushing Manifests', anchor: 'pushing-manifests', endpoints: ['end-7'], level: 'MUST', text: 'If a manifest includes a `mediaType` field, clients MUST set the `Content-Type` header to the value specified by the `mediaType` field.' },
  { id: 'manifests.push.reference', section: 'Pushing Manifests', anchor: 'pushing-manifests', endpoints: ['end-7'], level: 'MUST', text: '`<name>` is the namespace of the repository, and the `<reference>` MUST be either a) a digest or b) a tag.' },
  { id: 'manifests.push.exact', section: 'Pushing Manifests', anchor: 'pushing-manifests', endpoints: ['end-7'], level: 'MUST', text: 'The registry MUST store the manifest in the exact byte representation provided by the client.' },
  { id: 'manifests.push.created', section: 'Pushing Manifests', anchor: 'pushing-manifests', endpoints: ['end-7'], level: 'MUST', text: 'Upon a successful upload, the registry MUST return response code `201 Created`, and MUST have the following header:', shows: 'Location: <location>' },
  { id: 'manifests.push.digest', section: 'Pushing Manifests', anchor: 'pushing-manifests', endpoints: ['end-7'], level: 'MUST', text: 'The Docker-Content-Digest header returns the canonical digest of the uploaded blob, and MUST be equal to the client provided digest.' },
  { id: 'manifests.push.subject', section: 'Pushing Manifests with Subject', anchor: 'pushing-manifests-with-subject', endpoints: ['end-7'], level: 'MUST', text: 'When processing a request for an image manifest with the `subject` field, a registry implementation that supports the referrers API MUST respond with the response header `OCI-Subject: <subject digest>` to indicate to the client that the registry processed the request\'s `subject`.' },
  // Content discovery
  { id: 'tags.list', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8a'], level: 'MUST', text: 'Assuming a repository is found, this request MUST return a `200 OK` response code. The list of tags MAY be empty if there are no tags on the repository.' },
  { id: 'tags.order', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8a', 'end-8b'], level: 'MUST', text: 'If the list is not empty, the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order).' },
  { id: 'tags.n', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8b'], level: 'MUST', text: 'The response to such a request MAY return fewer than `<int>` results, but only when the total number of tags attached to the repository is less than `<int>` or a `Link` header is provided. Otherwise, the response MUST include `<int>` results.' },
  { id: 'tags.link', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8b'], level: 'MUST', text: 'A `Link` header MAY be included in the response when additional tags are available. If included, the `Link` header MUST be set according to RFC5988 with the Relation Type `rel="next"`.' },
  { id: 'tags.n-zero', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8b'], level: 'MUST', text: 'When `n` is zero, this endpoint MUST return an empty list, and MUST NOT include a `Link` header.' },
  { id: 'tags.last', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8b'], level: 'NONE', text: 'A request of this sort will return up to `<int>` tags, beginning non-inclusively with `<tagname>`. That is to say, `<tagname>` will not be included in the results, but up to `<int>` tags after `<tagname>` will be returned.' },
  { id: 'tags.prefer-link', section: 'Listing Tags', anchor: 'listing-tags', endpoints: ['end-8b'], level: 'NONE', text: 'When available, clients should prefer the `Link` header over using the `last` parameter for pagination.' },
  { id: 'referrers.never-404', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'MUST', text: 'If the registry supports the referrers API, the registry MUST NOT return a `404 Not Found` to a referrers API requests.' },
  { id: 'referrers.index', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'MUST', text: 'Upon success, the response MUST be a JSON body with an image index containing a list of descriptors.' },
  { id: 'referrers.descriptors', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'NONE', text: 'Each descriptor is of an image manifest or index in the same `<name>` namespace with a `subject` field that specifies the value of `<digest>`.' },
  { id: 'referrers.artifact-type', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'MUST', text: 'The descriptors MUST include an `artifactType` field that is set to the value of the `artifactType` in the image manifest or index, if present.' },
  { id: 'referrers.annotations', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'MUST', text: 'The descriptors MUST include annotations from the image manifest or index.' },
  { id: 'referrers.empty', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12a'], level: 'MUST', text: 'If a query results in no matching referrers, an empty manifest list MUST be returned.' },
  { id: 'referrers.filter', section: 'Listing Referrers', anchor: 'listing-referrers', endpoints: ['end-12b'], level: 'MUST', text: 'If filtering is requested and applied, the response MUST include a header `OCI-Filters-Applied: artifactType` denoting that an `artifactType` filter was applied.' },
  // Content management
  { id: 'delete.tag', section: 'Deleting tags', anchor: 'deleting-tags', endpoints: ['end-9'], level: 'MUST', text: 'Upon success, the registry MUST respond with a `202 Accepted` code. If tag deletion is disabled, the registry MUST respond with either a `400 Bad Request` or a `405 Method Not Allowed`.' },
  { id: 'delete.tag.gone', section: 'Deleting tags', anchor: 'deleting-tags', endpoints: ['end-9'], level: 'NONE', text: 'Once deleted, a `GET` to `/v2/<name>/manifests/<tag>` will return a 404.' },
  { id: 'delete.manifest', section: 'Deleting Manifests', anchor: 'deleting-manifests', endpoints: ['end-9'], level: 'MUST', text: 'Upon success, the registry MUST respond with a `202 Accepted` code. If the repository does not exist, the response MUST return `404 Not Found`.' },
  { id: 'delete.manifest.gone', section: 'Deleting Manifests', anchor: 'deleting-manifests', endpoints: ['end-9'], level: 'NONE', text: 'Once deleted, a `GET` to `/v2/<name>/manifests/<digest>` and any tag pointing to that digest will return a 404.' },
  { id: 'delete.blob', section: 'Deleting Blobs', anchor: 'deleting-blobs', endpoints: ['end-10'], level: 'MUST', text: 'Upon success, the registry MUST respond with code `202 Accepted`. If the blob is not found, a `404 Not Found` code MUST be returned.' },
  { id: 'delete.blob.disabled', section: 'Deleting Blobs', anchor: 'deleting-blobs', endpoints: ['end-10'], level: 'MUST', text: 'If blob deletion is disabled, the registry MUST respond with either a `400 Bad Request` or a `405 Method Not Allowed`.' },
  // Errors
  { id: 'errors.envelope', section: 'Error Codes', anchor: 'error-codes', endpoints: [], level: 'MUST', text: 'A `4XX` response code from the registry MAY return a body in any format. If the response body is in JSON format, it MUST have the following format:', shows: '{"errors": [{"code": "<error identifier, see below>", "message": "<message describing condition>", "detail": "<unstructured>"}, ...]}' },
  { id: 'errors.code', section: 'Error Codes', anchor: 'error-codes', endpoints: [], level: 'MUST', text: 'The `code` field MUST be one of the following:', shows: 'BLOB_UNKNOWN, BLOB_UPLOAD_INVALID, BLOB_UPLOAD_UNKNOWN, DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN, MANIFEST_INVALID, MANIFEST_UNKNOWN, NAME_INVALID, NAME_UNKNOWN, SIZE_INVALID, UNAUTHORIZED, DENIED, UNSUPPORTED, TOOMANYREQUESTS' },
];
