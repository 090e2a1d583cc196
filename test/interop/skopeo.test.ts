/**
 * Interop with the real skopeo (Debian 12: 1.9.3) against the reference registry on 127.0.0.1:
 * OCI layouts built in code are copied in (`oci:` → `docker://`) and back out with identical
 * digests, for one image and for a two-platform index (`--all`); `inspect` (parsed, `--raw`,
 * `--config`, per platform), `list-tags`, `delete`; a copy between two repositories of the
 * registry (skopeo mounts the layer: `POST ?mount=&from=` → 201); and the upload flow skopeo uses
 * (docs/clients.md#blob-pushes): one streamed PATCH without Content-Range (Content-Length when the size is
 * known, Transfer-Encoding: chunked when it is not) → 202, then `PUT ?digest=` with an empty body.
 *
 * The registry's request log (method, path, status) and the request headers seen by its server
 * are the evidence of what skopeo actually sent.
 */
import t, { type Test } from 'tap';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { sha256, type Content } from '../helpers/oci.ts';
import { readLayoutBlob, taggedDescriptor, writeMultiImageLayout, writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { assertSucceeded, createSkopeo, requireTool, tempDir, type RunResult } from '../helpers/tools.ts';

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

interface InspectOutput {
  Name?: string;
  Digest: string;
  RepoTags: string[];
  Architecture: string;
  Os: string;
  Variant?: string;
  Layers: string[];
  Labels: Record<string, string> | null;
}

const TLS_OFF = '--tls-verify=false';
const SRC_TLS_OFF = '--src-tls-verify=false';
const DEST_TLS_OFF = '--dest-tls-verify=false';

if (await requireTool(t, 'skopeo', 'skopeo')) {
  const registry = await startTestRegistry(t);
  const host = new URL(registry.url).host;
  const docker = (reference: string) => `docker://${host}/${reference}`;
  const skopeo = await createSkopeo(t);
  const work = await tempDir(t);
  const single = await writeSingleImageLayout(join(work, 'single'), { tag: 'v1', seed: 'skopeo-single' });
  const multi = await writeMultiImageLayout(join(work, 'multi'), { tag: 'multi', seed: 'skopeo-multi' });
  const singleLayer = single.image.layers[0]!;

  // Every request's headers, as the registry's server received them (the log has no headers).
  const seen: SeenRequest[] = [];
  registry.server.on('request', (req: IncomingMessage) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
  });

  const rawDigest = (result: RunResult) => sha256(Buffer.from(result.stdout, 'utf8'));

  /** Blob uploads skopeo made since log entry `from`: each session's PATCH and closing PUT. */
  function uploadsSince(fromLog: number, fromSeen: number, repository: string) {
    const prefix = `/v2/${repository}/blobs/uploads/`;
    const logs = registry.logs.slice(fromLog).filter((e) => e.path.startsWith(prefix) && e.path.length > prefix.length);
    const requests = seen.slice(fromSeen).filter((r) => r.url.startsWith(prefix) && r.url.length > prefix.length && !r.url.startsWith(`${prefix}?`));
    return { logs, requests };
  }

  /** Asserts skopeo's upload flow for every blob in `blobs` pushed to `repository`. */
  function checkStreamedUploads(t: Test, fromLog: number, fromSeen: number, repository: string, blobs: readonly Content[]) {
    const { logs, requests } = uploadsSince(fromLog, fromSeen, repository);
    const patches = logs.filter((e) => e.method === 'PATCH');
    t.ok(patches.length >= blobs.length, `skopeo streamed ${patches.length} PATCH request(s) to ${repository}`, { logs });
    for (const entry of patches) t.equal(entry.status, 202, `PATCH ${entry.path} → 202`);
    for (const request of requests.filter((r) => r.method === 'PATCH')) {
      t.equal(request.headers['content-range'], undefined, `PATCH ${request.url} has no Content-Range`);
    }
    for (const blob of blobs) {
      const put = logs.find((e) => e.method === 'PUT' && new URL(e.path, 'http://x').searchParams.get('digest') === blob.digest);
      if (!t.ok(put, `an upload of ${blob.digest} was closed with PUT ?digest=`, { logs })) continue;
      t.equal(put!.status, 201, `PUT ?digest=${blob.digest} → 201`);
      const session = new URL(put!.path, 'http://x').pathname;
      const patch = requests.find((r) => r.method === 'PATCH' && r.url === session);
      const closing = requests.find((r) => r.method === 'PUT' && r.url === put!.path);
      if (!t.ok(patch, `the session of ${blob.digest} got one PATCH`)) continue;
      // One PATCH carries the whole blob: its Content-Length is the blob's size.
      t.equal(patch!.headers['content-length'], String(blob.size), `PATCH of ${blob.digest} streams the whole blob (${blob.size} bytes)`);
      t.ok(closing && (closing.headers['content-length'] ?? '0') === '0' && closing.headers['transfer-encoding'] === undefined, 'the closing PUT has an empty body');
    }
  }

  t.test('copies a single-image OCI layout into the registry and back with identical digests', async (t) => {
    const fromLog = registry.logs.length;
    const fromSeen = seen.length;
    const pushed = await skopeo(['copy', '--preserve-digests', DEST_TLS_OFF, `oci:${single.dir}:v1`, docker('interop/single:v1')]);
    if (!assertSucceeded(t, pushed, 'skopeo copy oci:… docker://…/interop/single:v1')) return;

    // The registry serves the manifest byte for byte, and every blob.
    const manifest = await call(registry.url, 'GET', '/v2/interop/single/manifests/v1', { headers: { Accept: OCI_MANIFEST } });
    t.equal(manifest.status, 200);
    t.equal(manifest.header('docker-content-digest'), single.image.manifest.digest);
    t.equal(manifest.header('content-type'), OCI_MANIFEST);
    t.ok(manifest.body.equals(single.image.manifest.bytes), 'manifest bytes unchanged');
    for (const blob of [single.image.config, singleLayer.blob]) {
      const got = await call(registry.url, 'GET', `/v2/interop/single/blobs/${blob.digest}`);
      t.equal(got.status, 200, `GET blob ${blob.digest}`);
      t.equal(sha256(got.body), blob.digest, `blob ${blob.digest} intact`);
    }

    // skopeo's uploads: one streamed PATCH (Content-Length, no Content-Range), then PUT ?digest=.
    checkStreamedUploads(t, fromLog, fromSeen, 'interop/single', [singleLayer.blob, single.image.config]);
    const manifestPut = registry.logs.slice(fromLog).find((e) => e.method === 'PUT' && e.path === '/v2/interop/single/manifests/v1');
    t.equal(manifestPut?.status, 201, 'manifest PUT by tag → 201');

    const raw = await skopeo(['inspect', '--raw', TLS_OFF, docker('interop/single:v1')]);
    if (assertSucceeded(t, raw, 'skopeo inspect --raw')) t.equal(rawDigest(raw), single.image.manifest.digest, 'inspect --raw: same digest');

    const back = join(work, 'single-back');
    const pulled = await skopeo(['copy', '--preserve-digests', SRC_TLS_OFF, docker('interop/single:v1'), `oci:${back}:v1`]);
    if (!assertSucceeded(t, pulled, 'skopeo copy docker://… oci:…')) return;
    const descriptor = await taggedDescriptor(back, 'v1');
    t.equal(descriptor?.digest, single.image.manifest.digest, 'pulled layout: same manifest digest');
    t.equal(descriptor?.mediaType, OCI_MANIFEST);
    for (const blob of single.blobs) {
      t.ok((await readLayoutBlob(back, blob.digest)).equals(blob.bytes), `pulled layout holds ${blob.mediaType} ${blob.digest} unchanged`);
    }
  });

  t.test('copies a two-platform index with --all into the registry and back with identical digests', async (t) => {
    const fromLog = registry.logs.length;
    const fromSeen = seen.length;
    const pushed = await skopeo(['copy', '--all', '--preserve-digests', DEST_TLS_OFF, `oci:${multi.dir}:multi`, docker('interop/multi:multi')]);
    if (!assertSucceeded(t, pushed, 'skopeo copy --all oci:… docker://…/interop/multi:multi')) return;

    // Children are PUT by digest before the index is PUT by tag (docs/clients.md#manifests-and-indexes), all accepted.
    const manifestPuts = registry.logs.slice(fromLog).filter((e) => e.method === 'PUT' && e.path.startsWith('/v2/interop/multi/manifests/'));
    t.same(
      manifestPuts.map((e) => [e.path, e.status]),
      [
        ...multi.images.map((image) => [`/v2/interop/multi/manifests/${image.manifest.digest}`, 201]),
        ['/v2/interop/multi/manifests/multi', 201],
      ],
      'children by digest, then the index by tag, each 201',
    );
    checkStreamedUploads(t, fromLog, fromSeen, 'interop/multi', multi.images.flatMap((image) => [image.config, ...image.layers.map((l) => l.blob)]));

    const raw = await skopeo(['inspect', '--raw', TLS_OFF, docker('interop/multi:multi')]);
    if (assertSucceeded(t, raw, 'skopeo inspect --raw (index)')) {
      t.equal(rawDigest(raw), multi.index.digest, 'index digest unchanged');
      t.equal((JSON.parse(raw.stdout) as { mediaType: string }).mediaType, OCI_INDEX);
    }
    for (const image of multi.images) {
      const child = await skopeo(['inspect', '--raw', TLS_OFF, docker(`interop/multi@${image.manifest.digest}`)]);
      if (assertSucceeded(t, child, `skopeo inspect --raw …@${image.manifest.digest}`)) {
        t.equal(rawDigest(child), image.manifest.digest, `${image.platform.architecture} child digest unchanged`);
      }
    }

    const back = join(work, 'multi-back');
    const pulled = await skopeo(['copy', '--all', '--preserve-digests', SRC_TLS_OFF, docker('interop/multi:multi'), `oci:${back}:multi`]);
    if (!assertSucceeded(t, pulled, 'skopeo copy --all docker://… oci:…')) return;
    const descriptor = await taggedDescriptor(back, 'multi');
    t.equal(descriptor?.digest, multi.index.digest, 'pulled layout: same index digest');
    t.equal(descriptor?.mediaType, OCI_INDEX);
    for (const blob of multi.blobs) {
      t.ok((await readLayoutBlob(back, blob.digest)).equals(blob.bytes), `pulled layout holds ${blob.mediaType} ${blob.digest} unchanged`);
    }
  });

  t.test('skopeo inspect: parsed, --config, and per platform of an index', async (t) => {
    const inspected = await skopeo(['inspect', TLS_OFF, docker('interop/single:v1')]);
    if (assertSucceeded(t, inspected, 'skopeo inspect')) {
      const out = JSON.parse(inspected.stdout) as InspectOutput;
      t.equal(out.Name, `${host}/interop/single`);
      t.equal(out.Digest, single.image.manifest.digest);
      t.same(out.RepoTags, ['v1'], 'RepoTags from the tags list');
      t.equal(out.Architecture, 'amd64');
      t.equal(out.Os, 'linux');
      t.same(out.Layers, [singleLayer.blob.digest]);
      t.same(out.Labels, { 'org.example.seed': 'skopeo-single' });
    }

    const config = await skopeo(['inspect', '--config', '--raw', TLS_OFF, docker('interop/single:v1')]);
    if (assertSucceeded(t, config, 'skopeo inspect --config --raw')) {
      t.equal(rawDigest(config), single.image.config.digest, 'config blob unchanged');
      t.same((JSON.parse(config.stdout) as { rootfs: unknown }).rootfs, { type: 'layers', diff_ids: [singleLayer.diffId] });
    }

    for (const image of multi.images) {
      const { architecture, os, variant } = image.platform;
      const platformFlags = ['--override-arch', architecture, '--override-os', os, ...(variant !== undefined ? ['--override-variant', variant] : [])];
      const out = await skopeo([...platformFlags, 'inspect', TLS_OFF, docker('interop/multi:multi')]);
      if (!assertSucceeded(t, out, `skopeo inspect (${os}/${architecture}) of the index`)) continue;
      const parsed = JSON.parse(out.stdout) as InspectOutput;
      // Digest is that of the manifest the reference names (the index); the rest is the platform's image.
      t.equal(parsed.Digest, multi.index.digest, `${architecture}: Digest is the index's`);
      t.equal(parsed.Architecture, architecture, `${architecture}: the index resolves to its child`);
      t.same(parsed.Layers, image.layers.map((l) => l.blob.digest), `${architecture}: the child's layers`);
    }

    const missing = await skopeo(['inspect', TLS_OFF, docker('interop/single:no-such-tag')]);
    t.not(missing.code, 0, 'inspecting a missing tag fails');
    t.match(missing.stderr, /manifest unknown/i);
  });

  t.test('skopeo list-tags', async (t) => {
    // A second tag for the same manifest: skopeo finds every blob (HEAD 200) and only PUTs the manifest.
    const fromLog = registry.logs.length;
    const tagged = await skopeo(['copy', '--preserve-digests', SRC_TLS_OFF, DEST_TLS_OFF, docker('interop/single:v1'), docker('interop/single:v2')]);
    if (!assertSucceeded(t, tagged, 'skopeo copy …:v1 …:v2')) return;
    const since = registry.logs.slice(fromLog);
    t.notOk(since.some((e) => e.method === 'PATCH'), 'nothing re-uploaded', { since });
    t.ok(since.some((e) => e.method === 'PUT' && e.path === '/v2/interop/single/manifests/v2' && e.status === 201), 'PUT manifest v2 → 201');

    const tags = await skopeo(['list-tags', TLS_OFF, docker('interop/single')]);
    if (assertSucceeded(t, tags, 'skopeo list-tags interop/single')) {
      t.same(JSON.parse(tags.stdout), { Repository: `${host}/interop/single`, Tags: ['v1', 'v2'] });
    }
    const multiTags = await skopeo(['list-tags', TLS_OFF, docker('interop/multi')]);
    if (assertSucceeded(t, multiTags, 'skopeo list-tags interop/multi')) {
      t.same((JSON.parse(multiTags.stdout) as { Tags: string[] }).Tags, ['multi'], 'children pushed by digest are not tags');
    }
    const unknown = await skopeo(['list-tags', TLS_OFF, docker('interop/no-such-repo')]);
    t.not(unknown.code, 0, 'list-tags of an unknown repository fails');
    t.match(unknown.stderr, /name unknown|NAME_UNKNOWN|404/i);
  });

  t.test('copy between repositories of the registry mounts the layer (POST ?mount=&from= → 201)', async (t) => {
    const fromLog = registry.logs.length;
    const copied = await skopeo(['copy', '--preserve-digests', SRC_TLS_OFF, DEST_TLS_OFF, docker('interop/single:v1'), docker('interop/mounted:v1')]);
    if (!assertSucceeded(t, copied, 'skopeo copy docker://…/interop/single:v1 docker://…/interop/mounted:v1')) return;
    const since = registry.logs.slice(fromLog);
    const mounts = since.filter((e) => {
      if (e.method !== 'POST' || !e.path.startsWith('/v2/interop/mounted/blobs/uploads/')) return false;
      const query = new URL(e.path, 'http://x').searchParams;
      return query.get('mount') === singleLayer.blob.digest && query.has('from');
    });
    // (A stale blob-info cache could add attempts from other repositories; the one that counts is this.)
    const fromSource = mounts.find((e) => new URL(e.path, 'http://x').searchParams.get('from') === 'interop/single');
    if (t.ok(fromSource, 'skopeo asked to mount the layer from interop/single', { since })) {
      t.equal(fromSource!.status, 201, `${fromSource!.method} ${fromSource!.path} → 201`);
    }
    t.notOk(
      since.some((e) => e.method === 'PUT' && new URL(e.path, 'http://x').searchParams.get('digest') === singleLayer.blob.digest),
      'the mounted layer was not uploaded again',
    );
    const head = await call(registry.url, 'HEAD', `/v2/interop/mounted/blobs/${singleLayer.blob.digest}`);
    t.equal(head.status, 200, 'the layer is in the target repository');
    t.equal(head.header('content-length'), String(singleLayer.blob.size));
    const raw = await skopeo(['inspect', '--raw', TLS_OFF, docker('interop/mounted:v1')]);
    if (assertSucceeded(t, raw, 'skopeo inspect --raw of the copy')) t.equal(rawDigest(raw), single.image.manifest.digest);
  });

  t.test('streams a blob of unknown size with Transfer-Encoding: chunked (recompressed to zstd)', async (t) => {
    // Content of its own: a layer skopeo's blob-info cache already knows in this registry would be
    // reused (mounted) as it is instead of being recompressed.
    const zstd = await writeSingleImageLayout(join(work, 'zstd'), { tag: 'v1', seed: 'skopeo-zstd' });
    const fromLog = registry.logs.length;
    const fromSeen = seen.length;
    const pushed = await skopeo(['copy', '--dest-compress-format', 'zstd', DEST_TLS_OFF, `oci:${zstd.dir}:v1`, docker('interop/zstd:v1')]);
    if (!assertSucceeded(t, pushed, 'skopeo copy --dest-compress-format zstd')) return;
    const { logs, requests } = uploadsSince(fromLog, fromSeen, 'interop/zstd');
    const chunked = requests.filter((r) => r.method === 'PATCH' && r.headers['transfer-encoding'] === 'chunked');
    t.ok(chunked.length >= 1, 'skopeo sent a PATCH with Transfer-Encoding: chunked', { requests: requests.map((r) => [r.method, r.url, r.headers]) });
    for (const request of chunked) {
      t.equal(request.headers['content-range'], undefined, 'no Content-Range');
      const entry = logs.find((e) => e.method === 'PATCH' && e.path === request.url);
      t.equal(entry?.status, 202, `chunked PATCH ${request.url} → 202`);
    }
    const raw = await skopeo(['inspect', '--raw', TLS_OFF, docker('interop/zstd:v1')]);
    if (!assertSucceeded(t, raw, 'skopeo inspect --raw of the zstd image')) return;
    const manifest = JSON.parse(raw.stdout) as { layers: Array<{ mediaType: string; digest: string; size: number }> };
    const layer = manifest.layers[0];
    t.equal(layer?.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    if (layer) {
      const blob = await call(registry.url, 'GET', `/v2/interop/zstd/blobs/${layer.digest}`);
      t.equal(blob.status, 200);
      t.equal(sha256(blob.body), layer.digest, 'the streamed blob is stored intact');
      t.equal(blob.body.length, layer.size);
    }
  });

  t.test('skopeo delete removes the manifest; inspect then fails', async (t) => {
    const fromLog = registry.logs.length;
    const deleted = await skopeo(['delete', TLS_OFF, docker('interop/mounted:v1')]);
    if (!assertSucceeded(t, deleted, 'skopeo delete docker://…/interop/mounted:v1')) return;
    // skopeo resolves the tag, then deletes by digest (docs/clients.md#deletes).
    t.same(
      registry.logs.slice(fromLog).filter((e) => e.path.startsWith('/v2/interop/mounted/')).map((e) => [e.method, e.path, e.status]),
      [
        ['GET', '/v2/interop/mounted/manifests/v1', 200],
        ['DELETE', `/v2/interop/mounted/manifests/${single.image.manifest.digest}`, 202],
      ],
    );
    const after = await skopeo(['inspect', TLS_OFF, docker('interop/mounted:v1')]);
    t.not(after.code, 0, 'inspect of the deleted tag fails');
    t.match(after.stderr, /manifest unknown/i);
    const byDigest = await call(registry.url, 'GET', `/v2/interop/mounted/manifests/${single.image.manifest.digest}`);
    t.equal(byDigest.status, 404, 'the manifest is gone by digest too');
    const tags = await skopeo(['list-tags', TLS_OFF, docker('interop/mounted')]);
    if (assertSucceeded(t, tags, 'skopeo list-tags after delete')) t.same((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, []);
    // The same manifest in the source repository is untouched.
    const source = await skopeo(['inspect', '--raw', TLS_OFF, docker('interop/single:v1')]);
    if (assertSucceeded(t, source, 'the source repository still has it')) t.equal(rawDigest(source), single.image.manifest.digest);
  });
}
