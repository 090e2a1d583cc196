/**
 * The manifest checks (conformance/checks/manifests.ts) against the reference registry — every one
 * passes — and against the reference with a fault injected or behind a tampering proxy that
 * re-serializes bodies, drops headers, negotiates like CNCF Distribution 2.8.2, serves unknown
 * manifests, refuses some manifest kinds, mishandles sha512 or oversized bodies, or forgets tags,
 * to prove each check fails, warns or skips for the misbehaviour it is about.
 */
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { runCheck } from '../../../conformance/checks/runner.ts';
import manifests from '../../../conformance/checks/manifests.ts';
import { ALL_CAPABILITIES } from '../../../conformance/config.ts';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from '../../../spec/media-types.ts';
import type { FaultName } from '../../../reference/faults/catalog.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { checkContext, describeResult, runChecks, tampered as tamperedChecks, type TamperOptions } from '../../helpers/checks.ts';
import { errorReply, reply, withHeaders, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[], options?: TamperOptions) => tamperedChecks(t, hook, manifests, ids, options);

async function withFaults(t: Test, faults: readonly FaultName[], ids: readonly string[], config = {}) {
  const registry = await startTestRegistry(t, { faults });
  return runChecks(t, registry.url, manifests, ids, config);
}

const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const isManifest = (request: TamperRequest): boolean => MANIFEST_PATH.test(request.url.pathname);
const isManifestRead = (request: TamperRequest): boolean => isManifest(request) && (request.method === 'GET' || request.method === 'HEAD');
const isManifestPut = (request: TamperRequest): boolean => isManifest(request) && request.method === 'PUT';
const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function expectStatus(t: Test, results: Awaited<ReturnType<typeof runChecks>>, id: string, status: string, message?: RegExp): void {
  t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
  if (message) t.match(results.get(id)?.message, message, `${id} message`);
}

t.test('every manifest check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  const ctx = checkContext(t, registry.url);
  t.ok(manifests.length >= 30, 'the manifest checks are all there');
  t.equal(new Set(manifests.map((c) => c.id)).size, manifests.length, 'ids are unique');
  for (const c of manifests) {
    const result = await runCheck(c, ctx);
    t.equal(result.status, 'pass', `${c.id}: ${result.message}`);
    t.match(c.id, /^manifests\.(push|pull)\.[a-z0-9-]+$/, 'id in the manifests area');
  }
});

t.test('with spec v1.1.1 the main-branch checks skip; without the capabilities, the optional ones do', async (t) => {
  const registry = await startTestRegistry(t);
  let results = await runChecks(t, registry.url, manifests, ['manifests.pull.headers-required', 'manifests.push.tags-param', 'manifests.pull.headers'], { specVersion: 'v1.1.1' });
  expectStatus(t, results, 'manifests.pull.headers-required', 'skip', /added after v1\.1\.1/);
  expectStatus(t, results, 'manifests.push.tags-param', 'skip', /added after v1\.1\.1/);
  expectStatus(t, results, 'manifests.pull.headers', 'pass');
  results = await runChecks(t, registry.url, manifests, ['manifests.push.subject-header', 'manifests.push.sha512'], {
    capabilities: { ...ALL_CAPABILITIES, referrers: false, sha512: false },
  });
  expectStatus(t, results, 'manifests.push.subject-header', 'skip', /declared without: referrers/);
  expectStatus(t, results, 'manifests.push.sha512', 'skip', /declared without: sha512/);
});

t.test('a 201 without Location, or with a Docker-Content-Digest naming other content, fails the push checks', async (t) => {
  let results = await tampered(t, async (request, forward) => {
    if (!isManifestPut(request)) return undefined;
    return withHeaders(await forward(), { location: undefined });
  }, ['manifests.push.by-tag', 'manifests.push.by-digest']);
  expectStatus(t, results, 'manifests.push.by-tag', 'fail', /PUT manifest by tag: 201 without Location/);
  expectStatus(t, results, 'manifests.push.by-digest', 'fail', /without Location/);

  results = await tampered(t, async (request, forward) => {
    if (!isManifestPut(request)) return undefined;
    return withHeaders(await forward(), { 'docker-content-digest': sha256(Buffer.from('other')) });
  }, ['manifests.push.by-tag', 'manifests.push.by-digest']);
  expectStatus(t, results, 'manifests.push.by-tag', 'fail', /Docker-Content-Digest .* does not name the content/);
  expectStatus(t, results, 'manifests.push.by-digest', 'fail', /Docker-Content-Digest sha256:\S+ is not the digest pushed/);
});

