/**
 * One table-driven walk through every endpoint of the reference registry and every error path
 * (spec end-1 … end-14), in the style of go-containerregistry's registry test: each row is a
 * request and what must come back — status, spec error code, headers, body.
 */
import t from 'tap';
import { OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_CONFIG, DOCKER_LAYER, MANIFEST_MAX_BYTES } from '../../../spec/media-types.ts';
import { EMPTY_BLOB_SHA256 } from '../../../spec/grammars.ts';
import { call, startTestRegistry, type Reply } from '../../helpers/registry.ts';
import { artifact, config, content, descriptor, emptyConfig, imageManifest, indexManifest, layer, sha256, sha512 } from '../../helpers/oci.ts';

interface Row {
  readonly what: string;
  readonly method: string;
  /** A path, or a function of the values saved by earlier rows. */
  readonly path: string | ((saved: Map<string, string>) => string);
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly status: number;
  /** Spec error code expected in the JSON error envelope. */
  readonly code?: string;
  readonly expectHeaders?: Record<string, string | RegExp | undefined>;
  readonly expectBody?: (reply: Reply) => unknown;
  readonly save?: (reply: Reply, saved: Map<string, string>) => void;
}

const R = 'test/repo';
const OTHER = 'test/other';
const cfg = config('api');
const layerA = layer('api-a');
const layerB = layer('api-b');
const image = imageManifest(cfg, [layerA, layerB]);
const image2 = imageManifest(cfg, [layerA]);
const nestedIndex = indexManifest([image2]);
const index = indexManifest([image, nestedIndex]);
const sig = artifact(image, 'application/vnd.example.sig', { 'org.example.by': 'api-test' });
const sbom = artifact(image, 'application/vnd.example.sbom');
const chunked = content('0123456789abcdef'); // pushed in chunks
const streamed = content('streamed without Content-Range');
const lastInPut = content('first part|last part in the PUT');
const whole = content('single POST with digest');
const big = content(Buffer.alloc(3000, 7));
const sha512Blob = Buffer.from('a sha512 blob');
const dockerConfig = content(JSON.stringify({ architecture: 'amd64', os: 'linux' }), DOCKER_CONFIG);
const dockerLayer = content('docker layer', DOCKER_LAYER);
const dockerManifest = content(
  JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: descriptor(dockerConfig), layers: [descriptor(dockerLayer)] }),
  DOCKER_MANIFEST,
);
const dockerList = content(
  JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [descriptor(dockerManifest, { platform: { architecture: 'amd64', os: 'linux' } })] }),
  DOCKER_MANIFEST_LIST,
);
const octet = { 'Content-Type': 'application/octet-stream' };
const manifestHeaders = (type: string) => ({ 'Content-Type': type });
const upload = (key: string) => (saved: Map<string, string>) => saved.get(key) ?? '/missing';
const withDigest = (key: string, digest: string) => (saved: Map<string, string>) => `${saved.get(key)}?digest=${digest}`;
const saveLocation = (key: string) => (reply: Reply, saved: Map<string, string>) => {
  saved.set(key, reply.header('location') ?? '');
};
const errorCode = (reply: Reply) => reply.json<{ errors: { code: string }[] }>().errors[0]?.code;

