/**
 * PushArtifact: an OCI 1.1 artifact (artifactType, the empty config, one layer or the empty
 * descriptor, annotations) whose subject is a manifest of the repository — or one never pushed:
 * "A registry MUST initially accept an otherwise valid manifest with a subject field that
 * references a manifest that does not exist" (spec "Pushing Manifests"). A registry offering
 * referrers MUST answer OCI-Subject (checked in actions.putManifest). Usually by digest, as
 * signing tools push; sometimes tagged. The subject may also be an image pushed and tagged right
 * before, as a build pipeline pushes and then signs.
 */
import fc from 'fast-check';
import { buildArtifact, buildImage, pushBuilt } from '../actions.ts';
import { annotations, artifactType, position, repoIndex, tag } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import { missingSubject, type World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

/** An image pushed under `tag` just before it is signed. */
interface FreshSubject {
  readonly layers: readonly number[];
  readonly configSeed: number;
  readonly tag: string;
}

export interface PushArtifactParams {
  readonly repo: number;
  /**
   * A position among the repository's tagged manifests (what signing tools usually sign), among all
   * its manifests, an image to push and tag first, or a seed for a subject never pushed.
   */
  readonly subject: { readonly tagged: number } | { readonly present: number } | { readonly fresh: FreshSubject } | { readonly missing: number };
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
    if ('fresh' in this.p.subject) {
      const { layers, configSeed, tag: subjectTag } = this.p.subject.fresh;
      await pushBuilt(world, model, repo, buildImage(world, { layers, configSeed: 20 + configSeed, docker: false }), subjectTag, `${label}: the subject`);
    }
    const tagged = new Set(repo.tags.values());
    const subjectOf = (p: PushArtifactParams['subject']) => {
      if ('fresh' in p) return model.manifestUniverse.get(repo.tags.get(p.fresh.tag) ?? '');
      if ('tagged' in p) return pick(repo.presentManifests().filter((m) => tagged.has(m.content.digest)), p.tagged)?.content;
      if ('present' in p) return pick(repo.presentManifests(), p.present)?.content;
      return undefined;
    };
    const chosen = subjectOf(this.p.subject);
    const subject = chosen ?? missingSubject(world, 'missing' in this.p.subject ? this.p.subject.missing : 0);
    model.noteManifest(subject);
    const built = buildArtifact(world, subject, this.p.artifactType, this.p.layer, this.p.annotations);
    await pushBuilt(world, model, repo, built, this.p.tag, label);
  }

  toString(): string {
    const { repo, subject, artifactType: type, tag: t } = this.p;
    const about = 'tagged' in subject ? `subject tagged manifest #${subject.tagged}`
      : 'present' in subject ? `subject manifest #${subject.present}`
      : 'fresh' in subject ? `subject new image tagged ${show(subject.fresh.tag)} (layers ${show(subject.fresh.layers)}, config ${subject.fresh.configSeed})`
      : `missing subject ${subject.missing}`;
    return `PushArtifact(repo ${repo}, ${about}, ${type.replace('application/vnd.example.', '')}${t === undefined ? '' : `, tag ${show(t)}`})`;
  }
}

export const pushArtifactCommand: fc.Arbitrary<PushArtifact> = fc
  .record({
    repo: repoIndex,
    subject: fc.oneof(
      { weight: 2, arbitrary: fc.record({ tagged: position }) },
      { weight: 1, arbitrary: fc.record({ present: position }) },
      { weight: 2, arbitrary: fc.record({ fresh: fc.record({ layers: imageShape.layers, configSeed: imageShape.configSeed, tag }) }) },
      { weight: 1, arbitrary: fc.record({ missing: fc.nat(1) }) },
    ),
    artifactType,
    layer: fc.option(fc.nat(4), { nil: undefined }),
    annotations,
    // By digest four times in five, as signing tools push (fc.option's freq is the odds of nil).
    tag: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: tag }),
  })
  .map((p) => new PushArtifact(p));
