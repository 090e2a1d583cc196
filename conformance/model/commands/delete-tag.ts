/**
 * DeleteTag: DELETE /v2/<name>/manifests/<tag> (spec "Deleting tags", end-9): 202, and only that
 * tag goes — the manifest stays pullable by digest and every other tag pointing to it still
 * resolves. A tag the repository does not have: 404. A registry may "allow deletion only by
 * manifest" (spec "Content Management"): "If tag deletion is disabled, the registry MUST respond
 * with either a 400 Bad Request or a 405 Method Not Allowed", and then the tag stays (the probe
 * checks that it still resolves); deletes.tag.supported is where a disabled tag delete warns.
 */
import fc from 'fast-check';
import { expectStatus } from '../../client/expect.ts';
import { position, repoIndex, tag } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step, show } from './step.ts';

/** The answers of a registry with tag deletion disabled (end-9). */
const TAG_DELETES_DISABLED = [400, 405];

export interface DeleteTagParams {
  readonly repo: number;
  /** A position among the repository's tags, or a tag it may not have. */
  readonly tag: { readonly present: number } | { readonly name: string };
}

export class DeleteTag extends Step {
  readonly p: DeleteTagParams;

  constructor(p: DeleteTagParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const name = 'present' in this.p.tag ? pick([...repo.tags.keys()], this.p.tag.present) : this.p.tag.name;
    if (name === undefined) return;
    const path = `/v2/${repo.name}/manifests/${name}`;
    const reply = await world.client.request('DELETE', path);
    if (!repo.tags.has(name)) {
      expectStatus(reply, [404, ...TAG_DELETES_DISABLED], `${label}: DELETE ${path} (no such tag)`);
      return;
    }
    expectStatus(reply, [202, ...TAG_DELETES_DISABLED], `${label}: DELETE ${path}`);
    if (reply.status === 202) repo.tags.delete(name);
  }

  toString(): string {
    return `DeleteTag(repo ${this.p.repo}, ${'present' in this.p.tag ? `tag #${this.p.tag.present}` : `tag ${show(this.p.tag.name)}`})`;
  }
}

export const deleteTagCommand: fc.Arbitrary<DeleteTag> = fc
  .record({ repo: repoIndex, tag: fc.oneof({ weight: 4, arbitrary: fc.record({ present: position }) }, { weight: 1, arbitrary: fc.record({ name: tag }) }) })
  .map((p) => new DeleteTag(p));
