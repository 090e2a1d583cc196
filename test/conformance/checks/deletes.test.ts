/**
 * The delete checks (conformance/checks/deletes.ts) against the reference registry — every one
 * passes — against the reference with deletes disabled or a delete fault from the catalog, and
 * behind a tampering proxy (deletes answered 202 without deleting, CNCF Distribution 2.8.2's 400
 * DIGEST_INVALID to a tag delete, shared layers lost), to prove each check fails, warns or skips.
 */
import t, { type Test } from 'tap';
import deletes from '../../../conformance/checks/deletes.ts';
import { ALL_CAPABILITIES } from '../../../conformance/config.ts';
import type { RegistryOptions } from '../../../reference/registry.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, reply, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ALL = deletes.map((c) => c.id);
const TAG_CHECKS = ['deletes.tag.status', 'deletes.tag.supported', 'deletes.tag.disabled-code', 'deletes.tag.only-that-tag'];

const tampered = (t: Test, hook: TamperHook, ids: readonly string[], registry: Partial<RegistryOptions> = {}) => tamperedChecks(t, hook, deletes, ids, { registry });
const withRegistry = (t: Test, registry: Partial<RegistryOptions>, ids: readonly string[]) => tampered(t, () => undefined, ids, registry);

const isManifestDeleteByDigest = (r: TamperRequest): boolean => r.method === 'DELETE' && /\/manifests\/sha256:/.test(r.url.pathname);
const isTagDelete = (r: TamperRequest): boolean => r.method === 'DELETE' && r.url.pathname.endsWith('/manifests/drop');
const isBlobDelete = (r: TamperRequest): boolean => r.method === 'DELETE' && /\/blobs\/sha256:/.test(r.url.pathname);

t.test('every delete check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  t.ok(deletes.length >= 10, 'the delete checks are all there');
  const results = await runChecks(t, registry.url, deletes, ALL);
  for (const c of deletes) {
    t.equal(results.get(c.id)?.status, c.id === 'deletes.tag.disabled-code' ? 'skip' : 'pass', describeResult(results, c.id));
    t.match(c.id, /^deletes\.(manifest|tag|blob)\.[a-z0-9-]+$/, 'id in the deletes area');
  }
  t.match(results.get('deletes.tag.disabled-code')?.message, /the registry deletes tags \(202\)/);
  t.match(results.get('deletes.blob.referenced')?.message, /refused \(405\)/);
});

t.test('a registry declared without deletes gets every check skipped with the reason', async (t) => {
  const registry = await startTestRegistry(t);
  const capabilities = { ...ALL_CAPABILITIES, manifestDeletes: false, tagDeletes: false, blobDeletes: false };
  const results = await runChecks(t, registry.url, deletes, ALL, { capabilities });
  for (const c of deletes) {
    t.equal(results.get(c.id)?.status, 'skip', describeResult(results, c.id));
    t.match(results.get(c.id)?.message, /registry declared without: (manifestDeletes|tagDeletes|blobDeletes)/);
  }
});

t.test('tags left dangling by a manifest delete (fault delete-manifest-leaves-tags) fail deletes.manifest.by-digest', async (t) => {
  const results = await withRegistry(t, { faults: ['delete-manifest-leaves-tags'] }, ['deletes.manifest.by-digest']);
  t.equal(results.get('deletes.manifest.by-digest')?.status, 'fail', describeResult(results, 'deletes.manifest.by-digest'));
  t.match(results.get('deletes.manifest.by-digest')?.message, /expected status 404, got 200/);
});

