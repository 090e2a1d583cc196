/**
 * One garbage collection and what it must have done (gc-expectations.ts decides): trigger it,
 * then check each manifest of each repository against its verdict — kept, collected, or either,
 * in which case the model learns what happened — then each blob against verdicts drawn from the
 * manifests that survived. A failure names the item and why it had to stay or go.
 */
import { CheckFailure } from '../client/errors.ts';
import { expectBody, expectStatus } from '../client/expect.ts';
import type { GcConfig } from '../config.ts';
import { blobVerdicts, manifestVerdicts, type GcWindow, type Judged } from './gc-expectations.ts';
import type { Model, RepoModel } from './model.ts';
import { getByDigest, inParallel, type Kind } from './probe.ts';
import type { World } from './world.ts';

/** An advanced collection runs as if the grace period and then a minute had passed. */
export function advanceFor(gc: GcConfig): number {
  return gc.graceMs + 60_000;
}

async function judge(world: World, repo: RepoModel, kind: Kind, digest: string, judged: Judged, label: string): Promise<void> {
  const { path, reply } = await getByDigest(world, repo, kind, digest);
  const gone = (): void => {
    if (kind === 'blob') repo.blobs.delete(digest);
    else repo.deleteManifest(digest);
  };
  if (judged.verdict === 'keep') {
    if (reply.status === 404) throw new CheckFailure(`${label}: the collection removed ${kind} ${digest} from ${repo.name}, which had to stay: ${judged.why}`, reply.exchange);
    expectStatus(reply, [200], `${label}: GET ${path} after the collection`);
    return;
  }
  if (judged.verdict === 'collect') {
    if (reply.status === 200) throw new CheckFailure(`${label}: the collection kept ${kind} ${digest} in ${repo.name}, which should have been reclaimed: ${judged.why}`, reply.exchange);
    expectStatus(reply, [404], `${label}: GET ${path} after the collection`);
    gone();
    return;
  }
  expectStatus(reply, [200, 404], `${label}: GET ${path} after the collection`);
  const held = kind === 'blob' ? repo.blobs.get(digest) : repo.manifests.get(digest);
  if (reply.status === 404) gone();
  else if (held) expectBody(reply, held.content.bytes, `${label}: GET ${path} after the collection`);
}

/** Triggers a collection and checks what it did. */
export async function collectAndCheck(model: Model, world: World, label: string, advanceMs: number): Promise<void> {
  const { gc } = world.config;
  if (!gc.trigger) return;
  const start = Date.now();
  await gc.trigger.run(advanceMs);
  const window: GcWindow = { start, end: Date.now(), advanceMs };
  for (const repo of model.repos) {
    const before = new Set(repo.presentManifests().map((m) => m.content.digest));
    const manifests = manifestVerdicts(repo, gc, window);
    await inParallel([...manifests], ([digest, judged]) => judge(world, repo, 'manifest', digest, judged, label));
    for (const m of repo.presentManifests()) {
      for (const child of m.children) {
        if (before.has(child) && !repo.hasManifest(child)) {
          throw new CheckFailure(`${label}: the collection kept index ${m.content.digest} in ${repo.name} but removed its child ${child}`);
        }
      }
    }
    const blobs = blobVerdicts(repo, gc, window);
    await inParallel([...blobs], ([digest, judged]) => judge(world, repo, 'blob', digest, judged, label));
  }
}
