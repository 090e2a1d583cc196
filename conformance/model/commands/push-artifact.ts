/**
 * PushArtifact: an OCI 1.1 artifact (artifactType, the empty config, one layer or the empty
 * descriptor, annotations) whose subject is a manifest of the repository — or one never pushed:
 * "A registry MUST initially accept an otherwise valid manifest with a subject field that
 * references a manifest that does not exist" (spec "Pushing Manifests"). A registry offering
 * referrers MUST answer OCI-Subject (checked in actions.putManifest). Usually by digest, as
 * signing tools push; sometimes tagged.
 */
import fc from 'fast-check';
import { buildArtifact, pushBuilt } from '../actions.ts';
import { annotations, artifactType, position, repoIndex, tag } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import { missingSubject, type World } from '../world.ts';
import { Step, show } from './step.ts';

export interface PushArtifactParams {
  readonly repo: number;
  /**
   * A position among the repository's tagged manifests (what signing tools usually sign), among all
   * its manifests, or a seed for a subject never pushed.
   */
  readonly subject: { readonly tagged: number } | { readonly present: number } | { readonly missing: number };
  readonly artifactType: string;
  readonly layer: number | undefined;
  readonly annotations: Record<string, string> | undefined;
  readonly tag: string | undefined;
}

export class PushArtifact extends Step {
  readonly p: PushArtifactParams;

  constructor(p: PushArtifactParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const tagged = new Set(repo.tags.values());
    const chosen = 'tagged' in this.p.subject
      ? pick(repo.presentManifests().filter((m) => tagged.has(m.content.digest)), this.p.subject.tagged)?.content
      : 'present' in this.p.subject ? pick(repo.presentManifests(), this.p.subject.present)?.content : undefined;
    const subject = chosen ?? missingSubject(world, 'missing' in this.p.subject ? this.p.subject.missing : 0);
    model.noteManifest(subject);
    const built = buildArtifact(world, subject, this.p.artifactType, this.p.layer, this.p.annotations);
    await pushBuilt(world, model, repo, built, this.p.tag === undefined ? [] : [this.p.tag], label);
  }

  toString(): string {
    const { repo, subject, artifactType: type, tag: t } = this.p;
    const about = 'tagged' in subject ? `subject tagged manifest #${subject.tagged}` : 'present' in subject ? `subject manifest #${subject.present}` : `missing subject ${subject.missing}`;
    return `PushArtifact(repo ${repo}, ${about}, ${type.replace('application/vnd.example.', '')}${t === undefined ? '' : `, tag ${show(t)}`})`;
  }
}

export const pushArtifactCommand: fc.Arbitrary<PushArtifact> = fc
  .record({
    repo: repoIndex,
    subject: fc.oneof(
      { weight: 2, arbitrary: fc.record({ tagged: position }) },
      { weight: 2, arbitrary: fc.record({ present: position }) },
      { weight: 1, arbitrary: fc.record({ missing: fc.nat(1) }) },
    ),
    artifactType,
    layer: fc.option(fc.nat(4), { nil: undefined }),
    annotations,
    tag: fc.option(tag, { nil: undefined, freq: 5 }),
  })
  .map((p) => new PushArtifact(p));