t.test('a tag still resolving or still listed after the manifest delete fails deletes.manifest.by-digest', async (t) => {
  // The digest is gone but tag "two" still answers, like an index entry left behind.
  let results = await tampered(t, async (request, forward) => {
    if (request.method === 'GET' && request.url.pathname.endsWith('/manifests/two')) {
      const response = await forward();
      return response.status === 404 ? reply(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, '{}') : response;
    }
    return undefined;
  }, ['deletes.manifest.by-digest']);
  t.equal(results.get('deletes.manifest.by-digest')?.status, 'fail', describeResult(results, 'deletes.manifest.by-digest'));
  t.match(results.get('deletes.manifest.by-digest')?.message, /GET of tag two, which pointed to the deleted manifest: expected status 404, got 200/);
  results = await tampered(t, (request) => (request.method === 'GET' && request.url.pathname.endsWith('/tags/list') ? reply(200, {}, { name: 'x', tags: ['three'] }) : undefined), ['deletes.manifest.by-digest']);
  t.match(results.get('deletes.manifest.by-digest')?.message, /tags\/list still names tags of the deleted manifest: \["three"\]/);
});

t.test('a manifest delete answered 202 without deleting fails deletes.manifest.by-digest', async (t) => {
  const results = await tampered(t, (request) => (isManifestDeleteByDigest(request) ? reply(202) : undefined), ['deletes.manifest.by-digest']);
  t.equal(results.get('deletes.manifest.by-digest')?.status, 'fail', describeResult(results, 'deletes.manifest.by-digest'));
  t.match(results.get('deletes.manifest.by-digest')?.message, /GET by digest of a deleted manifest: expected status 404, got 200/);
});

t.test('manifest deletes disabled on a registry declared with them fail, suggesting the flag', async (t) => {
  const results = await withRegistry(t, { deletes: { manifests: false } }, ['deletes.manifest.by-digest', 'deletes.manifest.unknown', 'deletes.manifest.shared-blobs']);
  for (const id of ['deletes.manifest.by-digest', 'deletes.manifest.unknown']) {
    t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
    t.match(results.get(id)?.message, /got 405 .*405 is the spec's answer when this kind of delete is disabled: .*--no-manifest-deletes/);
  }
  t.equal(results.get('deletes.manifest.shared-blobs')?.status, 'skip');
  t.match(results.get('deletes.manifest.shared-blobs')?.message, /answered 405, not 202: see deletes.manifest.by-digest/);
});

t.test('a 400 with another code than UNSUPPORTED is no disabled delete: no flag suggested', async (t) => {
  const results = await tampered(t, (request) => (isManifestDeleteByDigest(request) ? errorReply(400, 'DIGEST_INVALID') : undefined), ['deletes.manifest.by-digest']);
  t.equal(results.get('deletes.manifest.by-digest')?.status, 'fail', describeResult(results, 'deletes.manifest.by-digest'));
  t.notMatch(results.get('deletes.manifest.by-digest')?.message, /--no-manifest-deletes/);
});

t.test('a 202 to deleting an unknown manifest fails deletes.manifest.unknown', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isManifestDeleteByDigest(request)) return undefined;
    const response = await forward();
    return response.status === 404 ? reply(202) : response;
  }, ['deletes.manifest.unknown']);
  t.equal(results.get('deletes.manifest.unknown')?.status, 'fail', describeResult(results, 'deletes.manifest.unknown'));
  t.match(results.get('deletes.manifest.unknown')?.message, /DELETE of a manifest the repository never had: expected status 404, got 202/);
});

t.test('a layer lost with a deleted manifest that shared it fails deletes.manifest.shared-blobs', async (t) => {
  let deleted = false;
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (isManifestDeleteByDigest(request) && response.status === 202) deleted = true;
    if (deleted && request.method === 'GET' && /\/blobs\/sha256:/.test(request.url.pathname)) return errorReply(404, 'BLOB_UNKNOWN');
    return response;
  }, ['deletes.manifest.shared-blobs']);
  t.equal(results.get('deletes.manifest.shared-blobs')?.status, 'fail', describeResult(results, 'deletes.manifest.shared-blobs'));
  t.match(results.get('deletes.manifest.shared-blobs')?.message, /the layer both images shared, after deleting one: .*expected status 200, got 404/);
});