t.test('a Location that does not serve the manifest fails manifests.push.by-tag', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isManifestPut(request)) return undefined;
    return withHeaders(await forward(), { location: `/v2/elsewhere/manifests/${sha256(Buffer.from('x'))}` });
  }, ['manifests.push.by-tag']);
  expectStatus(t, results, 'manifests.push.by-tag', 'fail', /GET the Location \/v2\/elsewhere.*expected status 200, got 404/);
});

t.test('a registry that serves manifests only by tag fails the by-digest checks', async (t) => {
  const results = await tampered(t, (request) => {
    if (isManifestRead(request) && /\/manifests\/sha256:/.test(request.path)) return errorReply(404, 'MANIFEST_UNKNOWN');
    return undefined;
  }, ['manifests.push.by-digest', 'manifests.pull.by-digest', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.push.by-digest', 'fail', /expected status 200, got 404/);
  expectStatus(t, results, 'manifests.pull.by-digest', 'fail', /pull by digest: GET .* expected status 200, got 404/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');
});

t.test('a registry storing a manifest under a digest it does not have fails manifests.push.digest-mismatch', async (t) => {
  let results = await withFaults(t, ['manifest-digest-not-verified'], ['manifests.push.digest-mismatch', 'manifests.push.by-digest']);
  expectStatus(t, results, 'manifests.push.digest-mismatch', 'fail', /expected status 400, got 201/);
  expectStatus(t, results, 'manifests.push.by-digest', 'pass');

  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestPut(request) && response.status === 400 ? errorReply(400, 'MANIFEST_INVALID') : response;
  }, ['manifests.push.digest-mismatch']);
  expectStatus(t, results, 'manifests.push.digest-mismatch', 'fail', /expected error code DIGEST_INVALID, got MANIFEST_INVALID/);
});

t.test('re-serialized manifests fail the byte-exact checks', async (t) => {
  // A compact re-encoder: what a registry parsing and re-marshalling JSON does.
  let results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method !== 'GET' || !isManifest(request) || response.status !== 200) return response;
    return { ...response, body: Buffer.from(JSON.stringify(JSON.parse(response.body.toString('utf8')))) };
  }, ['manifests.push.byte-exact', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.push.byte-exact', 'fail', /by tag: GET manifest formatted: body differs from what was pushed/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass', undefined);

  results = await withFaults(t, ['manifest-reformatted'], ['manifests.push.byte-exact', 'manifests.pull.by-tag', 'manifests.pull.by-digest']);
  for (const id of ['manifests.push.byte-exact', 'manifests.pull.by-tag', 'manifests.pull.by-digest']) expectStatus(t, results, id, 'fail', /body differs/);
});

