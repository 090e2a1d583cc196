/**
 * The probe run after every step: the registry must hold exactly what the model says, in every
 * repository of the execution. Each blob and manifest digest the run ever used is fetched from
 * each repository: present in the model → 200 with exactly its bytes and, when sent, a
 * Docker-Content-Digest naming them (spec "Pulling blobs", "Pulling manifests"); absent → 404
 * (an error body, when JSON, uses the spec's closed code set) unless the repository holds the same
 * bytes under another digest, which may then serve them. Tags: the tag list holds exactly the
 * model's tags (order and paging are the ListTags command's business) and each tag serves its
 * manifest.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectBody, expectDigestHeaderIfPresent, expectSpecCodesIfJson, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import { followTagPages } from '../client/tag-list.ts';
import type { Model, RepoModel } from './model.ts';
import type { World } from './world.ts';

const PARALLEL = 8;

/** Runs `work` over `items`, at most `parallel` (PARALLEL by default) at a time. */
export async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>, parallel = PARALLEL): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

export type Kind = 'blob' | 'manifest';

/** GET a blob or manifest of the repository by digest (manifests with the Accept real clients send). */
export async function getByDigest(world: World, repo: RepoModel, kind: Kind, digest: string): Promise<{ path: string; reply: Reply }> {
  const path = `/v2/${repo.name}/${kind === 'blob' ? 'blobs' : 'manifests'}/${digest}`;
  return { path, reply: await world.client.request('GET', path, kind === 'manifest' ? { headers: ACCEPT_MANIFESTS } : {}) };
}

/** Whether the repository holds these bytes under some digest (of another algorithm than the one probed). */
function heldUnderAnotherDigest(repo: RepoModel, bytes: Buffer): boolean {
  return [...repo.blobs.values()].some((blob) => blob.content.bytes.equals(bytes));
}

async function probeDigest(world: World, repo: RepoModel, kind: Kind, digest: string, expected: Buffer, held: boolean, label: string): Promise<void> {
  const { path, reply } = await getByDigest(world, repo, kind, digest);
  const what = `${label}: GET ${path}`;
  if (!held) {
    if (reply.status === 200 && kind === 'blob' && heldUnderAnotherDigest(repo, expected)) {
      // A digest is "a unique identifier created from a cryptographic hash of a Blob's content"
      // (spec "Definitions"): the repository holds this content under another algorithm's digest
      // (a blob pushed as sha512 that the registry also addresses by sha256, as CNCF Distribution
      // 2.8.2 does), so this blob is found; it must then be exactly that content.
      expectBody(reply, expected, `${what} (the same content the repository holds under another digest)`);
      expectDigestHeaderIfPresent(reply, expected, what);
      return;
    }
    if (reply.status === 200) {
      throw new CheckFailure(`${what}: expected 404 — the model says this repository does not hold this ${kind} (never pushed here, deleted, or collected) — got 200`, reply.exchange);
    }
    expectStatus(reply, [404], what);
    expectSpecCodesIfJson(reply, what);
    return;
  }
  expectStatus(reply, [200], `${what} (the model says this repository holds it)`);
  expectBody(reply, expected, what);
  expectDigestHeaderIfPresent(reply, expected, what);
}

/** Checks every repository of the execution against the model. */
export async function probe(world: World, model: Model, label: string): Promise<void> {
  for (const repo of model.repos) {
    const jobs: (() => Promise<void>)[] = [];
    for (const [digest, blob] of model.blobUniverse) {
      jobs.push(() => probeDigest(world, repo, 'blob', digest, blob.bytes, repo.blobs.has(digest), label));
    }
    for (const [digest, manifest] of model.manifestUniverse) {
      jobs.push(() => probeDigest(world, repo, 'manifest', digest, manifest.bytes, repo.manifests.has(digest), label));
    }
    for (const [tag, digest] of repo.tags) {
      jobs.push(async () => {
        const path = `/v2/${repo.name}/manifests/${tag}`;
        const reply = await world.client.request('GET', path, { headers: ACCEPT_MANIFESTS });
        const expected = model.manifestUniverse.get(digest);
        expectStatus(reply, [200], `${label}: GET ${path} (the model says tag ${JSON.stringify(tag)} names ${digest})`);
        if (expected) expectBody(reply, expected.bytes, `${label}: GET ${path} should serve ${digest}`);
      });
    }
    await inParallel(jobs, (job) => job());
    if (world.config.capabilities.contentDiscovery && (repo.tags.size > 0 || repo.manifests.size > 0)) await probeTagSet(world, repo, label);
  }
}

/** Tags per page of the probe's tag list: fewer than the tags a history gives one repository. */
const PROBE_PAGE = 2;

/**
 * GET tags/list in pages of PROBE_PAGE, with the pages its Links lead to, holds exactly the
 * model's tags, each once. Small pages make paging part of every probe, so a registry whose pages
 * overlap or skip a tag fails with a few tags, not only past its own page size. Asked only of a
 * repository that holds something, so 200 it is: "Assuming a repository is found, this request
 * MUST return a 200 OK … The list of tags MAY be empty" (end-8a) — the same reading as
 * tags.list.untagged. A registry that ignores n answers the whole list, which holds as well.
 */
async function probeTagSet(world: World, repo: RepoModel, label: string): Promise<void> {
  const path = `/v2/${repo.name}/tags/list?n=${PROBE_PAGE}`;
  const reply = await world.client.request('GET', path);
  const what = `${label}: GET ${path}`;
  expectStatus(reply, [200], what);
  const listed: unknown[] = (await followTagPages(world.client, reply, path, label)).tags;
  const expected = [...repo.tags.keys()].sort();
  const missing = expected.filter((tag) => !listed.includes(tag));
  const extra = listed.filter((tag) => typeof tag !== 'string' || !repo.tags.has(tag));
  const duplicates = listed.filter((tag, i) => listed.indexOf(tag) !== i);
  ensure(missing.length === 0 && extra.length === 0 && duplicates.length === 0,
    `${what}: expected exactly the tags [${expected.join(', ')}]${missing.length ? `; missing [${missing.join(', ')}]` : ''}${extra.length ? `; unexpected [${extra.join(', ')}]` : ''}${duplicates.length ? `; listed twice [${duplicates.join(', ')}]` : ''}`,
    reply);
}
