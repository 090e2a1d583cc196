/**
 * PushIndex: an OCI image index, pushed the way clients push one (docs/clients.md#manifests-and-indexes): fresh child
 * images first, by digest, then the index under a tag or by digest (spec "Pushing Manifests").
 * Children may also be manifests the repository already holds — images, and indexes too, so
 * indexes nest (image-spec image-index.md). With no child at all the index is empty, which is
 * valid.
 */
import fc from 'fast-check';
import { buildImage, buildIndex, pushBuilt } from '../actions.ts';
import { annotations, position, reference, repoIndex } from '../arbitraries.ts';
import { pick, type ManifestFact, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

export type IndexChild =
  | { readonly existing: number }
  | { readonly fresh: { readonly layers: readonly number[]; readonly configSeed: number; readonly docker: boolean } };

export interface PushIndexParams {
  readonly repo: number;
  readonly children: readonly IndexChild[];
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
    const children = new Map<string, ManifestFact>();
    for (const child of this.p.children) {
      if ('existing' in child) {
        const existing = pick(repo.presentManifests(), child.existing);
        if (existing) children.set(existing.content.digest, existing);
        continue;
      }
      const image = buildImage(world, { ...child.fresh, configSeed: 10 + child.fresh.configSeed });
      await pushBuilt(world, model, repo, image, undefined, `${label}: child image`);
      const fact = repo.manifests.get(image.manifest.digest);
      if (fact) children.set(fact.content.digest, fact);
    }
    await pushBuilt(world, model, repo, buildIndex([...children.values()], this.p.annotations), this.p.tag, label);
  }

  toString(): string {
    const { repo, children, tag } = this.p;
    const shown = children.map((c) => ('existing' in c ? `#${c.existing}` : `new(layers ${show(c.fresh.layers)}, config ${c.fresh.configSeed})`));
    return `PushIndex(repo ${repo}, children [${shown.join(', ')}], ${tag === undefined ? 'by digest' : `tag ${show(tag)}`})`;
  }
}

const child: fc.Arbitrary<IndexChild> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ fresh: fc.record({ layers: imageShape.layers, configSeed: imageShape.configSeed, docker: fc.constant(false) }) }) },
  { weight: 1, arbitrary: fc.record({ existing: position }) },
);

export const pushIndexCommand: fc.Arbitrary<PushIndex> = fc
  .record({ repo: repoIndex, children: fc.array(child, { maxLength: 3 }), tag: reference, annotations })
  .map((p) => new PushIndex(p));