t.test('manifests served as application/json warn on the Content-Type checks', async (t) => {
  const results = await withFaults(t, ['manifest-content-type-wrong'], ['manifests.pull.content-type', 'manifests.push.docker-manifest', 'manifests.push.docker-manifest-list', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.pull.content-type', 'warn', /Content-Type "application\/json", pushed as application\/vnd\.oci\.image\.manifest\.v1\+json/);
  expectStatus(t, results, 'manifests.push.docker-manifest', 'warn', /Content-Type application\/json, pushed as application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  expectStatus(t, results, 'manifests.push.docker-manifest-list', 'warn', /pushed as application\/vnd\.docker\.distribution\.manifest\.list\.v2\+json/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');
});

t.test('an index served with the manifest type warns on manifests.pull.content-type', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestRead(request) && response.headers['content-type'] === OCI_INDEX ? withHeaders(response, { 'content-type': OCI_MANIFEST }) : response;
  }, ['manifests.pull.content-type']);
  expectStatus(t, results, 'manifests.pull.content-type', 'warn', /GET manifest index: Content-Type "application\/vnd\.oci\.image\.manifest\.v1\+json", pushed as application\/vnd\.oci\.image\.index\.v1\+json/);
});

t.test('no Docker-Content-Digest: a warning in v1.1.1, a failure on main', async (t) => {
  const results = await withFaults(t, ['manifest-digest-header-missing'], ['manifests.pull.headers', 'manifests.pull.headers-required', 'manifests.pull.by-tag', 'manifests.pull.head']);
  expectStatus(t, results, 'manifests.pull.headers', 'warn', /GET manifest latest answered without Docker-Content-Digest/);
  expectStatus(t, results, 'manifests.pull.headers-required', 'fail', /GET manifest latest answered without Docker-Content-Digest/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');
  expectStatus(t, results, 'manifests.pull.head', 'pass');
});

t.test('HEAD without Content-Length warns on manifests.pull.headers and fails manifests.pull.headers-required', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (request.method !== 'HEAD' || !isManifest(request)) return undefined;
    return withHeaders(await forward(), { 'content-length': undefined });
  }, ['manifests.pull.headers', 'manifests.pull.headers-required', 'manifests.pull.head']);
  expectStatus(t, results, 'manifests.pull.headers', 'warn', /HEAD manifest latest answered without Content-Length/);
  expectStatus(t, results, 'manifests.pull.headers-required', 'fail', /HEAD manifest latest: Content-Length none, expected \d+/);
  expectStatus(t, results, 'manifests.pull.head', 'pass');
});

t.test('a Docker-Content-Digest naming other content fails manifests.pull.headers-required and manifests.pull.by-tag', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isManifestRead(request)) return undefined;
    return withHeaders(await forward(), { 'docker-content-digest': sha256(Buffer.from('other')) });
  }, ['manifests.pull.headers-required', 'manifests.pull.by-tag', 'manifests.pull.headers']);
  expectStatus(t, results, 'manifests.pull.headers-required', 'fail', /does not name the manifest/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'fail', /does not name the content/);
  expectStatus(t, results, 'manifests.pull.headers', 'warn', /does not name the manifest/);
});

t.test('HEAD answering 404, or headers unlike GET, fails manifests.pull.head', async (t) => {
  let results = await tampered(t, (request) => (request.method === 'HEAD' && isManifest(request) ? errorReply(404, 'MANIFEST_UNKNOWN') : undefined), ['manifests.pull.head']);
  expectStatus(t, results, 'manifests.pull.head', 'fail', /HEAD manifest latest: expected status 200, got 404/);

  results = await tampered(t, async (request, forward) => {
    if (request.method !== 'HEAD' || !isManifest(request)) return undefined;
    return withHeaders(await forward(), { 'content-type': 'application/json' });
  }, ['manifests.pull.head']);
  expectStatus(t, results, 'manifests.pull.head', 'fail', /HEAD manifest latest: content-type "application\/json", GET answered "application\/vnd\.oci\.image\.manifest\.v1\+json"/);

  results = await tampered(t, async (request, forward) => {
    if (request.method !== 'HEAD' || !isManifest(request)) return undefined;
    return withHeaders(await forward(), { 'content-length': '3' });
  }, ['manifests.pull.head']);
  expectStatus(t, results, 'manifests.pull.head', 'fail', /HEAD manifest latest: Content-Length 3, expected \d+/);
});

t.test('a registry answering 200 for unknown manifests fails manifests.pull.unknown and unknown-repository', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestRead(request) && response.status === 404 ? reply(200, { 'content-type': OCI_MANIFEST }, '{}') : response;
  }, ['manifests.pull.unknown', 'manifests.pull.unknown-repository']);
  expectStatus(t, results, 'manifests.pull.unknown', 'fail', /GET of an unknown manifest no-such-tag: expected status 404, got 200/);
  expectStatus(t, results, 'manifests.pull.unknown-repository', 'fail', /repository never pushed to: expected status 404, got 200/);
});

t.test('HEAD of an unknown digest answering 200 fails manifests.pull.unknown', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return request.method === 'HEAD' && /\/manifests\/sha256:/.test(request.path) && response.status === 404 ? reply(200) : response;
  }, ['manifests.pull.unknown']);
  expectStatus(t, results, 'manifests.pull.unknown', 'fail', /HEAD of an unknown manifest sha256:\S+: expected status 404, got 200/);
});