t.test('tag deletes disabled (405 UNSUPPORTED) warn on deletes.tag.supported only, the semantics skip', async (t) => {
  const results = await withRegistry(t, { deletes: { tags: false } }, TAG_CHECKS);
  t.equal(results.get('deletes.tag.status')?.status, 'pass', describeResult(results, 'deletes.tag.status'));
  t.equal(results.get('deletes.tag.supported')?.status, 'warn', describeResult(results, 'deletes.tag.supported'));
  t.match(results.get('deletes.tag.supported')?.message, /answered 405: tag deletion is disabled .*--no-tag-deletes/);
  t.equal(results.get('deletes.tag.disabled-code')?.status, 'pass', describeResult(results, 'deletes.tag.disabled-code'));
  t.equal(results.get('deletes.tag.only-that-tag')?.status, 'skip');
  t.match(results.get('deletes.tag.only-that-tag')?.message, /answered 405, not 202 .*see deletes.tag.supported/);
});

t.test('a tag delete answered 400 DIGEST_INVALID (CNCF Distribution 2.8.2) warns on the code check', async (t) => {
  const results = await tampered(t, (request) => (isTagDelete(request) ? errorReply(400, 'DIGEST_INVALID') : undefined), TAG_CHECKS);
  t.equal(results.get('deletes.tag.status')?.status, 'pass', describeResult(results, 'deletes.tag.status'));
  t.equal(results.get('deletes.tag.supported')?.status, 'warn');
  t.equal(results.get('deletes.tag.disabled-code')?.status, 'warn', describeResult(results, 'deletes.tag.disabled-code'));
  t.match(results.get('deletes.tag.disabled-code')?.message, /expected error code UNSUPPORTED, got DIGEST_INVALID/);
  t.equal(results.get('deletes.tag.only-that-tag')?.status, 'skip');
});

t.test('a tag delete answered 500 fails deletes.tag.status', async (t) => {
  const results = await tampered(t, (request) => (isTagDelete(request) ? reply(500, {}, 'boom') : undefined), TAG_CHECKS);
  t.equal(results.get('deletes.tag.status')?.status, 'fail', describeResult(results, 'deletes.tag.status'));
  t.match(results.get('deletes.tag.status')?.message, /DELETE by tag: expected status 202 or 400 or 405, got 500/);
  t.equal(results.get('deletes.tag.supported')?.status, 'warn');
  t.equal(results.get('deletes.tag.disabled-code')?.status, 'warn');
  t.equal(results.get('deletes.tag.only-that-tag')?.status, 'skip');
});

t.test('a tag delete taking the manifest along (fault delete-tag-deletes-manifest) fails deletes.tag.only-that-tag', async (t) => {
  const results = await withRegistry(t, { faults: ['delete-tag-deletes-manifest'] }, ['deletes.tag.only-that-tag']);
  t.equal(results.get('deletes.tag.only-that-tag')?.status, 'fail', describeResult(results, 'deletes.tag.only-that-tag'));
  t.match(results.get('deletes.tag.only-that-tag')?.message, /the manifest of a deleted tag: GET .*expected status 200, got 404/);
});

t.test('a tag delete answered 202 without deleting, or losing the other tag, fails deletes.tag.only-that-tag', async (t) => {
  let results = await tampered(t, (request) => (isTagDelete(request) ? reply(202) : undefined), ['deletes.tag.only-that-tag']);
  t.equal(results.get('deletes.tag.only-that-tag')?.status, 'fail', describeResult(results, 'deletes.tag.only-that-tag'));
  t.match(results.get('deletes.tag.only-that-tag')?.message, /GET of a deleted tag: expected status 404, got 200/);
  results = await tampered(t, (request) => (request.method === 'GET' && request.url.pathname.endsWith('/tags/list') ? reply(200, {}, { name: 'x', tags: [] }) : undefined), ['deletes.tag.only-that-tag']);
  t.match(results.get('deletes.tag.only-that-tag')?.message, /tags\/list lost the tag that was not deleted/);
});

