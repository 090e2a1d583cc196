/**
 * Scenario "tags" (issue 9: concurrent tag updates lose nothing): many clients PUT manifests under
 * tags of one repository at once, with bounded concurrency — half under a tag of their own, half
 * under a few tags they all share, so the same tag is moved by many overlapping requests. Every
 * update is recorded in the Ledger with when it was sent and acknowledged; afterwards every tag
 * must resolve to the digest of a PUT that no acknowledged PUT supersedes (for a shared tag, the
 * last acknowledged one or one that overlapped it), and `GET tags/list` (every page) must list it.
 */
import { dir } from 'tmp-promise';
import { imageConfig, imageManifest, content, type Content } from '../conformance/content.ts';
import { OCI_LAYER_TAR_GZIP } from '../spec/media-types.ts';
import { pushBlob } from './flows.ts';
import { Client } from './http.ts';
import { ABSENT, Ledger } from './ledger.ts';
import { count, load, ms, percentile } from './measure.ts';
import { Random } from './random.ts';
import { startRegistry } from './registry.ts';
import { goal, type CommonOptions, type Outcome } from './scenario.ts';

export interface TagsOptions extends CommonOptions {
  readonly updates?: number;
  readonly concurrency?: number;
  /** How many tags the shared half of the updates is spread over. */
  readonly sharedTags?: number;
  readonly seed?: number;
}

export interface TagsFigures {
  readonly updates: number;
  readonly acknowledged: number;
  readonly tags: number;
  readonly lost: number;
  readonly unlisted: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const REPO = 'torture/tags';
/** Bound on tags/list pages followed. */
const MAX_PAGES = 10_000;

export async function runTags(options: TagsOptions = {}): Promise<Outcome<TagsFigures>> {
  const updates = options.updates ?? 1000;
  const concurrency = options.concurrency ?? 50;
  const shared = options.sharedTags ?? 10;
  const seed = options.seed ?? 1;
  const rng = new Random(seed);
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-torture-tags-' });
  const registry = await startRegistry(tmp.path, { env: options.env, args: options.serveArgs ?? [] });
  const client = new Client(registry.url, { connections: concurrency });
  const ledger = new Ledger();
  const failures: string[] = [];
  let failed = 0;
  const latencies: number[] = [];
  const tags = new Set<string>();
  let lost = 0;
  let unlisted = 0;
  try {
    const config = imageConfig(`tags-${seed}`);
    const layer = content(`torture tags layer ${seed}`, OCI_LAYER_TAR_GZIP);
    for (const blob of [config, layer]) {
      const answer = await pushBlob(client, REPO, blob, 'single-post', blob.size);
      if (answer.status !== 201) throw new Error(`the tags scenario could not push its blobs: ${answer.status}`);
    }
    const manifests: Content[] = Array.from({ length: 40 }, (_, i) => imageManifest(config, [layer], { annotations: { 'torture.n': String(i) } }));
    const plan = Array.from({ length: updates }, (_, i) => ({ tag: rng.chance(0.5) ? `shared-${rng.int(shared)}` : `own-${i}`, manifest: rng.pick(manifests) }));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plan.length) {
        const { tag, manifest } = plan[next++] as (typeof plan)[number];
        tags.add(tag);
        const write = ledger.begin(tag, manifest.digest);
        const started = performance.now();
        const answer = await client.putManifest(REPO, tag, manifest).catch((error: unknown) => error as Error);
        if (!(answer instanceof Error) && answer.status === 201) {
          ledger.acknowledge(write);
          latencies.push(performance.now() - started);
          continue;
        }
        failed += 1;
        if (failures.length < 5) failures.push(`PUT ${tag}: ${answer instanceof Error ? answer.message : `${answer.status} ${answer.body.toString('utf8', 0, 200)}`}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    const listed = await listTags(client);
    for (const tag of tags) {
      const seen = (await client.resolve(REPO, tag)) ?? ABSENT;
      const allowed = ledger.allowed(tag);
      if (!allowed.has(seen)) {
        lost += 1;
        if (failures.length < 10) failures.push(`tag ${tag} resolves to ${seen}; acknowledged updates allow ${[...allowed].join(' or ')}`);
      }
      if (seen !== ABSENT && !listed.has(tag)) {
        unlisted += 1;
        if (failures.length < 10) failures.push(`tag ${tag} resolves but tags/list does not list it`);
      }
    }
  } finally {
    await client.close();
    await registry.stop();
    await tmp.cleanup();
  }
  const figures: TagsFigures = { updates, acknowledged: ledger.acknowledged, tags: tags.size, lost, unlisted, failed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  const line =
    `tags: ${count(updates)} concurrent tag updates (${concurrency} at once, ${count(tags.size)} tags, ${shared} shared), ${count(figures.acknowledged)} acknowledged, ` +
    `${lost} lost tags, ${unlisted} unlisted, ${failed} failed updates, PUT p50 ${ms(figures.p50Ms)} p99 ${ms(figures.p99Ms)} (seed ${seed}, load ${load()})`;
  const goals = [
    goal('lost tags 0', lost, lost === 0),
    goal('unlisted tags 0', unlisted, unlisted === 0),
    goal('failed tag updates 0', failed, failed === 0),
  ];
  return { figures, line, goals, samples: failures };
}

/** Every tag `GET /v2/<name>/tags/list` lists, following Link rel="next" pages. */
async function listTags(client: Client): Promise<Set<string>> {
  const listed = new Set<string>();
  let path: string | undefined = `/v2/${REPO}/tags/list`;
  for (let page = 0; path !== undefined && page < MAX_PAGES; page++) {
    const answer = await client.request('GET', path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}`);
    for (const tag of (JSON.parse(answer.body.toString('utf8')) as { tags?: string[] | null }).tags ?? []) listed.add(tag);
    path = /<([^>]+)>;\s*rel="?next"?/.exec(answer.header('link') ?? '')?.[1];
  }
  return listed;
}
