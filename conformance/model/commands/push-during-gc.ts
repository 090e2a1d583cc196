/**
 * PushDuringGc: a client pushes an image (blobs, then the manifest) while the registry collects
 * garbage. Everything the client pushed is younger than the grace period: the push succeeds and
 * all of it survives (the seed collected right after every PUT and deleted blobs uploaded for a
 * manifest not pushed yet: spec-notes §10). The rest is judged as for any collection. A registry
 * whose collection is offline (CNCF Distribution's garbage-collect runs with the registry stopped:
 * spec-notes §9) cannot be reached while it collects; the spec says nothing of GC, so that is no
 * failure: the client pushes again once the collection is done, and that push must succeed.
 */
import fc from 'fast-check';
import { HarnessError } from '../../client/errors.ts';
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
    const push = (what: string): Promise<void> => pushBuilt(world, model, repo, built, this.p.tag === undefined ? [] : [this.p.tag], `${label} (${what})`);
    let unreachable = false;
    await collectAndCheck(model, world, label, 0, () => push('push during the collection').catch((error: unknown) => {
      // A network failure (the client could not reach the registry), not an answer of it.
      if (!(error instanceof HarnessError)) throw error;
      unreachable = true;
    }));
    if (unreachable) await push('pushed again after the collection: the registry could not be reached during it');
  }

  toString(): string {
    const { repo, layers, configSeed, tag } = this.p;
    return `PushDuringGc(repo ${repo}, layers ${show(layers)}, config ${configSeed}, ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

export const pushDuringGcCommand: fc.Arbitrary<PushDuringGc> = fc
  .record({ repo: repoIndex, layers: imageShape.layers, configSeed: imageShape.configSeed, docker: imageShape.docker, tag: reference })
  .map((p) => new PushDuringGc(p));