const rows: Row[] = [
  // end-1
  { what: 'base endpoint', method: 'GET', path: '/v2/', status: 200, expectHeaders: { 'docker-distribution-api-version': 'registry/2.0' } },
  // unknown things
  { what: 'tags of an unknown repository', method: 'GET', path: `/v2/${R}/tags/list`, status: 404, code: 'NAME_UNKNOWN' },
  { what: 'manifest in an unknown repository', method: 'GET', path: `/v2/${R}/manifests/latest`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'blob in an unknown repository', method: 'HEAD', path: `/v2/${R}/blobs/${cfg.digest}`, status: 404 },
  { what: 'invalid repository name', method: 'GET', path: '/v2/Bad_Name/tags/list', status: 400, code: 'NAME_INVALID' },
  { what: 'path traversal in a name', method: 'GET', path: '/v2/a/..%2F..%2Fetc/tags/list', status: 400, code: 'NAME_INVALID' },
  { what: 'invalid digest', method: 'GET', path: `/v2/${R}/blobs/sha256:XYZ`, status: 400, code: 'DIGEST_INVALID' },
  { what: 'unsupported digest algorithm', method: 'GET', path: `/v2/${R}/blobs/md5:d41d8cd98f00b204e9800998ecf8427e`, status: 400, code: 'DIGEST_INVALID' },
  { what: 'uppercase hex is not a digest', method: 'GET', path: `/v2/${R}/blobs/${cfg.digest.toUpperCase().replace('SHA256', 'sha256')}`, status: 400, code: 'DIGEST_INVALID' },
  { what: 'a tag that fails the grammar names no manifest', method: 'GET', path: `/v2/${R}/manifests/-bad`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'nor does HEAD find one', method: 'HEAD', path: `/v2/${R}/manifests/.INVALID_MANIFEST_NAME`, status: 404 },
  { what: 'unknown endpoint', method: 'GET', path: '/v2/x/nothing-here', status: 404, code: 'NAME_UNKNOWN' },
  { what: 'method not allowed', method: 'PATCH', path: `/v2/${R}/tags/list`, status: 405, code: 'UNSUPPORTED', expectHeaders: { allow: 'GET' } },

  // end-4a + end-6: POST then monolithic PUT
  { what: 'open a session', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, expectHeaders: { location: /^\/v2\/test\/repo\/blobs\/uploads\/[0-9a-f-]{36}$/, range: '0-0' }, save: saveLocation('cfg') },
  { what: 'close it with the whole config', method: 'PUT', path: withDigest('cfg', cfg.digest), headers: octet, body: cfg.bytes, status: 201, expectHeaders: { location: `/v2/${R}/blobs/${cfg.digest}`, 'docker-content-digest': cfg.digest } },
  { what: 'the closed session is gone', method: 'GET', path: upload('cfg'), status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },
  // end-4b
  { what: 'single POST with digest', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${whole.digest}`, headers: octet, body: whole.bytes, status: 201, expectHeaders: { 'docker-content-digest': whole.digest } },
  { what: 'single POST with a wrong digest', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${layerA.digest}`, headers: octet, body: whole.bytes, status: 400, code: 'DIGEST_INVALID' },
  { what: 'layer A by single POST', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${layerA.digest}`, headers: octet, body: layerA.bytes, status: 201 },
  { what: 'layer B by single POST', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${layerB.digest}`, headers: octet, body: layerB.bytes, status: 201 },
  { what: 'empty config by single POST', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${emptyConfig.digest}`, headers: octet, body: emptyConfig.bytes, status: 201 },
  { what: 'empty blob by single POST', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${EMPTY_BLOB_SHA256}`, headers: octet, body: '', status: 201 },
  { what: 'sha512 blob by single POST', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${sha512(sha512Blob)}`, headers: octet, body: sha512Blob, status: 201, expectHeaders: { 'docker-content-digest': sha512(sha512Blob) } },
  { what: 'sha512 blob served', method: 'GET', path: `/v2/${R}/blobs/${sha512(sha512Blob)}`, status: 200, expectBody: (r) => r.body.equals(sha512Blob) },

  // end-5: chunked PATCH with Content-Range, end-13 status, 416
  { what: 'open a chunked session', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, save: saveLocation('chunked') },
  { what: 'first chunk', method: 'PATCH', path: upload('chunked'), headers: { ...octet, 'Content-Range': '0-5' }, body: chunked.bytes.subarray(0, 6), status: 202, expectHeaders: { range: '0-5', location: /blobs\/uploads\// } },
  { what: 'out-of-order chunk', method: 'PATCH', path: upload('chunked'), headers: { ...octet, 'Content-Range': '3-8' }, body: chunked.bytes.subarray(3, 9), status: 416, code: 'BLOB_UPLOAD_INVALID', expectHeaders: { range: '0-5' } },
  { what: 'malformed Content-Range', method: 'PATCH', path: upload('chunked'), headers: { ...octet, 'Content-Range': 'bytes 6-7' }, body: 'ab', status: 400, code: 'BLOB_UPLOAD_INVALID' },
  { what: 'range longer than the body', method: 'PATCH', path: upload('chunked'), headers: { ...octet, 'Content-Range': '6-20' }, body: 'ab', status: 400, code: 'BLOB_UPLOAD_INVALID' },
  { what: 'upload status', method: 'GET', path: upload('chunked'), status: 204, expectHeaders: { range: '0-5', location: /blobs\/uploads\//, 'docker-upload-uuid': /^[0-9a-f-]{36}$/ } },
  { what: 'second chunk', method: 'PATCH', path: upload('chunked'), headers: { ...octet, 'Content-Range': '6-11' }, body: chunked.bytes.subarray(6, 12), status: 202, expectHeaders: { range: '0-11' } },
  { what: 'PUT without digest', method: 'PUT', path: upload('chunked'), status: 400, code: 'DIGEST_INVALID' },
  { what: 'last chunk carried by the PUT', method: 'PUT', path: withDigest('chunked', chunked.digest), headers: { ...octet, 'Content-Range': '12-15' }, body: chunked.bytes.subarray(12), status: 201 },
  { what: 'chunked blob is whole', method: 'GET', path: `/v2/${R}/blobs/${chunked.digest}`, status: 200, expectBody: (r) => r.body.equals(chunked.bytes) },

  // streamed PATCH (no Content-Range), what skopeo and podman send
  { what: 'open a streamed session', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, save: saveLocation('streamed') },
  { what: 'streamed PATCH', method: 'PATCH', path: upload('streamed'), headers: octet, body: streamed.bytes, status: 202, expectHeaders: { range: `0-${streamed.size - 1}` } },
  { what: 'close the streamed session', method: 'PUT', path: withDigest('streamed', streamed.digest), status: 201 },
  { what: 'open a session for a PUT with the rest', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, save: saveLocation('last') },
  { what: 'streamed first part', method: 'PATCH', path: upload('last'), headers: octet, body: lastInPut.bytes.subarray(0, 11), status: 202 },
  { what: 'rest in the PUT without Content-Range', method: 'PUT', path: withDigest('last', lastInPut.digest), headers: octet, body: lastInPut.bytes.subarray(11), status: 201 },
  { what: 'wrong digest at PUT', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, save: saveLocation('wrong') },
  { what: 'PUT with a digest that does not match', method: 'PUT', path: withDigest('wrong', layerB.digest), headers: octet, body: 'not layer B', status: 400, code: 'DIGEST_INVALID' },
  { what: 'PUT with a malformed digest', method: 'PUT', path: (s) => `${s.get('chunked')}?digest=sha256:nothex`, status: 400, code: 'DIGEST_INVALID' },

  // end-14: cancel; sessions are bound to their repository
  { what: 'open a session to cancel', method: 'POST', path: `/v2/${R}/blobs/uploads/`, status: 202, save: saveLocation('cancel') },
  { what: 'session not visible from another repository', method: 'GET', path: (s) => (s.get('cancel') ?? '').replace(R, OTHER), status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },
  { what: 'cancel', method: 'DELETE', path: upload('cancel'), status: 204 },
  { what: 'cancelled session refuses data', method: 'PATCH', path: upload('cancel'), headers: octet, body: 'late', status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },
  { what: 'bogus upload id', method: 'GET', path: `/v2/${R}/blobs/uploads/not-a-uuid`, status: 404, code: 'BLOB_UPLOAD_UNKNOWN' },

  // end-2: blobs, ranges
  { what: 'HEAD blob', method: 'HEAD', path: `/v2/${R}/blobs/${big.digest}`, status: 404, code: undefined },
  { what: 'push a 3000-byte blob', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${big.digest}`, headers: octet, body: big.bytes, status: 201 },
  { what: 'HEAD blob has length and digest', method: 'HEAD', path: `/v2/${R}/blobs/${big.digest}`, status: 200, expectHeaders: { 'content-length': '3000', 'docker-content-digest': big.digest } },
  { what: 'range request', method: 'GET', path: `/v2/${R}/blobs/${big.digest}`, headers: { Range: 'bytes=10-19' }, status: 206, expectHeaders: { 'content-range': 'bytes 10-19/3000', 'content-length': '10' } },
  { what: 'suffix range', method: 'GET', path: `/v2/${R}/blobs/${big.digest}`, headers: { Range: 'bytes=-5' }, status: 206, expectHeaders: { 'content-range': 'bytes 2995-2999/3000' } },
  { what: 'unsatisfiable range', method: 'GET', path: `/v2/${R}/blobs/${big.digest}`, headers: { Range: 'bytes=5000-' }, status: 416, expectHeaders: { 'content-range': 'bytes */3000' } },
  { what: 'repository isolation: blob not served from another repository', method: 'GET', path: `/v2/${OTHER}/blobs/${big.digest}`, status: 404, code: 'BLOB_UNKNOWN' },

  // end-11: mounts
  { what: 'mount from a repository without the blob falls back to a session', method: 'POST', path: `/v2/${OTHER}/blobs/uploads/?mount=${big.digest}&from=nowhere`, status: 202, expectHeaders: { location: /blobs\/uploads\// } },
  { what: 'mount without from is not automatic by default', method: 'POST', path: `/v2/${OTHER}/blobs/uploads/?mount=${big.digest}`, status: 202 },
  { what: 'mount', method: 'POST', path: `/v2/${OTHER}/blobs/uploads/?mount=${big.digest}&from=${R}`, status: 201, expectHeaders: { location: `/v2/${OTHER}/blobs/${big.digest}`, 'docker-content-digest': big.digest } },
  { what: 'mounted blob is served', method: 'GET', path: `/v2/${OTHER}/blobs/${big.digest}`, status: 200, expectBody: (r) => r.body.equals(big.bytes) },

  // end-7, end-3: manifests
  { what: 'manifest with a missing layer', method: 'PUT', path: `/v2/${R}/manifests/broken`, headers: manifestHeaders(OCI_MANIFEST), body: imageManifest(cfg, [layer('missing')]).bytes, status: 400, code: 'MANIFEST_BLOB_UNKNOWN' },
  { what: 'manifest that is not JSON', method: 'PUT', path: `/v2/${R}/manifests/broken`, headers: manifestHeaders(OCI_MANIFEST), body: 'not json', status: 400, code: 'MANIFEST_INVALID' },
  { what: 'Content-Type contradicting mediaType', method: 'PUT', path: `/v2/${R}/manifests/broken`, headers: manifestHeaders(OCI_INDEX), body: image.bytes, status: 400, code: 'MANIFEST_INVALID' },
  { what: 'manifest above 4 MiB', method: 'PUT', path: `/v2/${R}/manifests/huge`, headers: manifestHeaders(OCI_MANIFEST), body: Buffer.alloc(MANIFEST_MAX_BYTES + 1, 32), status: 413, code: 'SIZE_INVALID' },
  { what: 'push image by tag', method: 'PUT', path: `/v2/${R}/manifests/v1`, headers: manifestHeaders(OCI_MANIFEST), body: image.bytes, status: 201, expectHeaders: { 'docker-content-digest': image.digest, location: `/v2/${R}/manifests/${image.digest}` } },
  { what: 'GET by tag is byte-exact', method: 'GET', path: `/v2/${R}/manifests/v1`, status: 200, expectHeaders: { 'content-type': OCI_MANIFEST, 'docker-content-digest': image.digest, 'content-length': String(image.size) }, expectBody: (r) => r.body.equals(image.bytes) },
  { what: 'HEAD by digest', method: 'HEAD', path: `/v2/${R}/manifests/${image.digest}`, status: 200, expectHeaders: { 'content-length': String(image.size), 'docker-content-digest': image.digest } },
  { what: 'PUT by a digest that does not match', method: 'PUT', path: `/v2/${R}/manifests/${image.digest}`, headers: manifestHeaders(OCI_MANIFEST), body: image2.bytes, status: 400, code: 'DIGEST_INVALID' },
  { what: 'push a child by digest', method: 'PUT', path: `/v2/${R}/manifests/${image2.digest}`, headers: manifestHeaders(OCI_MANIFEST), body: image2.bytes, status: 201 },
  { what: 'index with a missing child', method: 'PUT', path: `/v2/${R}/manifests/idx`, headers: manifestHeaders(OCI_INDEX), body: index.bytes, status: 400, code: 'MANIFEST_BLOB_UNKNOWN' },
  { what: 'nested index by digest', method: 'PUT', path: `/v2/${R}/manifests/${nestedIndex.digest}`, headers: manifestHeaders(OCI_INDEX), body: nestedIndex.bytes, status: 201 },
  { what: 'index of an image and a nested index', method: 'PUT', path: `/v2/${R}/manifests/idx`, headers: manifestHeaders(OCI_INDEX), body: index.bytes, status: 201 },
  { what: 'index served with its type', method: 'GET', path: `/v2/${R}/manifests/idx`, status: 200, expectHeaders: { 'content-type': OCI_INDEX }, expectBody: (r) => r.body.equals(index.bytes) },
  { what: 'artifact with a subject', method: 'PUT', path: `/v2/${R}/manifests/${sig.digest}`, headers: manifestHeaders(OCI_MANIFEST), body: sig.bytes, status: 201, expectHeaders: { 'oci-subject': image.digest } },
  { what: 'second referrer', method: 'PUT', path: `/v2/${R}/manifests/${sbom.digest}`, headers: manifestHeaders(OCI_MANIFEST), body: sbom.bytes, status: 201, expectHeaders: { 'oci-subject': image.digest } },
  { what: 'artifact whose subject does not exist is accepted', method: 'PUT', path: `/v2/${R}/manifests/dangling-sig`, headers: manifestHeaders(OCI_MANIFEST), body: artifact(layer('nowhere'), 'application/vnd.example.sig').bytes, status: 201 },
  { what: 'Docker config', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${dockerConfig.digest}`, headers: octet, body: dockerConfig.bytes, status: 201 },
  { what: 'Docker layer', method: 'POST', path: `/v2/${R}/blobs/uploads/?digest=${dockerLayer.digest}`, headers: octet, body: dockerLayer.bytes, status: 201 },
  { what: 'Docker schema2 manifest', method: 'PUT', path: `/v2/${R}/manifests/${dockerManifest.digest}`, headers: manifestHeaders(DOCKER_MANIFEST), body: dockerManifest.bytes, status: 201 },
  { what: 'Docker manifest list', method: 'PUT', path: `/v2/${R}/manifests/docker`, headers: manifestHeaders(DOCKER_MANIFEST_LIST), body: dockerList.bytes, status: 201 },
  { what: 'Docker manifest list served with its type', method: 'GET', path: `/v2/${R}/manifests/docker`, status: 200, expectHeaders: { 'content-type': DOCKER_MANIFEST_LIST } },
  { what: 'PUT by digest with ?tag= parameters', method: 'PUT', path: `/v2/${R}/manifests/${image.digest}?tag=t1&tag=t2`, headers: manifestHeaders(OCI_MANIFEST), body: image.bytes, status: 201, expectHeaders: { 'oci-tag': 't1, t2' } },

  // end-12: referrers
  { what: 'referrers', method: 'GET', path: `/v2/${R}/referrers/${image.digest}`, status: 200, expectHeaders: { 'content-type': OCI_INDEX }, expectBody: (r) => {
    const body = r.json<{ manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] }>();
    const bySig = body.manifests.find((m) => m.digest === sig.digest);
    return body.manifests.length === 2 && bySig?.artifactType === 'application/vnd.example.sig' && bySig.annotations?.['org.example.by'] === 'api-test';
  } },
  { what: 'referrers filtered', method: 'GET', path: `/v2/${R}/referrers/${image.digest}?artifactType=application/vnd.example.sbom`, status: 200, expectHeaders: { 'oci-filters-applied': 'artifactType' }, expectBody: (r) => {
    const body = r.json<{ manifests: { digest: string }[] }>();
    return body.manifests.length === 1 && body.manifests[0]?.digest === sbom.digest;
  } },
  { what: 'referrers of an unknown digest: empty, not 404', method: 'GET', path: `/v2/${R}/referrers/${layerB.digest}`, status: 200, expectBody: (r) => r.json<{ manifests: unknown[] }>().manifests.length === 0 },
  { what: 'referrers with an invalid digest', method: 'GET', path: `/v2/${R}/referrers/sha256:zz`, status: 400, code: 'DIGEST_INVALID' },

  // end-8: tags
  { what: 'tags in lexical order', method: 'GET', path: `/v2/${R}/tags/list`, status: 200, expectBody: (r) => JSON.stringify(r.json()) === JSON.stringify({ name: R, tags: ['dangling-sig', 'docker', 'idx', 't1', 't2', 'v1'] }) },
  { what: 'first page', method: 'GET', path: `/v2/${R}/tags/list?n=2`, status: 200, expectHeaders: { link: `</v2/${R}/tags/list?n=2&last=docker>; rel="next"` }, expectBody: (r) => JSON.stringify(r.json<{ tags: string[] }>().tags) === '["dangling-sig","docker"]' },
  { what: 'last is exclusive', method: 'GET', path: `/v2/${R}/tags/list?n=2&last=docker`, status: 200, expectBody: (r) => JSON.stringify(r.json<{ tags: string[] }>().tags) === '["idx","t1"]' },
  { what: 'final page has no Link', method: 'GET', path: `/v2/${R}/tags/list?n=2&last=t1`, status: 200, expectHeaders: { link: undefined }, expectBody: (r) => JSON.stringify(r.json<{ tags: string[] }>().tags) === '["t2","v1"]' },
  { what: 'n=0 is an empty page', method: 'GET', path: `/v2/${R}/tags/list?n=0`, status: 200, expectHeaders: { link: undefined }, expectBody: (r) => r.json<{ tags: string[] }>().tags.length === 0 },
  { what: 'n is not a number', method: 'GET', path: `/v2/${R}/tags/list?n=ten`, status: 400 },

  // end-9, end-10: deletes
  { what: 'blob still referenced cannot go', method: 'DELETE', path: `/v2/${R}/blobs/${layerB.digest}`, status: 405, code: 'DENIED', expectBody: (reply) => reply.json<{ errors: { detail: { manifest?: string } }[] }>().errors[0]?.detail.manifest?.startsWith('sha256:') },
  { what: 'delete one tag', method: 'DELETE', path: `/v2/${R}/manifests/t1`, status: 202 },
  { what: 'that tag is gone', method: 'GET', path: `/v2/${R}/manifests/t1`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'the other tags of the manifest stay', method: 'GET', path: `/v2/${R}/manifests/t2`, status: 200 },
  { what: 'delete the manifest by digest', method: 'DELETE', path: `/v2/${R}/manifests/${image.digest}`, status: 202 },
  { what: 'every tag pointing to it is gone', method: 'GET', path: `/v2/${R}/manifests/v1`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'and the digest', method: 'GET', path: `/v2/${R}/manifests/${image.digest}`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'delete an unknown manifest', method: 'DELETE', path: `/v2/${R}/manifests/${image.digest}`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'delete an unknown tag', method: 'DELETE', path: `/v2/${R}/manifests/nope`, status: 404, code: 'MANIFEST_UNKNOWN' },
  { what: 'delete an unreferenced blob', method: 'DELETE', path: `/v2/${R}/blobs/${whole.digest}`, status: 202 },
  { what: 'deleted blob is gone', method: 'GET', path: `/v2/${R}/blobs/${whole.digest}`, status: 404, code: 'BLOB_UNKNOWN' },
  { what: 'delete an unknown blob', method: 'DELETE', path: `/v2/${R}/blobs/${whole.digest}`, status: 404, code: 'BLOB_UNKNOWN' },
];

t.test('every endpoint and error path, in order', async (t) => {
  const registry = await startTestRegistry(t);
  const saved = new Map<string, string>();
  for (const row of rows) {
    const path = typeof row.path === 'string' ? row.path : row.path(saved);
    const reply = await call(registry.url, row.method, path, { headers: row.headers, body: row.body });
    const label = `${row.what}: ${row.method} ${path}`;
    t.equal(reply.status, row.status, label, { body: reply.body.toString('utf8').slice(0, 300) });
    if (row.code !== undefined) t.equal(errorCode(reply), row.code, `${label} → ${row.code}`);
    if (row.status >= 400 && row.method !== 'HEAD') {
      t.equal(reply.header('content-type'), 'application/json', `${label}: error body is JSON`);
    }
    for (const [name, expected] of Object.entries(row.expectHeaders ?? {})) {
      if (expected instanceof RegExp) t.match(reply.header(name) ?? '', expected, `${label}: ${name}`);
      else t.equal(reply.header(name), expected, `${label}: ${name}`);
    }
    if (row.expectBody) t.ok(row.expectBody(reply), `${label}: body`);
    row.save?.(reply, saved);
  }
  t.equal(registry.logs.length, rows.length, 'one log line per request');
  t.ok(registry.logs.every((l) => typeof l.ms === 'number' && l.method && l.path && l.status), 'log lines are structured');
});

t.test('deletes can be disabled, each on its own', async (t) => {
  const registry = await startTestRegistry(t, { deletes: { manifests: false, tags: false, blobs: false } });
  const blob = content('kept');
  await call(registry.url, 'POST', `/v2/${R}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes });
  for (const path of [`/v2/${R}/manifests/${blob.digest}`, `/v2/${R}/manifests/v1`, `/v2/${R}/blobs/${blob.digest}`]) {
    const reply = await call(registry.url, 'DELETE', path);
    t.equal(reply.status, 405, `DELETE ${path}`);
    t.equal(errorCode(reply), 'UNSUPPORTED');
  }
});

