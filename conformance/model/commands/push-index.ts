/**
 * PushIndex: an OCI image index over manifests the repository holds — images, and indexes too, so
 * indexes nest (image-spec image-index.md; spec "Pushing Manifests") — under a tag or by digest.
 * With no child picked, the index is empty, which is valid.
 */
import fc from 'fast-check';
import { buildIndex, pushBuilt } from '../actions.ts';
import { annotations, position, reference, repoIndex } from '../arbitraries.ts';
import { pick, type ManifestFact, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step, show } from './step.ts';

export interface PushIndexParams {
  readonly repo: number;
  readonly children: readonly number[];
  readonly tag: string | undefined;
  readonly annotations: Record<string, string> | undefined;
}

export class PushIndex extends Step {
  readonly p: PushIndexParams;

  constructor(p: PushIndexParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const present = repo.presentManifests();
    const children = [...new Map(this.p.children.map((i) => pick(present, i)).filter((m): m is ManifestFact => m !== undefined).map((m) => [m.content.digest, m])).values()];
    await pushBuilt(world, model, repo, buildIndex(children, this.p.annotations), this.p.tag === undefined ? [] : [this.p.tag], label);
  }

  toString(): string {
    const { repo, children, tag } = this.p;
    return `PushIndex(repo ${repo}, children #${show(children)}, ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

export const pushIndexCommand: fc.Arbitrary<PushIndex> = fc
  .record({ repo: repoIndex, children: fc.array(position, { maxLength: 3 }), tag: reference, annotations })
  .map((p) => new PushIndex(p));