t.test('a tag no manifest can have answered 400 (the lookup refusing it as invalid) warns on manifests.pull.unknown-code', async (t) => {
  const results = await tampered(t, (request) => (isManifestRead(request) && request.url.pathname.endsWith('/.INVALID_MANIFEST_NAME') ? errorReply(400, 'MANIFEST_INVALID') : undefined), ['manifests.pull.unknown-code']);
  expectStatus(t, results, 'manifests.pull.unknown-code', 'warn', /GET of an unknown manifest \.INVALID_MANIFEST_NAME: expected status 404, got 400/);
});

t.test('another error code for an unknown manifest warns on manifests.pull.unknown-code; a non-JSON body passes', async (t) => {
  let results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestRead(request) && response.status === 404 ? errorReply(404, 'NAME_UNKNOWN') : response;
  }, ['manifests.pull.unknown-code', 'manifests.pull.unknown']);
  expectStatus(t, results, 'manifests.pull.unknown-code', 'warn', /expected error code MANIFEST_UNKNOWN, got NAME_UNKNOWN/);
  expectStatus(t, results, 'manifests.pull.unknown', 'pass');

  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestRead(request) && response.status === 404 ? reply(404, { 'content-type': 'text/plain' }, '404 page not found') : response;
  }, ['manifests.pull.unknown-code']);
  expectStatus(t, results, 'manifests.pull.unknown-code', 'pass');
});

t.test('a 403 for a repository that does not exist fails manifests.pull.unknown-repository', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestRead(request) && response.status === 404 ? errorReply(403, 'DENIED') : response;
  }, ['manifests.pull.unknown-repository']);
  expectStatus(t, results, 'manifests.pull.unknown-repository', 'fail', /expected status 404, got 403/);
});