t.test('automatic mount without from, when enabled', async (t) => {
  const registry = await startTestRegistry(t, { autoMount: true });
  const blob = content('discover me');
  await call(registry.url, 'POST', `/v2/a/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes });
  const reply = await call(registry.url, 'POST', `/v2/b/blobs/uploads/?mount=${blob.digest}`);
  t.equal(reply.status, 201);
  t.equal((await call(registry.url, 'GET', `/v2/b/blobs/${blob.digest}`)).status, 200);
});

t.test('referrers are paged with Link', async (t) => {
  const registry = await startTestRegistry(t, { referrersPageSize: 2 });
  const subject = content('subject');
  await call(registry.url, 'POST', `/v2/${R}/blobs/uploads/?digest=${emptyConfig.digest}`, { body: emptyConfig.bytes });
  const pushed = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const a = artifact(subject, 'application/vnd.example.note', { n: String(i) });
    const reply = await call(registry.url, 'PUT', `/v2/${R}/manifests/${a.digest}`, { headers: { 'Content-Type': OCI_MANIFEST }, body: a.bytes });
    t.equal(reply.status, 201);
    pushed.add(a.digest);
  }
  const seen: string[] = [];
  let next: string | undefined = `/v2/${R}/referrers/${subject.digest}`;
  for (let page = 0; next !== undefined && page < 10; page++) {
    const reply = await call(registry.url, 'GET', next);
    t.equal(reply.status, 200);
    const manifests = reply.json<{ manifests: { digest: string }[] }>().manifests;
    t.ok(manifests.length <= 2, 'page size respected');
    seen.push(...manifests.map((m) => m.digest));
    next = /<([^>]+)>;\s*rel="next"/.exec(reply.header('link') ?? '')?.[1];
  }
  t.same([...seen].sort(), [...pushed].sort(), 'every referrer once, none twice');
});

t.test('a chunked upload streamed with Transfer-Encoding: chunked', async (t) => {
  const registry = await startTestRegistry(t);
  const parts = [Buffer.alloc(70_000, 1), Buffer.alloc(50_000, 2)];
  const expected = sha256(Buffer.concat(parts));
  const opened = await call(registry.url, 'POST', `/v2/${R}/blobs/uploads/`);
  const location = opened.header('location') ?? '';
  async function* body() {
    for (const part of parts) yield part;
  }
  const patched = await call(registry.url, 'PATCH', location, { body: body(), headers: octet });
  t.equal(patched.status, 202);
  t.equal(patched.header('range'), '0-119999');
  const closed = await call(registry.url, 'PUT', `${location}?digest=${expected}`);
  t.equal(closed.status, 201);
});

t.test('POST /_touchstone/gc collects now, or as if ?advance=S seconds had passed', async (t) => {
  const registry = await startTestRegistry(t, { gcGraceMs: 60 * 60 * 1000 });
  const blob = content('unreferenced, fresh');
  const opened = await call(registry.url, 'POST', `/v2/${R}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: octet });
  t.equal(opened.status, 201);
  let gc = await call(registry.url, 'POST', '/_touchstone/gc');
  t.equal(gc.status, 200);
  t.match(gc.json(), { repositories: 1, blobsRemoved: [] }, 'within the grace period nothing goes');
  t.equal((await call(registry.url, 'HEAD', `/v2/${R}/blobs/${blob.digest}`)).status, 200);
  gc = await call(registry.url, 'POST', '/_touchstone/gc?advance=3601');
  t.same(gc.json<{ blobsRemoved: string[] }>().blobsRemoved, [`${R}@${blob.digest}`], 'an hour and a second later it is garbage');
  t.equal((await call(registry.url, 'HEAD', `/v2/${R}/blobs/${blob.digest}`)).status, 404);
  const bad = await call(registry.url, 'POST', '/_touchstone/gc?advance=soon');
  t.equal(bad.status, 400);
  t.equal(errorCode(bad), 'UNSUPPORTED');
  const method = await call(registry.url, 'GET', '/_touchstone/gc');
  t.equal(method.status, 405);
  t.equal(method.header('allow'), 'POST');
});
