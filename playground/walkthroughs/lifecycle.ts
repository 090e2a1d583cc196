/**
 * Walkthroughs of what happens after a push (spec §Pushing Manifests with Subject, §Listing
 * Referrers, §Deleting Manifests, §Deleting Blobs; garbage collection is outside the spec): a
 * signature pushed before its subject, the referrers list, filtered by artifactType; a manifest
 * deleted by digest with every tag, then its blob; a collection that keeps what is young, then one
 * as if the grace period had passed.
 */
import { OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import { EMPTY_JSON, artifact, blob, image, imageManifest } from './content.ts';
import { call, pushBlob, putManifest, step } from './steps.ts';
import type { WalkthroughDefinition } from './types.ts';

const ACCEPT = { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` };
const SIGNATURE = 'application/vnd.example.signature.v1';
const SBOM = 'application/vnd.example.sbom.v1';

export const referrers: WalkthroughDefinition = {
  id: 'referrers',
  title: 'Push a signature and list referrers',
  summary: 'Artifacts with a subject; the referrers API, and its artifactType filter.',
  build(context) {
    const repo = context.repo('referrers');
    const subject = image('An image worth signing.\n');
    const signaturePayload = blob('{"critical":{"type":"example signature"}}\n', 'application/vnd.example.signature.payload.v1+json');
    const sbomPayload = blob('{"packages":[{"name":"hello","version":"1.0"}]}\n', 'application/spdx+json');
    const signature = artifact(subject.manifest, SIGNATURE, signaturePayload, { 'org.example.signer': 'alice' });
    const sbom = artifact(subject.manifest, SBOM, sbomPayload, { 'org.example.format': 'spdx' });
    const referrersOf = `/v2/${repo}/referrers/${subject.manifest.digest}`;
    return {
      intro: `A signature and an SBOM attached to an image in ${repo} by their subject field. The signature goes first, before the image exists.`,
      repositories: [repo],
      steps: [
        pushBlob(repo, EMPTY_JSON, 'Push the empty config {} artifacts use'),
        pushBlob(repo, signaturePayload, 'Push the signature\'s payload'),
        putManifest(repo, signature.digest, signature, 'Push the signature, whose subject does not exist yet', {
          sentences: ['push.subject-first', 'manifests.push.subject'],
          notice: 'Accepted although the image it signs is not there: clients may push a referrer and its subject in either order. The answer carries OCI-Subject: the registry indexed the subject, so the client need not maintain a referrers tag itself.',
        }),
        pushBlob(repo, subject.layer, 'Push the image\'s layer'),
        pushBlob(repo, subject.config, 'Push the image\'s config'),
        putManifest(repo, 'v1', subject.manifest, 'Push the image under v1'),
        call('GET', referrersOf, 'List the image\'s referrers', {
          expect: [200],
          sentences: ['referrers.index', 'referrers.descriptors', 'referrers.artifact-type', 'referrers.annotations'],
          notice: 'An image index whose descriptors are the referrers, each with its artifactType and annotations copied from the manifest.',
        }),
        pushBlob(repo, sbomPayload, 'Push the SBOM\'s payload'),
        putManifest(repo, sbom.digest, sbom, 'Push the SBOM with the same subject', { sentences: ['manifests.push.subject'], notice: 'OCI-Subject again.' }),
        call('GET', referrersOf, 'List the referrers again', { expect: [200], sentences: ['referrers.descriptors'], notice: 'Two descriptors now, in digest order.' }),
        call('GET', `${referrersOf}?artifactType=${SIGNATURE}`, 'Only the signatures', {
          expect: [200],
          sentences: ['referrers.filter'],
          notice: 'Filtered by artifactType, and OCI-Filters-Applied: artifactType says so — a client seeing no such header filters itself.',
        }),
        call('GET', `/v2/${repo}/referrers/${signature.digest}`, 'Referrers of something nothing refers to', {
          expect: [200],
          sentences: ['referrers.never-404', 'referrers.empty'],
          notice: 'An empty index, never 404: a 404 here tells clients the registry has no referrers API.',
        }),
      ],
    };
  },
};

export const deletes: WalkthroughDefinition = {
  id: 'delete',
  title: 'Delete manifests and blobs',
  summary: 'By digest a manifest goes with every tag; a blob goes once nothing references it.',
  build(context) {
    const repo = context.repo('delete');
    const { layer, config, manifest } = image('An image that will not stay.\n');
    const blobPath = `/v2/${repo}/blobs/${layer.digest}`;
    return {
      intro: `An image in ${repo} under two tags, deleted by digest; then its layer.`,
      repositories: [repo],
      steps: [
        pushBlob(repo, layer, 'Push the layer'),
        pushBlob(repo, config, 'Push the config'),
        putManifest(repo, 'v1', manifest, 'Push the image as v1'),
        putManifest(repo, 'stable', manifest, 'Tag it stable too'),
        call('DELETE', blobPath, 'Delete the layer while the image uses it', {
          expect: [202, 405],
          sentences: ['delete.blob', 'delete.blob.disabled'],
          notice: 'The spec neither requires nor forbids deleting a blob a manifest still references. This registry refuses (405, DENIED, the manifest named in the detail) so that no image loses a layer.',
        }),
        call('DELETE', `/v2/${repo}/manifests/${manifest.digest}`, 'Delete the manifest by digest', { expect: [202], sentences: ['delete.manifest'], notice: '202 Accepted.' }),
        call('GET', `/v2/${repo}/manifests/v1`, 'Pull v1', { expect: [404], sentences: ['delete.manifest.gone'], notice: 'The manifest went, and its tags with it.' }, ACCEPT),
        call('GET', `/v2/${repo}/manifests/stable`, 'Pull stable', { expect: [404], sentences: ['delete.manifest.gone'], notice: 'Every tag that pointed at it (the fault delete-manifest-leaves-tags leaves this one dangling).' }, ACCEPT),
        call('DELETE', blobPath, 'Delete the layer now', { expect: [202], sentences: ['delete.blob'], notice: 'Nothing references it any more.' }),
        call('GET', blobPath, 'Pull the layer', { expect: [404], sentences: ['blobs.pull.unknown'], notice: 'BLOB_UNKNOWN.' }),
        call('DELETE', blobPath, 'Delete it again', { expect: [404], sentences: ['delete.blob'], notice: 'Not found is 404, as for any unknown blob.' }),
      ],
    };
  },
};

export const gc: WalkthroughDefinition = {
  id: 'gc',
  title: 'Garbage collection',
  summary: 'What a collection keeps and why; the grace period; after it, what goes.',
  build(context) {
    const repo = context.repo('gc');
    const { graceSeconds, deleteUntagged } = context.gc;
    const kept = image('A tagged image: everything it reaches stays.\n');
    const untagged = imageManifest(kept.config, [kept.layer], { annotations: { 'org.example.note': 'pushed by digest, never tagged' } });
    const orphan = blob('A blob no manifest references: garbage once it is old enough.\n');
    const advance = graceSeconds + 60;
    const untaggedFate = deleteUntagged ? 'goes: this registry collects untagged manifests' : 'stays: this registry keeps untagged manifests';
    return {
      intro: `A tagged image, an untagged manifest and an orphan blob in ${repo}. The registry's grace period is ${graceSeconds} s. Open the GC tab between steps and press Explain to see, item by item, why each would stay or go.`,
      repositories: [repo],
      steps: [
        pushBlob(repo, kept.layer, 'Push the layer'),
        pushBlob(repo, kept.config, 'Push the config'),
        putManifest(repo, 'v1', kept.manifest, 'Push the image as v1'),
        putManifest(repo, untagged.digest, untagged, 'Push a second manifest by digest only'),
        pushBlob(repo, orphan, 'Push a blob nothing references'),
        step('Collect garbage now', { method: 'POST', path: '/_touchstone/gc', headers: {} }, {
          expect: [200],
          notice: `Not a spec endpoint: the reference registry's own trigger (README, "How garbage collection decides what to keep"). Everything here is younger than the grace period, which protects a push in progress whose manifest has not arrived yet: blobsRemoved lists none of them.`,
        }),
        step(`Collect as if ${advance} s had passed`, { method: 'POST', path: `/_touchstone/gc?advance=${advance}`, headers: {} }, {
          expect: [200],
          notice: `One collection with the clock ${advance} s ahead: past the grace period. The orphan blob goes; the untagged manifest ${untaggedFate}. It acts on the whole store, not only this repository.`,
        }),
        call('HEAD', `/v2/${repo}/blobs/${orphan.digest}`, 'Look for the orphan blob', { expect: [404], sentences: ['exists.unknown'], notice: 'Collected.' }),
        call('HEAD', `/v2/${repo}/blobs/${kept.layer.digest}`, 'Look for the tagged image\'s layer', { expect: [200], sentences: ['exists.head'], notice: 'Reached from the tag v1: GC must never take what a client can still pull.' }),
        call('HEAD', `/v2/${repo}/manifests/${untagged.digest}`, 'Look for the untagged manifest', {
          expect: [deleteUntagged ? 404 : 200],
          sentences: ['exists.head', 'exists.unknown'],
          notice: `It ${untaggedFate}.`,
        }, ACCEPT),
      ],
    };
  },
};
