/**
 * The flows of the official conformance suite at distribution-spec tag v1.1.1 that the reference
 * registry used to fail, replayed request by request with the answers that suite accepts:
 * - its "nonexistent manifest" is a reference that fails the tag grammar (`.INVALID_MANIFEST_NAME`):
 *   GET, HEAD and DELETE of it must be 404 (MANIFEST_UNKNOWN), like any manifest the registry does
 *   not know; a PUT under an invalid tag is still refused as invalid (400 MANIFEST_INVALID);
 * - its teardown deletes blobs before the manifests that reference them and accepts 2xx, 404 or
 *   405: the reference keeps refusing — a referenced blob must not vanish — with 405 DENIED, the
 *   referencing manifest in `detail`; once the manifest is gone, the blob delete succeeds.
 */
import t from 'tap';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { config, imageManifest, layer, pushBlob } from '../../helpers/oci.ts';

const NAMESPACE = 'conformance/v111';
const INVALID = '.INVALID_MANIFEST_NAME';

t.test('pulling and deleting a manifest that cannot exist: 404', async (t) => {
  const registry = await startTestRegistry(t);
  const cfg = config('v111');
  const blob = layer('v111');
  for (const b of [cfg, blob]) await pushBlob(registry.url, NAMESPACE, b);
  const manifest = imageManifest(cfg, [blob]);
  t.equal((await call(registry.url, 'PUT', `/v2/${NAMESPACE}/manifests/tagtest0`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } })).status, 201);

  for (const method of ['GET', 'HEAD', 'DELETE']) {
    const reply = await call(registry.url, method, `/v2/${NAMESPACE}/manifests/${INVALID}`);
    t.equal(reply.status, 404, `${method} ${INVALID}: 404`);
    if (method !== 'HEAD') t.equal(reply.json<{ errors: { code: string }[] }>().errors[0]?.code, 'MANIFEST_UNKNOWN', `${method}: MANIFEST_UNKNOWN`);
  }
  const put = await call(registry.url, 'PUT', `/v2/${NAMESPACE}/manifests/${INVALID}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
  t.equal(put.status, 400, 'a PUT under it is still refused as invalid');
  t.equal(put.json<{ errors: { code: string }[] }>().errors[0]?.code, 'MANIFEST_INVALID');
});

t.test('teardown deleting blobs before manifests: 405 DENIED naming the manifest, then 202 once it is gone', async (t) => {
  const registry = await startTestRegistry(t);
  const cfg = config('v111-teardown');
  const blob = layer('v111-teardown');
  for (const b of [cfg, blob]) await pushBlob(registry.url, NAMESPACE, b);
  const manifest = imageManifest(cfg, [blob]);
  await call(registry.url, 'PUT', `/v2/${NAMESPACE}/manifests/tagtest0`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });

  const accepted = (status: number): boolean => (status >= 200 && status < 300) || status === 404 || status === 405;
  for (const b of [cfg, blob]) {
    const reply = await call(registry.url, 'DELETE', `/v2/${NAMESPACE}/blobs/${b.digest}`);
    t.ok(accepted(reply.status), `blob delete answered ${reply.status}: one of 2xx, 404, 405`);
    t.equal(reply.status, 405, 'refused: a manifest still references it');
    const error = reply.json<{ errors: { code: string; detail: { manifest?: string } }[] }>().errors[0];
    t.equal(error?.code, 'DENIED');
    t.equal(error?.detail.manifest, manifest.digest, 'detail names the manifest to delete first');
    t.equal((await call(registry.url, 'GET', `/v2/${NAMESPACE}/blobs/${b.digest}`)).status, 200, 'the blob is still there');
  }
  t.equal((await call(registry.url, 'DELETE', `/v2/${NAMESPACE}/manifests/${manifest.digest}`)).status, 202, 'the manifest goes');
  for (const b of [cfg, blob]) t.equal((await call(registry.url, 'DELETE', `/v2/${NAMESPACE}/blobs/${b.digest}`)).status, 202, 'then its blobs');
});
