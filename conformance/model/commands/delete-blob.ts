/**
 * DeleteBlob: DELETE /v2/<name>/blobs/<digest> (spec "Deleting Blobs", end-10). A blob the
 * repository holds and no manifest references: 202, then it is gone. A referenced blob: the spec
 * does not forbid deleting it, so 202 (then gone) or a 4xx refusal (then still there) are both
 * fine. A blob the repository does not hold: 404. A registry declared with blob deletes that
 * answers 400/405 fails here.
 */
import fc from 'fast-check';
import { expectStatus } from '../../client/expect.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface DeleteBlobParams {
  readonly repo: number;
  readonly blob: number;
}

export class DeleteBlob extends Step {
  readonly p: DeleteBlobParams;

  constructor(p: DeleteBlobParams) {
    super();
    this.p = p;
  }

  override check(model: Readonly<Model>): boolean {
    return model.blobUniverse.size > 0;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const digest = pick([...model.blobUniverse.keys()], this.p.blob);
    if (digest === undefined) return;
    const path = `/v2/${repo.name}/blobs/${digest}`;
    const reply = await world.client.request('DELETE', path);
    const what = `${label}: DELETE ${path}`;
    if (!repo.hasBlob(digest)) {
      expectStatus(reply, [404], `${what} (the repository does not hold it)`);
      return;
    }
    if (repo.blobReferenced(digest)) {
      expectStatus(reply, [202, 400, 403, 405, 409], `${what} (a manifest references it: deleted, or refused)`);
      if (reply.status === 202) repo.blobs.delete(digest);
      return;
    }
    expectStatus(reply, [202], what);
    repo.blobs.delete(digest);
  }

  toString(): string {
    return `DeleteBlob(repo ${this.p.repo}, blob #${this.p.blob} of the run)`;
  }
}

export const deleteBlobCommand: fc.Arbitrary<DeleteBlob> = fc.record({ repo: repoIndex, blob: position }).map((p) => new DeleteBlob(p));
