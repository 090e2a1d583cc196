/**
 * GcMidPush: a collection lands in the middle of a client's push — after the image's blobs, before
 * its manifest. The blobs are unreferenced and younger than the grace period: the collection must
 * leave them (the seed collected right after every PUT and deleted blobs uploaded for a manifest
 * not pushed yet: docs/gc.md#grace-period), and the manifest PUT then succeeds. The rest is judged as
 * for any collection. Sequential on purpose: the same bug shows every time, so a counterexample
 * shrinks and replays (a collection racing the requests shows it only sometimes), and a registry
 * that collects offline (CNCF Distribution: docs/deviations.md#cncf-distribution-282) is never asked to serve while it does.
 */
import fc from 'fast-check';
import { buildImage, ensureBlobs, pushBuilt } from '../actions.ts';
import { reference, repoIndex } from '../arbitraries.ts';
import { collectAndCheck } from '../collect.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

export interface GcMidPushParams {
  readonly repo: number;
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly docker: boolean;
  readonly tag: string | undefined;
}

export class GcMidPush extends Step {
  readonly p: GcMidPushParams;

  constructor(p: GcMidPushParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const built = buildImage(world, { ...this.p, annotations: undefined });
    const repo = model.repo(this.p.repo);
    await ensureBlobs(world, model, repo, built.blobs, `${label}: the blobs`);
    await collectAndCheck(model, world, `${label} (collection before the manifest)`, 0);
    await pushBuilt(world, model, repo, built, this.p.tag, `${label}: the manifest`);
  }

  toString(): string {
    const { repo, layers, configSeed, tag } = this.p;
    return `GcMidPush(repo ${repo}, layers ${show(layers)}, config ${configSeed}, ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

export const gcMidPushCommand: fc.Arbitrary<GcMidPush> = fc
  .record({ repo: repoIndex, layers: imageShape.layers, configSeed: imageShape.configSeed, docker: imageShape.docker, tag: reference })
  .map((p) => new GcMidPush(p));
