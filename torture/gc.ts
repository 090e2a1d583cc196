/**
 * Scenario "gc" (issue 9: GC never breaks a push nor blocks pushers): pushers push images as
 * clients do — config and layers by every blob flow, then the manifest under a tag — while garbage
 * collection (`POST /_touchstone/gc`, the reference's trigger) runs every 100 ms, with a grace
 * period (60 s) that must protect blobs pushed for a manifest not pushed yet. After an untimed
 * warm-up, windows with and without GC alternate on the same registry, so both see the same,
 * growing store, and push latency is compared between them (goal: p99 with GC within 2× of p99
 * without). Pushers also leave garbage (a loose blob, an abandoned upload session). At the end
 * every acknowledged image must be whole; then one collection with `?advance=` (as if the grace
 * period had passed; only once the pushers have stopped, since it treats young blobs as old) must
 * keep every image whole and collect all the garbage.
 */
import { randomBytes } from 'node:crypto';
import { dir } from 'tmp-promise';
import { content, imageConfig, imageManifest, type Content } from '../conformance/content.ts';
import { OCI_LAYER_TAR_GZIP } from '../spec/media-types.ts';
import { FLOWS, pushBlob } from './flows.ts';
import { Client } from './http.ts';
import { count, load, ms, percentile, sleep } from './measure.ts';
import { Random } from './random.ts';
import { startRegistry } from './registry.ts';
import { goal, type CommonOptions, type Outcome } from './scenario.ts';

export interface GcOptions extends CommonOptions {
  readonly pushers?: number;
  /** Windows alternate without and with GC, starting without. */
  readonly windows?: number;
  readonly windowMs?: number;
  readonly gcEveryMs?: number;
  readonly graceSeconds?: number;
  readonly seed?: number;
}

export interface GcFigures {
  readonly pushes: number;
  readonly pushesWithGc: number;
  readonly pushesWithoutGc: number;
  readonly failed: number;
  readonly broken: number;
  readonly brokenAfterAdvance: number;
  readonly garbage: number;
  readonly garbageLeft: number;
  readonly gcRuns: number;
  readonly gcFailed: number;
  readonly gcP50Ms: number;
  readonly gcP99Ms: number;
  readonly withGc: { readonly p50Ms: number; readonly p99Ms: number };
  readonly withoutGc: { readonly p50Ms: number; readonly p99Ms: number };
}

interface Pushed {
  readonly repo: string;
  readonly manifest: Content;
  readonly blobs: readonly Content[];
}

const REPOS = ['gc/a', 'gc/b', 'gc/nested/c', 'gc/d'];

