/**
 * Retag: PUT the exact bytes of a manifest the repository holds under a tag (spec "Pushing
 * Manifests"). A new tag now names it; a tag that named another manifest moves, and the other
 * manifest stays, pullable by digest.
 */
import fc from 'fast-check';
import { missingReferences, putManifest } from '../actions.ts';
import { position, repoIndex, tag } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step, show } from './step.ts';

export interface RetagParams {
  readonly repo: number;
  readonly manifest: number;
  readonly tag: string;
}

export class Retag extends Step {
  readonly p: RetagParams;

  constructor(p: RetagParams) {
    super();
    this.p = p;
  }

  override check(model: Readonly<Model>): boolean {
    return model.repo(this.p.repo).presentManifests().length > 0;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const manifest = pick(repo.presentManifests(), this.p.manifest);
    if (!manifest) return;
    const stored = await putManifest(world, repo.name, this.p.tag, manifest.content, manifest.subject, label, missingReferences(repo, manifest));
    if (stored) repo.tags.set(this.p.tag, manifest.content.digest);
  }

  toString(): string {
    return `Retag(repo ${this.p.repo}, manifest #${this.p.manifest}, tag ${show(this.p.tag)})`;
  }
}

export const retagCommand: fc.Arbitrary<Retag> = fc.record({ repo: repoIndex, manifest: position, tag }).map((p) => new Retag(p));
