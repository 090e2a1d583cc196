/**
 * Content management (spec "Content Management": "Deleting tags", "Deleting Manifests", "Deleting
 * Blobs", end-9 and end-10). Each kind of delete is optional ("Registries MAY implement deletion
 * or they MAY disable it"), so each check requires the capability the run declares
 * (manifestDeletes, tagDeletes, blobDeletes). A manifest deleted by digest is 404 by digest and by
 * every tag that pointed to it (zot's early code left other tags dangling: docs/deviations.md#zots-early-storage-code); an unknown
 * manifest or repository is 404; other manifests keep the blobs they share with it. A tag deleted
 * is 404 while the manifest and its other tags stay; since the spec lets a registry allow
 * "deletion only by manifest", a 400/405 to a tag delete is only a SHOULD-level warning (its code
 * SHOULD be UNSUPPORTED: CNCF Distribution 2.8.2 answers DIGEST_INVALID) and the tag semantics are
 * skipped. A blob delete is 202 then 404; an unknown blob 404; a blob a manifest still references
 * may be refused (the reference answers 405 DENIED), but a 202 must really delete it. A manifest or
 * blob delete answered 400/405 on a registry declared to support it fails, suggesting the flag.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectBody, expectCodeIfJson, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageConfig, imageManifest, randomBlob, unknownDigest, type Content } from '../content.ts';
import { expectServed } from './blobs.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** Every manifest type (CNCF Distribution 2.8.2 answers 404 to an OCI manifest GET without it: docs/deviations.md#cncf-distribution-282). */

interface Image {
  readonly repo: string;
  readonly config: Content;
  readonly layer: Content;
  readonly manifest: Content;
}

/** Pushes one image (config + `layer`) under every tag in `tags` (by digest when there is none). */
async function pushedImage(ctx: CheckContext, repo: string, tags: readonly string[], layer: Content = randomBlob(512)): Promise<Image> {
  const config = imageConfig(`deletes ${repo} ${tags.join(',')} ${layer.digest}`);
  const manifest = imageManifest(config, [layer]);
  const [first = manifest.digest, ...rest] = tags;
  await ctx.pushImage(repo, first, config, [layer], manifest);
  for (const tag of rest) await ctx.pushManifest(repo, tag, manifest);
  return { repo, config, layer, manifest };
}

function getManifest(ctx: CheckContext, repo: string, reference: string): Promise<Reply> {
  return ctx.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
}

/** GET by `reference` serves exactly the manifest pushed. */
async function expectManifestServed(ctx: CheckContext, image: Image, reference: string, what: string): Promise<void> {
  const reply = await getManifest(ctx, image.repo, reference);
  expectStatus(reply, [200], `${what}: GET /v2/${image.repo}/manifests/${reference}`);
  expectBody(reply, image.manifest.bytes, `${what}: GET manifest ${reference}`);
}