t.test('Accept negotiation like CNCF Distribution 2.8.2 fails manifests.pull.no-accept only', async (t) => {
  // Distribution answers 404 for an OCI manifest when the Accept header lacks the OCI type (docs/deviations.md#cncf-distribution-282).
  const results = await tampered(t, async (request, forward) => {
    if (!isManifestRead(request)) return undefined;
    const response = await forward();
    const accept = request.headers.accept ?? '';
    if (response.headers['content-type'] === OCI_MANIFEST && !accept.includes(OCI_MANIFEST)) return errorReply(404, 'MANIFEST_UNKNOWN');
    return response;
  }, ['manifests.pull.no-accept', 'manifests.pull.accept-exact', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.pull.no-accept', 'fail', /no Accept header: GET \/v2\/.*\/manifests\/latest: expected status 200, got 404/);
  expectStatus(t, results, 'manifests.pull.accept-exact', 'pass');
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');
});

t.test('a registry that negotiates only Docker types fails manifests.pull.accept-exact', async (t) => {
  const results = await tampered(t, (request) => {
    const accept = request.headers.accept;
    if (isManifestRead(request) && accept !== undefined && !accept.includes(DOCKER_MANIFEST)) return errorReply(404, 'MANIFEST_UNKNOWN');
    return undefined;
  }, ['manifests.pull.accept-exact', 'manifests.pull.no-accept']);
  expectStatus(t, results, 'manifests.pull.accept-exact', 'fail', /Accept: application\/vnd\.oci\.image\.manifest\.v1\+json: GET .* expected status 200, got 404/);
  expectStatus(t, results, 'manifests.pull.no-accept', 'pass');
});

t.test('a registry serving manifests from any repository fails manifests.pull.repo-isolation', async (t) => {
  // Remembers where each manifest was pushed and serves it from there whatever the repository asked.
  const home = new Map<string, string>();
  const results = await tampered(t, async (request, forward) => {
    const match = MANIFEST_PATH.exec(request.url.pathname);
    const response = await forward();
    if (!match) return response;
    const [, repo = '', reference = ''] = match;
    if (request.method === 'PUT' && response.status === 201) {
      home.set(reference, repo);
      home.set(response.headers['docker-content-digest'] ?? '', repo);
    }
    const owner = home.get(reference);
    if (isManifestRead(request) && response.status === 404 && owner !== undefined) return forward({ path: `/v2/${owner}/manifests/${reference}` });
    return response;
  }, ['manifests.pull.repo-isolation', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.pull.repo-isolation', 'fail', /pushed only to another repository: expected status 404, got 200/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');
});

t.test('a registry refusing image indexes fails manifests.push.index and manifests.push.nested-index', async (t) => {
  const results = await tampered(t, (request) => {
    if (isManifestPut(request) && request.headers['content-type'] === OCI_INDEX) return errorReply(400, 'MANIFEST_INVALID');
    return undefined;
  }, ['manifests.push.index', 'manifests.push.nested-index', 'manifests.push.by-tag']);
  expectStatus(t, results, 'manifests.push.index', 'fail', /PUT an image index: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.nested-index', 'fail', /PUT the inner index by digest: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.by-tag', 'pass');
});

t.test('a registry refusing an index of indexes fails manifests.push.nested-index only', async (t) => {
  const results = await tampered(t, (request) => {
    if (!isManifestPut(request) || request.headers['content-type'] !== OCI_INDEX) return undefined;
    const body = JSON.parse(request.body.toString('utf8')) as { manifests: { mediaType: string }[] };
    return body.manifests.some((m) => m.mediaType === OCI_INDEX) ? errorReply(400, 'MANIFEST_INVALID') : undefined;
  }, ['manifests.push.nested-index', 'manifests.push.index']);
  expectStatus(t, results, 'manifests.push.nested-index', 'fail', /PUT an index of an index: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.index', 'pass');
});

t.test('a missing child, config or layer refused with another code or status fails', async (t) => {
  const ids = ['manifests.push.index-missing-child', 'manifests.push.missing-blob'];
  let results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestPut(request) && response.status === 400 ? errorReply(400, 'MANIFEST_INVALID') : response;
  }, ids);
  expectStatus(t, results, 'manifests.push.index-missing-child', 'fail', /refused: expected error code MANIFEST_BLOB_UNKNOWN, got MANIFEST_INVALID/);
  expectStatus(t, results, 'manifests.push.missing-blob', 'fail', /config is missing refused: expected error code MANIFEST_BLOB_UNKNOWN, got MANIFEST_INVALID/);

  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestPut(request) && response.status === 400 ? errorReply(404, 'BLOB_UNKNOWN') : response;
  }, ids);
  expectStatus(t, results, 'manifests.push.index-missing-child', 'fail', /expected status 201 or 400, got 404/);
  expectStatus(t, results, 'manifests.push.missing-blob', 'fail', /expected status 201 or 400, got 404/);

  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isManifestPut(request) && response.status === 400 ? reply(500, { 'content-type': 'text/plain' }, 'internal error') : response;
  }, ['manifests.push.missing-blob']);
  expectStatus(t, results, 'manifests.push.missing-blob', 'fail', /got 500/);
});

t.test('accepting a manifest with missing references passes, as long as it is then served', async (t) => {
  // A lenient registry: what the reference refuses with MANIFEST_BLOB_UNKNOWN, it stores anyway.
  const lenient = (serve: boolean): TamperHook => {
    const stored = new Map<string, { type: string; body: Buffer }>();
    return async (request, forward) => {
      const match = MANIFEST_PATH.exec(request.url.pathname);
      if (!match) return undefined;
      const [, repo = '', reference = ''] = match;
      const entry = stored.get(`${repo}/${reference}`);
      if (isManifestRead(request) && entry !== undefined) return reply(200, { 'content-type': entry.type }, entry.body);
      const response = await forward();
      if (request.method === 'PUT' && response.status === 400 && response.body.toString('utf8').includes('MANIFEST_BLOB_UNKNOWN')) {
        const digest = sha256(request.body);
        const kept = { type: request.headers['content-type'] ?? OCI_MANIFEST, body: request.body };
        if (serve) for (const key of [reference, digest]) stored.set(`${repo}/${key}`, kept);
        return reply(201, { location: `/v2/${repo}/manifests/${digest}`, 'docker-content-digest': digest });
      }
      return response;
    };
  };
  const ids = ['manifests.push.index-missing-child', 'manifests.push.missing-blob'];
  let results = await tampered(t, lenient(true), ids);
  expectStatus(t, results, 'manifests.push.index-missing-child', 'pass', /accepted \(201\)/);
  expectStatus(t, results, 'manifests.push.missing-blob', 'pass', /config missing: accepted \(201\); layer missing: accepted \(201\)/);

  results = await tampered(t, lenient(false), ids);
  expectStatus(t, results, 'manifests.push.index-missing-child', 'fail', /accepted: GET .* expected status 200, got 404/);
  expectStatus(t, results, 'manifests.push.missing-blob', 'fail', /accepted: GET .* expected status 200, got 404/);
});