t.test('blob deletes disabled on a registry declared with them fail, suggesting the flag', async (t) => {
  const results = await withRegistry(t, { deletes: { blobs: false } }, ['deletes.blob.unreferenced', 'deletes.blob.unknown', 'deletes.blob.referenced']);
  for (const id of ['deletes.blob.unreferenced', 'deletes.blob.unknown']) {
    t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
    t.match(results.get(id)?.message, /got 405 .*--no-blob-deletes/);
  }
  t.equal(results.get('deletes.blob.referenced')?.status, 'pass', 'a 405 refusal leaves the referenced layer, as it should');
  t.match(results.get('deletes.blob.referenced')?.message, /refused \(405\)/);
});

t.test('a blob delete answered 202 without deleting fails deletes.blob.unreferenced and deletes.blob.referenced', async (t) => {
  const results = await tampered(t, (request) => (isBlobDelete(request) ? reply(202) : undefined), ['deletes.blob.unreferenced', 'deletes.blob.referenced']);
  t.equal(results.get('deletes.blob.unreferenced')?.status, 'fail', describeResult(results, 'deletes.blob.unreferenced'));
  t.match(results.get('deletes.blob.unreferenced')?.message, /GET of a deleted blob: expected status 404, got 200/);
  t.equal(results.get('deletes.blob.referenced')?.status, 'fail', describeResult(results, 'deletes.blob.referenced'));
  t.match(results.get('deletes.blob.referenced')?.message, /whose DELETE answered 202: expected status 404, got 200/);
});

t.test('a 202 to deleting an unknown blob fails deletes.blob.unknown', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobDelete(request)) return undefined;
    const response = await forward();
    return response.status === 404 ? reply(202) : response;
  }, ['deletes.blob.unknown']);
  t.equal(results.get('deletes.blob.unknown')?.status, 'fail', describeResult(results, 'deletes.blob.unknown'));
  t.match(results.get('deletes.blob.unknown')?.message, /DELETE of a blob the repository never had: expected status 404, got 202/);
});

t.test('deletes.blob.referenced: a real 202 passes; a 5xx, or a refusal that deleted anyway, fails', async (t) => {
  // A registry deleting referenced blobs: 202, then the blob is gone.
  const gone = new Set<string>();
  const deleting: TamperHook = (request) => {
    if (isBlobDelete(request)) {
      gone.add(request.url.pathname);
      return reply(202);
    }
    return request.method === 'GET' && gone.has(request.url.pathname) ? errorReply(404, 'BLOB_UNKNOWN') : undefined;
  };
  let results = await tampered(t, deleting, ['deletes.blob.referenced']);
  t.equal(results.get('deletes.blob.referenced')?.status, 'pass', describeResult(results, 'deletes.blob.referenced'));
  t.match(results.get('deletes.blob.referenced')?.message, /deleted \(202\)/);

  results = await tampered(t, (request) => (isBlobDelete(request) ? reply(500, {}, 'boom') : undefined), ['deletes.blob.referenced']);
  t.equal(results.get('deletes.blob.referenced')?.status, 'fail', describeResult(results, 'deletes.blob.referenced'));
  t.match(results.get('deletes.blob.referenced')?.message, /expected 202 or a 4xx refusal, got 500/);

  const refusedButGone = new Set<string>();
  results = await tampered(t, async (request, forward) => {
    if (isBlobDelete(request)) refusedButGone.add(request.url.pathname);
    else if (request.method === 'GET' && refusedButGone.has(request.url.pathname)) return errorReply(404, 'BLOB_UNKNOWN');
    return forward();
  }, ['deletes.blob.referenced']);
  t.equal(results.get('deletes.blob.referenced')?.status, 'fail', describeResult(results, 'deletes.blob.referenced'));
  t.match(results.get('deletes.blob.referenced')?.message, /after DELETE of a referenced layer answered 405: .*expected status 200, got 404/);
});
