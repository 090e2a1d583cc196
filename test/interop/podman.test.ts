/**
 * Interop with the real podman (Debian 12: 4.3.1, vfs storage, pull and push only) against the
 * reference registry on 127.0.0.1: an image skopeo put there is pulled by tag with the digest it
 * was pushed with; pushed back to another repository it arrives with the same config and layers
 * (podman mounts or re-uploads them by the streamed-PATCH flow of docs/clients.md#streamed-patch); pulled from a
 * two-platform index, podman picks the linux/amd64 child.
 */
import t from 'tap';
import { join } from 'node:path';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { sha256 } from '../helpers/oci.ts';
import { writeMultiImageLayout, writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { assertSucceeded, createPodman, createSkopeo, requireTool, tempDir } from '../helpers/tools.ts';
import { ACCEPT_MANIFESTS } from '../../conformance/client/headers.ts';

interface ImageManifest {
  config: { digest: string };
  layers: { digest: string }[];
}

if ((await requireTool(t, 'podman', 'podman')) && (await requireTool(t, 'skopeo', 'skopeo'))) {
  const registry = await startTestRegistry(t);
  const host = new URL(registry.url).host;
  const skopeo = await createSkopeo(t);
  const podman = await createPodman(t);
  const work = await tempDir(t);
  const single = await writeSingleImageLayout(join(work, 'single'), { tag: 'v1', seed: 'podman-single' });
  const multi = await writeMultiImageLayout(join(work, 'multi'), { tag: 'multi', seed: 'podman-multi', platforms: [{ architecture: 'arm64', os: 'linux' }, { architecture: 'amd64', os: 'linux' }] });
  const manifest = async (repo: string, reference: string) => {
    const reply = await call(registry.url, 'GET', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
    return { status: reply.status, digest: sha256(reply.body), body: reply.status === 200 ? reply.json<ImageManifest>() : undefined };
  };

  t.test('pulls an image by tag with the digest it was pushed with, and pushes it to another repository', async (t) => {
    const pushed = await skopeo(['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${single.dir}:v1`, `docker://${host}/podman/app:v1`]);
    if (!assertSucceeded(t, pushed, 'skopeo copy into the registry')) return;
    const pulled = await podman(['pull', '--tls-verify=false', `${host}/podman/app:v1`]);
    if (!assertSucceeded(t, pulled, 'podman pull')) return;
    const images = await podman(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}']);
    assertSucceeded(t, images, 'podman images');
    t.match(images.stdout, `${host}/podman/app:v1 ${single.image.manifest.digest}`, 'podman holds the image under the pushed digest');

    const again = await podman(['push', '--tls-verify=false', `${host}/podman/app:v1`, `${host}/podman/copy:v2`]);
    if (!assertSucceeded(t, again, 'podman push to another repository')) return;
    const original = await manifest('podman/app', 'v1');
    const copy = await manifest('podman/copy', 'v2');
    t.equal(copy.status, 200, 'the pushed tag resolves');
    t.equal(copy.body?.config.digest, original.body?.config.digest, 'same config');
    t.equal(copy.body?.layers.length, original.body?.layers.length, 'same number of layers');
    for (const layer of copy.body?.layers ?? []) {
      const blob = await call(registry.url, 'GET', `/v2/podman/copy/blobs/${layer.digest}`);
      t.equal(blob.status, 200, `layer ${layer.digest.slice(0, 19)}… is in the new repository`);
      t.equal(sha256(blob.body), layer.digest, 'with its bytes');
    }
    const tags = await call(registry.url, 'GET', '/v2/podman/copy/tags/list');
    t.same(tags.json(), { name: 'podman/copy', tags: ['v2'] });
  });

  t.test('pulls from a two-platform index the child for this machine\'s platform', async (t) => {
    const pushed = await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${multi.dir}:multi`, `docker://${host}/podman/multi:v1`]);
    if (!assertSucceeded(t, pushed, 'skopeo copy --all into the registry')) return;
    const pulled = await podman(['pull', '--tls-verify=false', '--arch', 'amd64', '--os', 'linux', `${host}/podman/multi:v1`]);
    if (!assertSucceeded(t, pulled, 'podman pull of the index')) return;
    const amd64 = multi.images.find((image) => image.platform.architecture === 'amd64');
    const inspect = await podman(['image', 'inspect', '--format', '{{.Architecture}} {{.Digest}}', `${host}/podman/multi:v1`]);
    assertSucceeded(t, inspect, 'podman image inspect');
    t.match(inspect.stdout, 'amd64', 'the amd64 child');
    const served = await manifest('podman/multi', amd64?.manifest.digest ?? 'missing');
    t.equal(served.status, 200, 'the child podman chose is in the registry');
  });
}