t.test('a registry refusing artifacts fails the artifact and subject checks', async (t) => {
  // Like registries that accept only image manifests with an image config.
  const results = await tampered(t, (request) => {
    if (isManifestPut(request) && request.body.includes('artifactType')) return errorReply(400, 'MANIFEST_INVALID');
    return undefined;
  }, ['manifests.push.artifact', 'manifests.push.artifact-empty-layer', 'manifests.push.subject-missing', 'manifests.push.by-tag']);
  expectStatus(t, results, 'manifests.push.artifact', 'fail', /PUT an artifact manifest: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.artifact-empty-layer', 'fail', /expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.subject-missing', 'fail', /expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.by-tag', 'pass');
});

t.test('a registry refusing the empty descriptor as a layer fails manifests.push.artifact-empty-layer only', async (t) => {
  const results = await tampered(t, (request) => {
    if (!isManifestPut(request) || request.headers['content-type'] !== OCI_MANIFEST) return undefined;
    const body = JSON.parse(request.body.toString('utf8')) as { layers: { mediaType: string }[] };
    return body.layers.some((l) => l.mediaType === OCI_EMPTY) ? errorReply(400, 'MANIFEST_INVALID') : undefined;
  }, ['manifests.push.artifact-empty-layer', 'manifests.push.artifact']);
  expectStatus(t, results, 'manifests.push.artifact-empty-layer', 'fail', /PUT an artifact with the empty descriptor as its layer: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.artifact', 'pass');
});

t.test('a registry refusing a manifest whose subject is unknown fails manifests.push.subject-missing', async (t) => {
  const results = await tampered(t, (request) => {
    if (isManifestPut(request) && request.body.includes('"subject"')) return errorReply(400, 'MANIFEST_BLOB_UNKNOWN');
    return undefined;
  }, ['manifests.push.subject-missing', 'manifests.push.artifact']);
  expectStatus(t, results, 'manifests.push.subject-missing', 'fail', /PUT a manifest whose subject was never pushed: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.artifact', 'pass');
});

t.test('a missing or wrong OCI-Subject fails manifests.push.subject-header', async (t) => {
  let results = await withFaults(t, ['subject-header-missing'], ['manifests.push.subject-header', 'manifests.push.subject-missing']);
  expectStatus(t, results, 'manifests.push.subject-header', 'fail', /PUT a manifest with an existing subject: OCI-Subject missing, expected sha256:/);
  expectStatus(t, results, 'manifests.push.subject-missing', 'pass');

  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return response.headers['oci-subject'] === undefined ? response : withHeaders(response, { 'oci-subject': sha256(Buffer.from('other')) });
  }, ['manifests.push.subject-header']);
  expectStatus(t, results, 'manifests.push.subject-header', 'fail', /OCI-Subject "sha256:\S+", expected sha256:/);
});

t.test('a registry refusing Docker schema2 warns on the Docker checks (non-normative)', async (t) => {
  const results = await tampered(t, (request) => {
    const type = request.headers['content-type'];
    if (isManifestPut(request) && (type === DOCKER_MANIFEST || type === DOCKER_MANIFEST_LIST)) return errorReply(400, 'MANIFEST_INVALID');
    return undefined;
  }, ['manifests.push.docker-manifest', 'manifests.push.docker-manifest-list']);
  expectStatus(t, results, 'manifests.push.docker-manifest', 'warn', /PUT a Docker schema2 manifest: expected status 201, got 400/);
  expectStatus(t, results, 'manifests.push.docker-manifest-list', 'warn', /setup: push manifest sha256:\S+: expected status 201, got 400/);
  t.equal(results.get('manifests.push.docker-manifest')?.nonNormative, true);
});

t.test('sha512 manifests: a 4xx skips; a 500, a sha256 alias or a digest that 404s fails', async (t) => {
  const id = 'manifests.push.sha512';
  const isSha512Put = (request: TamperRequest): boolean => isManifestPut(request) && request.url.pathname.includes('/manifests/sha512:');
  let results = await tampered(t, (request) => (isSha512Put(request) ? errorReply(400, 'DIGEST_INVALID') : undefined), [id]);
  expectStatus(t, results, id, 'skip', /does not accept sha512 manifests \(PUT \/manifests\/sha512:… answered 400\)/);

  results = await tampered(t, (request) => (isSha512Put(request) ? reply(500, { 'content-type': 'text/plain' }, 'internal error') : undefined), [id]);
  expectStatus(t, results, id, 'fail', /expected status 201, got 500/);

  // Like Distribution 2.8.2: the manifest is stored under its sha256 digest whatever the client named.
  const asSha256 = (keepHeader: boolean): TamperHook => async (request, forward) => {
    if (!isSha512Put(request)) return undefined;
    const response = await forward({ path: request.url.pathname.replace(/sha512:[a-f0-9]+$/, 'sha512-alias') });
    return keepHeader ? response : withHeaders(response, { 'docker-content-digest': undefined });
  };
  results = await tampered(t, asSha256(true), [id]);
  expectStatus(t, results, id, 'fail', /Docker-Content-Digest sha256:\S+ is not the digest pushed \(sha512:/);
  results = await tampered(t, asSha256(false), [id]);
  expectStatus(t, results, id, 'fail', /by its sha512 digest: GET .* expected status 200, got 404/);
});

t.test('a moved tag that drops or hides the new manifest fails manifests.push.tag-move', async (t) => {
  let results = await withFaults(t, ['tag-move-drops-old-manifest'], ['manifests.push.tag-move', 'manifests.pull.by-tag']);
  expectStatus(t, results, 'manifests.push.tag-move', 'fail', /the manifest the tag moved away from: GET .* expected status 200, got 404/);
  expectStatus(t, results, 'manifests.pull.by-tag', 'pass');

  // A stale tag cache: the tag keeps resolving to the first manifest pushed under it.
  const firstDigest = new Map<string, string>();
  results = await tampered(t, async (request, forward) => {
    const match = MANIFEST_PATH.exec(request.url.pathname);
    if (!match) return undefined;
    const [, repo = '', reference = ''] = match;
    if (request.method === 'PUT') {
      const response = await forward();
      if (!firstDigest.has(`${repo}/${reference}`)) firstDigest.set(`${repo}/${reference}`, response.headers['docker-content-digest'] ?? '');
      return response;
    }
    const stale = firstDigest.get(`${repo}/${reference}`);
    return stale !== undefined && !reference.includes(':') ? forward({ path: `/v2/${repo}/manifests/${stale}` }) : undefined;
  }, ['manifests.push.tag-move']);
  expectStatus(t, results, 'manifests.push.tag-move', 'fail', /the moved tag: GET manifest moving: body differs/);
});

t.test('?tag=: no OCI-Tag skips; missing OCI-Tags or tags that do not resolve fail', async (t) => {
  const id = 'manifests.push.tags-param';
  const isTaggedPut = (request: TamperRequest): boolean => isManifestPut(request) && request.url.searchParams.has('tag');
  let results = await tampered(t, async (request, forward) => {
    if (!isTaggedPut(request)) return undefined;
    return withHeaders(await forward(), { 'oci-tag': undefined });
  }, [id]);
  expectStatus(t, results, id, 'skip', /does not support \?tag= on a push by digest/);

  // Only the first tag is applied, and only it is confirmed.
  results = await tampered(t, (request, forward) => {
    if (!isTaggedPut(request)) return undefined;
    return forward({ path: `${request.url.pathname}?tag=${request.url.searchParams.get('tag') ?? ''}` });
  }, [id]);
  expectStatus(t, results, id, 'fail', /no OCI-Tag header for second \(got first\)/);

  // Both confirmed, neither applied.
  results = await tampered(t, async (request, forward) => {
    if (!isTaggedPut(request)) return undefined;
    return withHeaders(await forward({ path: request.url.pathname }), { 'oci-tag': request.url.searchParams.getAll('tag').join(', ') });
  }, [id]);
  expectStatus(t, results, id, 'fail', /tag first pushed with \?tag=: GET .* expected status 200, got 404/);
});
