/**
 * ConcurrentTags: one manifest PUT under several tags at once, in one repository. Each PUT is a
 * read-modify-write of the repository's tag list on most registries; without a lock, concurrent
 * ones lose each other's tags (zot's early code declared a mutex and never used it: docs/deviations.md#zots-early-storage-code).
 * Every PUT answers 201, and afterwards every tag resolves.
 */
import fc from 'fast-check';
import { buildImage, prepareBuilt, putManifest } from '../actions.ts';
import { distinctTags, repoIndex } from '../arbitraries.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

export interface ConcurrentTagsParams {
  readonly repo: number;
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly tags: readonly string[];
}

export class ConcurrentTags extends Step {
  readonly p: ConcurrentTagsParams;

  constructor(p: ConcurrentTagsParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const built = buildImage(world, { layers: this.p.layers, configSeed: this.p.configSeed, docker: false });
    await prepareBuilt(world, model, repo, built, label);
    const at = Date.now();
    await Promise.all(this.p.tags.map((tag) => putManifest(world, repo.name, tag, built.manifest, undefined, `${label}: concurrent PUT`)));
    repo.addManifest(built.fact({ at, done: Date.now() }), this.p.tags);
  }

  toString(): string {
    return `ConcurrentTags(repo ${this.p.repo}, layers ${show(this.p.layers)}, config ${this.p.configSeed}, tags ${show(this.p.tags)})`;
  }
}

export const concurrentTagsCommand: fc.Arbitrary<ConcurrentTags> = fc
  .record({ repo: repoIndex, layers: imageShape.layers, configSeed: imageShape.configSeed, tags: distinctTags })
  .map((p) => new ConcurrentTags(p));