export async function runGc(options: GcOptions = {}): Promise<Outcome<GcFigures>> {
  const pushers = options.pushers ?? 16;
  const windows = options.windows ?? 6;
  const windowMs = options.windowMs ?? 5_000;
  const gcEveryMs = options.gcEveryMs ?? 100;
  const grace = options.graceSeconds ?? 60;
  const seed = options.seed ?? 1;
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-torture-gc-' });
  const registry = await startRegistry(tmp.path, { env: options.env, args: ['--gc-grace', String(grace), ...(options.serveArgs ?? [])] });
  const client = new Client(registry.url, { connections: pushers * 2, timeoutMs: 120_000 });
  const pushed: Pushed[] = [];
  const garbage: string[] = [];
  const samples: string[] = [];
  const latency = { gc: [] as number[], none: [] as number[] };
  const gcDurations: number[] = [];
  let failed = 0;
  let gcFailed = 0;
  let attempted = 0;
  const fail = (what: string): void => {
    failed += 1;
    if (samples.length < 5) samples.push(what);
  };

  /** One image as a client pushes it; its latency, or undefined when a step failed. */
  const pushImage = async (rng: Random, repo: string, tag: string): Promise<number | undefined> => {
    const started = performance.now();
    const config = imageConfig(randomBytes(8).toString('hex'));
    const layers = [0, 1].map(() => content(randomBytes(rng.between(1024, 64 * 1024)), OCI_LAYER_TAR_GZIP));
    for (const blob of [config, ...layers]) {
      const flow = rng.pick(FLOWS);
      const answer = await pushBlob(client, repo, blob, flow, Math.ceil(blob.size / 3)).catch((error: unknown) => error as Error);
      if (answer instanceof Error || answer.status !== 201) return void fail(`${flow} blob push to ${repo}: ${answer instanceof Error ? answer.message : `${answer.status} ${answer.body.toString('utf8', 0, 300)}`}`);
    }
    const manifest = imageManifest(config, layers);
    const answer = await client.putManifest(repo, tag, manifest).catch((error: unknown) => error as Error);
    if (answer instanceof Error || answer.status !== 201) return void fail(`PUT ${repo}:${tag}: ${answer instanceof Error ? answer.message : `${answer.status} ${answer.body.toString('utf8', 0, 300)}`}`);
    pushed.push({ repo, manifest, blobs: [config, ...layers] });
    return performance.now() - started;
  };

  /** Garbage for the final collection: a blob no manifest references, an upload never finished. */
  const leaveGarbage = async (repo: string): Promise<void> => {
    const loose = content(randomBytes(2048), OCI_LAYER_TAR_GZIP);
    if ((await pushBlob(client, repo, loose, 'single-post', loose.size)).status === 201) garbage.push(`/v2/${repo}/blobs/${loose.digest}`);
    const opened = await client.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
    const location = opened.header('location');
    if (opened.status === 202 && location !== undefined) garbage.push(new URL(location, `${client.baseUrl}/`).pathname);
  };

  try {
    let windowEnd = 0;
    let gcOn = false;
    let stopped = false;
    const pusher = async (id: number): Promise<void> => {
      const rng = new Random(seed * 31 + id);
      const repo = REPOS[id % REPOS.length] as string;
      for (let n = 0; !stopped; n++) {
        attempted += 1;
        const withGc = gcOn;
        const end = windowEnd;
        const took = await pushImage(rng, repo, `p${id}-${n % 4}`);
        // Latency counts only for pushes that started and ended inside one window.
        if (took !== undefined && performance.now() <= end && gcOn === withGc && windowEnd === end) (withGc ? latency.gc : latency.none).push(took);
        if (n % 5 === 4) await leaveGarbage(repo).catch(() => undefined);
      }
    };
    // A warm-up window, untimed (windowEnd 0 matches no push): the first pushes pay for JIT and cold caches.
    const crew = Array.from({ length: pushers }, (_, id) => pusher(id));
    await sleep(Math.min(2_000, windowMs));
    for (let w = 0; w < windows; w++) {
      gcOn = w % 2 === 1;
      windowEnd = performance.now() + windowMs;
      while (performance.now() < windowEnd) {
        if (!gcOn) {
          await sleep(Math.min(50, windowEnd - performance.now()));
          continue;
        }
        const started = performance.now();
        const answer = await client.request('POST', '/_touchstone/gc').catch((error: unknown) => error as Error);
        gcDurations.push(performance.now() - started);
        if (answer instanceof Error || answer.status !== 200) gcFailed += 1;
        await sleep(Math.max(0, gcEveryMs - (performance.now() - started)));
      }
      options.progress?.(`gc: window ${w + 1}/${windows} ${gcOn ? 'with' : 'without'} GC: ${pushed.length} pushes so far, ${failed} failed`);
    }
    stopped = true;
    await Promise.all(crew);

    const broken = await brokenImages(client, pushed, samples);
    const advanced = await client.request('POST', `/_touchstone/gc?advance=${grace * 10}`);
    if (advanced.status !== 200) gcFailed += 1;
    const brokenAfterAdvance = await brokenImages(client, pushed, samples);
    let garbageLeft = 0;
    for (const path of garbage) if ((await client.request(path.includes('/uploads/') ? 'GET' : 'HEAD', path)).status !== 404) garbageLeft += 1;

    const figures: GcFigures = {
      pushes: pushed.length,
      pushesWithGc: latency.gc.length,
      pushesWithoutGc: latency.none.length,
      failed,
      broken,
      brokenAfterAdvance,
      garbage: garbage.length,
      garbageLeft,
      gcRuns: gcDurations.length,
      gcFailed,
      gcP50Ms: percentile(gcDurations, 50),
      gcP99Ms: percentile(gcDurations, 99),
      withGc: { p50Ms: percentile(latency.gc, 50), p99Ms: percentile(latency.gc, 99) },
      withoutGc: { p50Ms: percentile(latency.none, 50), p99Ms: percentile(latency.none, 99) },
    };
    const ratio = figures.withGc.p99Ms / figures.withoutGc.p99Ms;
    const line =
      `gc: ${pushers} pushers, ${count(figures.pushes)} pushes of ${count(attempted)} (${count(figures.pushesWithGc)} timed with GC every ${gcEveryMs} ms or back to back, ${count(figures.pushesWithoutGc)} without), ` +
      `${failed} failed, ${broken} images broken; push p99 ${ms(figures.withGc.p99Ms)} with GC vs ${ms(figures.withoutGc.p99Ms)} without (${ratio.toFixed(2)}×; ` +
      `p50 ${ms(figures.withGc.p50Ms)} vs ${ms(figures.withoutGc.p50Ms)}); ${count(figures.gcRuns)} GC runs (p50 ${ms(figures.gcP50Ms)}, p99 ${ms(figures.gcP99Ms)}), ${gcFailed} failed; ` +
      `after ?advance: ${brokenAfterAdvance} images broken, ${garbageLeft} of ${garbage.length} garbage left (grace ${grace} s, seed ${seed}, load ${load()})`;
    const goals = [
      goal('pushes failed by GC 0', failed, failed === 0),
      goal('images broken by GC 0', broken + brokenAfterAdvance, broken + brokenAfterAdvance === 0),
      goal('push p99 with GC ≤ 2× without', `${ratio.toFixed(2)}×`, ratio <= 2),
      goal('GC runs failed 0', gcFailed, gcFailed === 0),
      goal('garbage left after ?advance 0', garbageLeft, garbageLeft === 0),
    ];
    return { figures, line, goals, samples };
  } finally {
    await client.close();
    await registry.stop();
    await tmp.cleanup();
  }
}

/** Images whose manifest or any blob the registry no longer serves. */
async function brokenImages(client: Client, pushed: readonly Pushed[], samples: string[]): Promise<number> {
  let broken = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pushed.length) {
      const image = pushed[next++] as Pushed;
      const missing: string[] = [];
      if ((await client.resolve(image.repo, image.manifest.digest)) !== image.manifest.digest) missing.push(`manifest ${image.manifest.digest}`);
      for (const blob of image.blobs) if ((await client.request('HEAD', `/v2/${image.repo}/blobs/${blob.digest}`)).status !== 200) missing.push(`blob ${blob.digest}`);
      if (missing.length === 0) continue;
      broken += 1;
      if (samples.length < 10) samples.push(`${image.repo}@${image.manifest.digest} lost ${missing.join(', ')}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return broken;
}
