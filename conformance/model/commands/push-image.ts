/**
 * PushImage: an image manifest (OCI, or Docker schema2) built from pool layers and its own config,
 * pushed the way clients push (blobs the repository lacks first, then the manifest) under a tag or
 * by digest (spec "Pushing Manifests", end-7). A tag that already names another manifest moves;
 * the old manifest stays pullable by digest.
 */
import fc from 'fast-check';
import { buildImage, pushBuilt } from '../actions.ts';
import { annotations, reference, repoIndex } from '../arbitraries.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step, show } from './step.ts';

export interface PushImageParams {
  readonly repo: number;
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly docker: boolean;
  readonly tag: string | undefined;
  readonly annotations: Record<string, string> | undefined;
}

export class PushImage extends Step {
  readonly p: PushImageParams;

  constructor(p: PushImageParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const built = buildImage(world, { layers: this.p.layers, configSeed: this.p.configSeed, docker: this.p.docker, annotations: this.p.annotations });
    await pushBuilt(world, model, model.repo(this.p.repo), built, this.p.tag, label);
  }

  toString(): string {
    const { repo, layers, configSeed, docker, tag } = this.p;
    return `PushImage(repo ${repo}, layers ${show(layers)}, config ${configSeed}${docker ? ', docker' : ''}, ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

export const imageShape = {
  layers: fc.array(fc.nat(4), { maxLength: 3 }),
  configSeed: fc.nat(3),
  docker: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  annotations,
};

export const pushImageCommand: fc.Arbitrary<PushImage> = fc
  .record({ repo: repoIndex, ...imageShape, tag: reference })
  .map((p) => new PushImage(p));
