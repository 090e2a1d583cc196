/**
 * PushDuringGc: a client pushes an image (blobs, then the manifest) while the registry collects
 * garbage. Everything the client pushed is younger than the grace period: the push succeeds and
 * all of it survives (the seed collected right after every PUT and deleted blobs uploaded for a
 * manifest not pushed yet: spec-notes §10). The rest is judged as for any collection.
 */
import fc from 'fast-check';
import { buildImage, pushBuilt } from '../actions.ts';
import { reference, repoIndex } from '../arbitraries.ts';
import { collectAndCheck } from '../collect.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

export interface PushDuringGcParams {
  readonly repo: number;
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly docker: boolean;
  readonly tag: string | undefined;
}

export class PushDuringGc extends Step {
  readonly p: PushDuringGcParams;

  constructor(p: PushDuringGcParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const built = buildImage(world, { ...this.p, annotations: undefined });
    const repo = model.repo(this.p.repo);
    await collectAndCheck(model, world, label, 0, () => pushBuilt(world, model, repo, built, this.p.tag === undefined ? [] : [this.p.tag], `${label} (push during the collection)`));
  }

  toString(): string {
    const { repo, layers, configSeed, tag } = this.p;
    return `PushDuringGc(repo ${repo}, layers ${show(layers)}, config ${configSeed}, ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

export const pushDuringGcCommand: fc.Arbitrary<PushDuringGc> = fc
  .record({ repo: repoIndex, layers: imageShape.layers, configSeed: imageShape.configSeed, docker: imageShape.docker, tag: reference })
  .map((p) => new PushDuringGc(p));
