/**
 * The fault layer (reference/faults/): absent unless asked for; every fault off behaves exactly like
 * the registry; a fault can be switched on and off while the registry runs, through the request
 * rewriting layer (a blob's bytes) and through the store decorators (a manifest delete).
 */
import t from 'tap';
import { FaultSet } from '../../reference/faults/catalog.ts';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { config, imageManifest, layer, pushBlob } from '../helpers/oci.ts';

const name = 'faults/runtime';
const cfg = config('faults');
const blob = layer('faults');
const image = imageManifest(cfg, [blob]);

t.test('without the faults option the registry has no fault layer', async (t) => {
  const registry = await startTestRegistry(t);
  t.equal(registry.faults, undefined);
});

t.test('a fault switched on and off while the registry runs', async (t) => {
  const faults = new FaultSet();
  const registry = await startTestRegistry(t, { faults });
  t.equal(registry.faults, faults);
  await pushBlob(registry.url, name, cfg);
  await pushBlob(registry.url, name, blob);
  const put = (tag: string) => call(registry.url, 'PUT', `/v2/${name}/manifests/${tag}`, { body: image.bytes, headers: { 'Content-Type': image.mediaType } });
  t.equal((await put('one')).status, 201);
  t.equal((await put('two')).status, 201);

  const get = () => call(registry.url, 'GET', `/v2/${name}/blobs/${blob.digest}`);
  t.same((await get()).body, Buffer.from(blob.bytes), 'all faults off: the exact bytes');
  faults.set('blob-body-corrupted', true);
  const corrupted = await get();
  t.equal(corrupted.status, 200);
  t.equal(corrupted.body.length, blob.bytes.length, 'same length');
  t.notSame(corrupted.body, Buffer.from(blob.bytes), 'blob-body-corrupted on: other bytes');
  faults.set('blob-body-corrupted', false);
  t.same((await get()).body, Buffer.from(blob.bytes), 'off again: the exact bytes');

  faults.set('delete-manifest-leaves-tags', true);
  t.equal((await call(registry.url, 'DELETE', `/v2/${name}/manifests/${image.digest}`)).status, 202);
  const left = await call(registry.url, 'GET', `/v2/${name}/tags/list`);
  t.same(left.json<{ tags: string[] }>().tags, ['two'], 'delete-manifest-leaves-tags on: one tag left dangling');
  faults.set('delete-manifest-leaves-tags', false);
  t.equal((await call(registry.url, 'DELETE', `/v2/${name}/manifests/${image.digest}`)).status, 202);
  t.same((await call(registry.url, 'GET', `/v2/${name}/tags/list`)).json<{ tags: string[] }>().tags, [], 'off again: a delete takes every tag');
});

t.test('with every fault off, the fault layer answers exactly as the registry', async (t) => {
  const plain = await startTestRegistry(t);
  const layered = await startTestRegistry(t, { faults: [] });
  for (const registry of [plain, layered]) {
    await pushBlob(registry.url, name, cfg);
    await pushBlob(registry.url, name, blob);
    await call(registry.url, 'PUT', `/v2/${name}/manifests/latest`, { body: image.bytes, headers: { 'Content-Type': image.mediaType } });
  }
  const requests: [string, string, Record<string, string>?][] = [
    ['GET', `/v2/${name}/manifests/latest`],
    ['HEAD', `/v2/${name}/manifests/${image.digest}`],
    ['GET', `/v2/${name}/blobs/${blob.digest}`, { Range: 'bytes=1-3' }],
    ['GET', `/v2/${name}/tags/list?n=1`],
    ['GET', `/v2/${name}/referrers/${image.digest}`],
    ['GET', `/v2/${name}/manifests/sha256:nothex`],
    ['GET', '/v2/no/such/endpoint'],
  ];
  for (const [method, path, headers] of requests) {
    const [a, b] = await Promise.all([plain, layered].map((r) => call(r.url, method, path, { headers })));
    t.equal(b?.status, a?.status, `${method} ${path}: status`);
    t.same(b?.body, a?.body, `${method} ${path}: body`);
    for (const header of ['content-type', 'content-length', 'docker-content-digest', 'content-range', 'link']) {
      t.equal(b?.header(header), a?.header(header), `${method} ${path}: ${header}`);
    }
  }
});
