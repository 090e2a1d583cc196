/**
 * DeleteManifest: DELETE /v2/<name>/manifests/<digest> (spec "Deleting Manifests", end-9): 202,
 * then the digest AND every tag that pointed to it are 404. What it referenced stays (blobs until
 * a GC, children, its subject). A digest the repository does not hold: 404.
 */
import fc from 'fast-check';
import { expectStatus } from '../../client/expect.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface DeleteManifestParams {
  readonly repo: number;
  readonly manifest: number;
  /** Pick among every manifest of the run (some not in this repository) instead of the repository's. */
  readonly anyOfRun: boolean;
}

export class DeleteManifest extends Step {
  readonly p: DeleteManifestParams;

  constructor(p: DeleteManifestParams) {
    super();
    this.p = p;
  }

  override check(model: Readonly<Model>): boolean {
    return model.manifestUniverse.size > 0;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const candidates = this.p.anyOfRun ? [...model.manifestUniverse.keys()] : repo.presentManifests().map((m) => m.content.digest);
    const digest = pick(candidates, this.p.manifest);
    if (digest === undefined) return;
    const path = `/v2/${repo.name}/manifests/${digest}`;
    const reply = await world.client.request('DELETE', path);
    if (!repo.hasManifest(digest)) {
      expectStatus(reply, [404], `${label}: DELETE ${path} (the repository does not hold it)`);
      return;
    }
    const tags = repo.tagsOf(digest);
    expectStatus(reply, [202], `${label}: DELETE ${path}${tags.length ? ` (tagged ${tags.join(', ')}: the tags go too)` : ''}`);
    repo.deleteManifest(digest);
  }

  toString(): string {
    return `DeleteManifest(repo ${this.p.repo}, ${this.p.anyOfRun ? 'any manifest of the run' : 'manifest'} #${this.p.manifest})`;
  }
}

export const deleteManifestCommand: fc.Arbitrary<DeleteManifest> = fc
  .record({ repo: repoIndex, manifest: position, anyOfRun: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) })
  .map((p) => new DeleteManifest(p));
