/**
 * Persistence across a restart. The spec never mentions restarts, but it makes no exception for
 * them: content a registry answered 201 for is pullable (§Pulling manifests, end-3: "A GET
 * request to an existing manifest URL MUST provide the expected manifest"; §Pulling blobs, end-2)
 * until a client deletes it, and a tag stays listed (§Listing Tags, end-8a). So before a restart
 * the check pushes into a fresh repository a tagged image (config, two layers), an index tagged
 * `multi` whose child was pushed by digest, a blob no manifest references and, when the run
 * declares the referrers API, a referrer of the image; it reads each back and notes what tags/list,
 * the referrers list and the catalog (where the registry serves one, as the catalog checks decide)
 * show. After the restart (`--restart-command`, or the embedded reference registry's own) and
 * GET /v2/ answering again, every manifest by tag and by digest and every blob must be served
 * byte for byte, and each listing must still show what it showed before: a registry whose start
 * sweeps away what it finds on disk, or that cannot start on its own store, fails. Without a way
 * to restart the check is skipped; a registry that does not answer again within the bound
 * (restart.ts) fails it, naming the restart.
 */
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { expectBody, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { followTagPages } from '../client/tag-list.ts';
import { EMPTY_CONFIG, artifactManifest, imageConfig, imageIndex, imageManifest, randomBlob, type Content } from '../content.ts';
import type { RestartTrigger } from '../config.ts';
import { RegistryDidNotRestart, waitForRegistry } from '../restart.ts';
import { expectServed } from './blobs.ts';
import { catalogUnavailable, listed } from './catalog.ts';
import type { CheckContext } from './context.ts';
import { expectManifest } from './manifests.ts';
import { defineChecks } from './types.ts';

const SIGNATURE = 'application/vnd.touchstone.signature.v1';

/** A manifest to pull after the restart, by `reference` (a tag or its digest). */
interface PulledManifest {
  readonly reference: string;
  readonly manifest: Content;
  readonly what: string;
}

/** A blob to pull after the restart. */
interface PulledBlob {
  readonly blob: Content;
  readonly what: string;
}

/** What the registry holds before the restart, and what its listings show. */
interface State {
  readonly repo: string;
  readonly manifests: readonly PulledManifest[];
  readonly blobs: readonly PulledBlob[];
  /** tags/list before the restart (undefined when the run declares no content discovery, or it did not answer 200). */
  readonly tags: readonly string[] | undefined;
  /** The referrer of the image when the referrers list showed it before the restart. */
  readonly referrer: Content | undefined;
  /** The subject whose referrers were listed. */
  readonly subject: Content;
  /** Whether the catalog listed the repository before the restart; or why it was not looked at. */
  readonly catalog: true | string;
}

function restartOf(ctx: CheckContext): RestartTrigger {
  const { restart } = ctx.config;
  if (restart === undefined) ctx.skip('no way to restart the registry: use --restart-command CMD (a command that restarts it on the same store and address)');
  return restart;
}

function image(seed: string, layers: readonly Content[]): { config: Content; layers: readonly Content[]; manifest: Content } {
  const config = imageConfig(`persistence ${seed} ${layers.map((l) => l.digest).join(' ')}`);
  return { config, layers, manifest: imageManifest(config, layers) };
}

function manifestPath(repo: string, reference: string): string {
  return `/v2/${repo}/manifests/${reference}`;
}

/** The whole tag list (every page its Links lead to), or undefined when tags/list does not answer 200. */
async function tagList(ctx: CheckContext, repo: string, what: string): Promise<{ tags: string[] | undefined; reply: Reply }> {
  const path = `/v2/${repo}/tags/list`;
  const reply = await ctx.request('GET', path);
  if (reply.status !== 200) return { tags: undefined, reply };
  return { tags: (await followTagPages(ctx.client, reply, path, what)).tags, reply };
}

/** The digests the referrers list of `subject` shows, or undefined when it does not answer 200 with an index. */
async function referrerDigests(ctx: CheckContext, repo: string, subject: Content): Promise<{ digests: string[] | undefined; reply: Reply }> {
  const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
  const listedManifests = reply.status === 200 ? reply.json<{ manifests?: { digest?: unknown }[] }>()?.manifests : undefined;
  if (!Array.isArray(listedManifests)) return { digests: undefined, reply };
  return { digests: listedManifests.map((d) => String(d?.digest)), reply };
}

/** Pushes everything, reads it back, and notes what the listings show. */
async function before(ctx: CheckContext): Promise<State> {
  const repo = ctx.repo('persistence');
  const tagged = image('tagged', [randomBlob(700), randomBlob(300)]);
  await ctx.pushImage(repo, 'v1', tagged.config, tagged.layers, tagged.manifest);
  const child = image('child', [randomBlob(500)]);
  await ctx.pushImage(repo, child.manifest.digest, child.config, child.layers, child.manifest);
  const index = imageIndex([child.manifest]);
  await ctx.pushManifest(repo, 'multi', index);
  const alone = randomBlob(600);
  await ctx.pushBlob(repo, alone);
  const manifests: PulledManifest[] = [
    { reference: 'v1', manifest: tagged.manifest, what: 'the image tagged "v1"' },
    { reference: tagged.manifest.digest, manifest: tagged.manifest, what: 'the image tagged "v1", by digest' },
    { reference: 'multi', manifest: index, what: 'the index tagged "multi"' },
    { reference: index.digest, manifest: index, what: 'the index tagged "multi", by digest' },
    { reference: child.manifest.digest, manifest: child.manifest, what: 'the child of the index, pushed by digest' },
  ];
  const blobs: PulledBlob[] = [
    { blob: tagged.config, what: 'the config of the image tagged "v1"' },
    ...tagged.layers.map((blob, i) => ({ blob, what: `layer ${i + 1} of the image tagged "v1"` })),
    { blob: child.config, what: 'the config of the index\'s child' },
    ...child.layers.map((blob) => ({ blob, what: 'the layer of the index\'s child' })),
    { blob: alone, what: 'a blob pushed on its own (no manifest references it)' },
  ];
  let referrer: Content | undefined;
  if (ctx.config.capabilities.referrers) {
    const signature = randomBlob(200, SIGNATURE);
    const artifact = artifactManifest(tagged.manifest, SIGNATURE, [signature]);
    for (const blob of [EMPTY_CONFIG, signature]) await ctx.pushBlob(repo, blob);
    await ctx.pushManifest(repo, artifact.digest, artifact);
    manifests.push({ reference: artifact.digest, manifest: artifact, what: 'a referrer of the image tagged "v1", pushed by digest' });
    blobs.push({ blob: signature, what: 'the layer of the referrer' });
    if ((await referrerDigests(ctx, repo, tagged.manifest)).digests?.includes(artifact.digest)) referrer = artifact;
  }
  for (const m of manifests) await expectManifest(ctx, repo, m.reference, m.manifest, `before the restart, ${m.what}`);
  for (const b of blobs) await expectServed(ctx, repo, b.blob, `before the restart, ${b.what}`);
  const tags = ctx.config.capabilities.contentDiscovery ? (await tagList(ctx, repo, 'tags/list before the restart')).tags : undefined;
  const unavailable = await catalogUnavailable(ctx);
  const catalog = unavailable ?? ((await listed(ctx, repo)) ? true : 'the catalog did not list the repository before the restart (see catalog.list.pushed)');
  return { repo, manifests, blobs, tags, referrer, subject: tagged.manifest, catalog };
}

/** Restarts the registry and waits for GET /v2/ to answer again; not coming back is the registry's failure. */
async function restartRegistry(ctx: CheckContext, restart: RestartTrigger): Promise<number> {
  const started = Date.now();
  try {
    await restart.run();
    await waitForRegistry(ctx.client);
  } catch (error) {
    if (error instanceof HarnessError) throw error;
    const why = error instanceof RegistryDidNotRestart ? error.message : `${error instanceof Error ? error.message : String(error)}`;
    throw new CheckFailure(`the registry did not come back after the restart (${restart.description}): ${why}`);
  }
  return Date.now() - started;
}

/** The restart lost it (404), or serves something else. */
function lost(reply: Reply, what: string, ref: string): void {
  if (reply.status === 404) throw new CheckFailure(`after the restart ${what} is gone (GET ${ref} → 404): the registry answered 201 for it before the restart and nothing deleted it`, reply.exchange);
}

async function after(ctx: CheckContext, state: State): Promise<string[]> {
  const { repo } = state;
  for (const m of state.manifests) {
    const reply = await ctx.request('GET', manifestPath(repo, m.reference), { headers: ACCEPT_MANIFESTS });
    lost(reply, m.what, `${repo}:${m.reference}`);
    await expectManifest(ctx, repo, m.reference, m.manifest, `after the restart, ${m.what}`);
  }
  for (const b of state.blobs) {
    const reply = await ctx.request('GET', `/v2/${repo}/blobs/${b.blob.digest}`);
    lost(reply, b.what, `${repo}@${b.blob.digest}`);
    expectStatus(reply, [200], `after the restart, ${b.what}: GET blob ${b.blob.digest}`);
    expectBody(reply, b.blob.bytes, `after the restart, ${b.what}: GET blob ${b.blob.digest}`);
  }
  const notes = [`${state.manifests.length} manifest pulls and ${state.blobs.length} blobs served byte for byte`];
  if (state.tags === undefined) {
    notes.push('tags/list not compared (it did not answer 200 before the restart, or the run declares no content discovery)');
  } else {
    const { tags, reply } = await tagList(ctx, repo, 'tags/list after the restart');
    if (tags === undefined) throw new CheckFailure(`after the restart tags/list of ${repo} answers ${reply.status}; before it listed ${JSON.stringify(state.tags)}`, reply.exchange);
    const missing = state.tags.filter((tag) => !tags.includes(tag));
    if (missing.length > 0) throw new CheckFailure(`after the restart tags/list of ${repo} no longer lists ${JSON.stringify(missing)}: it lists ${JSON.stringify(tags)}, before it listed ${JSON.stringify(state.tags)}`, reply.exchange);
    notes.push(`tags/list lists ${JSON.stringify(tags)}`);
  }
  if (state.referrer !== undefined) {
    const { digests, reply } = await referrerDigests(ctx, repo, state.subject);
    if (!digests?.includes(state.referrer.digest)) {
      throw new CheckFailure(`after the restart the referrers of ${state.subject.digest} in ${repo} no longer list ${state.referrer.digest} (GET → ${reply.status}), which they listed before`, reply.exchange);
    }
    notes.push('the referrer is still listed');
  }
  if (state.catalog === true) {
    if (!(await listed(ctx, repo))) throw new CheckFailure(`after the restart /v2/_catalog no longer lists ${repo}, which it listed before (looked up from last=${repo.slice(0, -1)})`);
    notes.push('the catalog still lists the repository');
  } else {
    notes.push(`catalog not looked at: ${state.catalog}`);
  }
  return notes;
}

export default defineChecks([
  {
    id: 'persistence.restart',
    title: 'What the registry accepted survives a restart: manifests by tag and digest (an image, an index and its child), every blob, a blob on its own, the tag list, referrers and the catalog listing',
    spec: '§Pulling manifests (end-3: "A GET request to an existing manifest URL MUST provide the expected manifest") and §Pulling blobs (end-2): content the registry answered 201 for must stay pullable, across a restart as at any other time; §Listing Tags (end-8a); docs/persistence.md',
    level: 'MUST',
    async run(ctx) {
      const restart = restartOf(ctx);
      const state = await before(ctx);
      const ms = await restartRegistry(ctx, restart);
      const notes = await after(ctx, state);
      return `restarted (${restart.description}) and answering again after ${ms} ms; ${notes.join('; ')}`;
    },
  },
]);