/** The tags tags/list names; a repository left without manifests may be 404 instead. */
async function listedTags(ctx: CheckContext, repo: string, what: string): Promise<string[]> {
  const reply = await ctx.request('GET', `/v2/${repo}/tags/list`);
  expectStatus(reply, [200, 404], `${what}: GET tags/list`);
  if (reply.status === 404) return [];
  const tags = reply.json<{ tags?: unknown }>()?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/**
 * 405, or 400 unless its JSON code says something else than UNSUPPORTED: how the spec says a
 * registry answers a delete it has disabled ("MUST respond with either a 400 Bad Request or a 405").
 */
function looksDisabled(reply: Reply): boolean {
  if (reply.status === 405) return true;
  if (reply.status !== 400) return false;
  const errors = reply.json<{ errors?: unknown }>()?.errors;
  if (!Array.isArray(errors)) return true;
  return errors.some((error: { code?: unknown } | null) => error?.code === 'UNSUPPORTED');
}

/**
 * The status a delete on a registry declared to support it must answer; a miss that looks like a
 * disabled delete says how to declare the registry without it.
 */
function expectDeleteStatus(reply: Reply, allowed: readonly number[], what: string, flag: string): void {
  try {
    expectStatus(reply, allowed, what);
  } catch (error) {
    if (!(error instanceof CheckFailure) || !looksDisabled(reply)) throw error;
    throw new CheckFailure(`${error.message}; ${reply.status} is the spec's answer when this kind of delete is disabled: if it is disabled on purpose, run with ${flag}`, reply.exchange);
  }
}

/** DELETE by tag on a fresh image under `tags`; the check depends on its answer. */
async function deleteTag(ctx: CheckContext, tags: readonly string[], tag: string): Promise<{ image: Image; reply: Reply }> {
  const image = await pushedImage(ctx, ctx.repo('tag-delete'), tags);
  const reply = await ctx.request('DELETE', `/v2/${image.repo}/manifests/${tag}`);
  return { image, reply };
}

export default defineChecks([
  {
    id: 'deletes.manifest.by-digest',
    title: 'DELETE of a manifest by digest answers 202; then the digest and every tag on it are 404 and unlisted',
    spec: '§Deleting Manifests (end-9: "Upon success, the registry MUST respond with a 202 Accepted"; "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest will return a 404")',
    level: 'MUST',
    requires: ['manifestDeletes'],
    async run(ctx) {
      const tags = ['one', 'two', 'three'];
      const image = await pushedImage(ctx, ctx.repo('manifest-delete'), tags);
      const { repo, manifest } = image;
      const reply = await ctx.request('DELETE', `/v2/${repo}/manifests/${manifest.digest}`);
      expectDeleteStatus(reply, [202], 'DELETE of a manifest by digest', '--no-manifest-deletes');
      expectStatus(await getManifest(ctx, repo, manifest.digest), [404], 'GET by digest of a deleted manifest');
      for (const tag of tags) expectStatus(await getManifest(ctx, repo, tag), [404], `GET of tag ${tag}, which pointed to the deleted manifest`);
      const left = await listedTags(ctx, repo, 'after deleting the manifest');
      const dangling = tags.filter((tag) => left.includes(tag));
      ensure(dangling.length === 0, `tags/list still names tags of the deleted manifest: ${JSON.stringify(dangling)}`);
    },
  },
  {
    id: 'deletes.manifest.unknown',
    title: 'DELETE of a manifest the repository lacks, or in a repository that does not exist, answers 404',
    spec: '§Deleting Manifests (end-9: failure 404; "If the repository does not exist, the response MUST return 404 Not Found")',
    level: 'MUST',
    requires: ['manifestDeletes'],
    async run(ctx) {
      const { repo } = await pushedImage(ctx, ctx.repo('manifest-delete'), ['present']);
      const flag = '--no-manifest-deletes';
      expectDeleteStatus(await ctx.request('DELETE', `/v2/${repo}/manifests/${unknownDigest()}`), [404], 'DELETE of a manifest the repository never had', flag);
      const missing = ctx.repo('never-pushed');
      expectDeleteStatus(await ctx.request('DELETE', `/v2/${missing}/manifests/${unknownDigest()}`), [404], 'DELETE of a manifest in a repository that does not exist', flag);
    },
  },
  {
    id: 'deletes.manifest.shared-blobs',
    title: 'Deleting a manifest leaves another manifest sharing its layer pullable, with the layer',
    spec: '§Deleting Manifests (end-9: the digest and its tags go), §Pulling manifests and blobs (end-2, end-3: what exists MUST be served with 200)',
    level: 'MUST',
    requires: ['manifestDeletes'],
    async run(ctx) {
      const repo = ctx.repo('shared-layer');
      const deleted = await pushedImage(ctx, repo, ['deleted']);
      const kept = await pushedImage(ctx, repo, ['kept'], deleted.layer);
      const reply = await ctx.request('DELETE', `/v2/${repo}/manifests/${deleted.manifest.digest}`);
      if (reply.status !== 202) ctx.skip(`DELETE of a manifest answered ${reply.status}, not 202: see deletes.manifest.by-digest`);
      await expectManifestServed(ctx, kept, 'kept', 'the other image, after the delete');
      await expectManifestServed(ctx, kept, kept.manifest.digest, 'the other image, after the delete');
      await expectServed(ctx, repo, kept.layer, 'the layer both images shared, after deleting one');
      await expectServed(ctx, repo, kept.config, 'the config of the other image, after the delete');
    },
  },
  {
    id: 'deletes.tag.status',
    title: 'DELETE by tag answers 202, or 400/405 when tag deletion is disabled',
    spec: '§Deleting tags (end-9: "Upon success, the registry MUST respond with a 202 Accepted … If tag deletion is disabled, the registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed")',
    level: 'MUST',
    requires: ['tagDeletes'],
    async run(ctx) {
      const { reply } = await deleteTag(ctx, ['keep', 'drop'], 'drop');
      expectStatus(reply, [202, 400, 405], 'DELETE by tag');
    },
  },
  {
    id: 'deletes.tag.supported',
    title: 'DELETE by tag is supported (202), not disabled (400/405)',
    spec: '§Requirements ("Registries SHOULD also support the … Content Management categories"), §Content Management ("a registry MAY implement tag deletion, while others MAY allow deletion only by manifest")',
    level: 'SHOULD',
    requires: ['tagDeletes'],
    async run(ctx) {
      const { reply } = await deleteTag(ctx, ['keep', 'drop'], 'drop');
      if (reply.status === 400 || reply.status === 405) {
        throw new CheckFailure(`DELETE by tag answered ${reply.status}: tag deletion is disabled (allowed: the spec lets a registry delete only by manifest); if that is intended, run with --no-tag-deletes`, reply.exchange);
      }
      expectStatus(reply, [202], 'DELETE by tag');
    },
  },
  {
    id: 'deletes.tag.disabled-code',
    title: 'A disabled tag delete answers the error code UNSUPPORTED',
    spec: '§Error Codes (code-13 UNSUPPORTED "the operation is unsupported"), §Deleting tags (end-9)',
    level: 'SHOULD',
    requires: ['tagDeletes'],
    async run(ctx) {
      const { reply } = await deleteTag(ctx, ['keep', 'drop'], 'drop');
      if (reply.status === 202) ctx.skip('the registry deletes tags (202): no disabled answer to check');
      expectStatus(reply, [400, 405], 'DELETE by tag (202, or 400/405 when disabled)');
      expectCodeIfJson(reply, ['UNSUPPORTED'], `DELETE by tag answered ${reply.status}`);
    },
  },
  {
    id: 'deletes.tag.only-that-tag',
    title: 'After DELETE by tag, that tag is 404 and unlisted; the manifest and its other tags stay',
    spec: '§Deleting tags (end-9: "Once deleted, a GET to /v2/<name>/manifests/<tag> will return a 404"; a tag is "a pointer to a manifest", deleting it deletes nothing else)',
    level: 'MUST',
    requires: ['tagDeletes'],
    async run(ctx) {
      const { image, reply } = await deleteTag(ctx, ['keep', 'drop'], 'drop');
      if (reply.status !== 202) ctx.skip(`DELETE by tag answered ${reply.status}, not 202 (tag deletion disabled?): see deletes.tag.supported`);
      expectStatus(await getManifest(ctx, image.repo, 'drop'), [404], 'GET of a deleted tag');
      await expectManifestServed(ctx, image, image.manifest.digest, 'the manifest of a deleted tag');
      await expectManifestServed(ctx, image, 'keep', 'another tag on the same manifest');
      const left = await listedTags(ctx, image.repo, 'after deleting a tag');
      ensure(!left.includes('drop'), `tags/list still names the deleted tag: ${JSON.stringify(left)}`);
      ensure(left.includes('keep'), `tags/list lost the tag that was not deleted: ${JSON.stringify(left)}`);
    },
  },
  {
    id: 'deletes.blob.unreferenced',
    title: 'DELETE of a blob no manifest references answers 202; the blob is then 404',
    spec: '§Deleting Blobs (end-10: "Upon success, the registry MUST respond with code 202 Accepted")',
    level: 'MUST',
    requires: ['blobDeletes'],
    async run(ctx) {
      const repo = ctx.repo('blob-delete');
      const blob = randomBlob(512);
      await ctx.pushBlob(repo, blob);
      const reply = await ctx.request('DELETE', `/v2/${repo}/blobs/${blob.digest}`);
      expectDeleteStatus(reply, [202], 'DELETE of an unreferenced blob', '--no-blob-deletes');
      for (const method of ['GET', 'HEAD']) {
        expectStatus(await ctx.request(method, `/v2/${repo}/blobs/${blob.digest}`), [404], `${method} of a deleted blob`);
      }
    },
  },
  {
    id: 'deletes.blob.unknown',
    title: 'DELETE of a blob the repository lacks, or in a repository that does not exist, answers 404',
    spec: '§Deleting Blobs (end-10: "If the blob is not found, a 404 Not Found code MUST be returned")',
    level: 'MUST',
    requires: ['blobDeletes'],
    async run(ctx) {
      const repo = ctx.repo('blob-delete');
      await ctx.pushBlob(repo, randomBlob(64));
      const flag = '--no-blob-deletes';
      expectDeleteStatus(await ctx.request('DELETE', `/v2/${repo}/blobs/${unknownDigest()}`), [404], 'DELETE of a blob the repository never had', flag);
      const missing = ctx.repo('never-pushed');
      expectDeleteStatus(await ctx.request('DELETE', `/v2/${missing}/blobs/${unknownDigest()}`), [404], 'DELETE of a blob in a repository that does not exist', flag);
    },
  },
  {
    id: 'deletes.blob.referenced',
    title: 'DELETE of a layer a manifest references is refused (4xx) or, when answered 202, really deletes it',
    spec: '§Deleting Blobs (end-10: 202 on success; the spec does not forbid deleting a referenced blob, nor require it)',
    level: 'MUST',
    requires: ['blobDeletes'],
    async run(ctx) {
      const image = await pushedImage(ctx, ctx.repo('blob-delete'), ['image']);
      const url = `/v2/${image.repo}/blobs/${image.layer.digest}`;
      const reply = await ctx.request('DELETE', url);
      if (reply.status === 202) {
        expectStatus(await ctx.request('GET', url), [404], 'GET of a referenced layer whose DELETE answered 202');
        return 'deleted (202)';
      }
      ensure(reply.status >= 400 && reply.status < 500, `DELETE of a referenced layer: expected 202 or a 4xx refusal, got ${reply.status}`, reply);
      await expectServed(ctx, image.repo, image.layer, `after DELETE of a referenced layer answered ${reply.status}`);
      return `refused (${reply.status})`;
    },
  },
]);
