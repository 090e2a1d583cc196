/**
 * Walkthroughs of manifests and tags (spec §Push, §Pushing Manifests, §Pulling manifests,
 * §Listing Tags, §Deleting tags): an image pushed blobs first and manifest last, by tag; an index
 * whose children are pushed by digest; a tag moved from one manifest to another and deleted; the
 * tag list read page by page with `n`, `last` and the Link header.
 */
import { OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import { EMPTY_JSON, image, imageConfig, imageIndex, imageManifest, layer } from './content.ts';
import { pushBlob, putManifest, call } from './steps.ts';
import type { WalkthroughDefinition } from './types.ts';

const ACCEPT = { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` };

export const imageWalkthrough: WalkthroughDefinition = {
  id: 'image',
  title: 'Push an image',
  summary: 'Blobs first, manifest last, by tag; pull it by tag and by digest.',
  build(context) {
    const repo = context.repo('image');
    const { layer: l, config, manifest } = image('Hello from an image pushed step by step.\n');
    return {
      intro: `An image is a manifest naming a config and layers. Its layer is a real gzip'd tar (${l.size} bytes; binary, so the page shows its size and first bytes), pushed to ${repo}.`,
      repositories: [repo],
      steps: [
        putManifest(repo, 'v1', manifest, 'Push the manifest before its blobs', {
          expect: [400, 201],
          sentences: ['push.blob-unknown'],
          notice: 'The manifest names a config and a layer the repository does not hold. A registry MAY refuse it, and must then say MANIFEST_BLOB_UNKNOWN — this one does. That is why clients push blobs first.',
        }),
        pushBlob(repo, l, 'Push the layer (binary)'),
        pushBlob(repo, config, 'Push the config'),
        putManifest(repo, 'v1', manifest, 'Push the manifest under the tag v1', {
          sentences: ['manifests.push.content-type', 'manifests.push.created', 'manifests.push.digest'],
          capture: { manifest: 'location' },
          notice: `Content-Type is the manifest's mediaType. 201 Created: Docker-Content-Digest is ${manifest.digest.slice(0, 19)}…, the sha256 of exactly these bytes, and the Location names the manifest by that digest.`,
        }),
        call('GET', `/v2/${repo}/manifests/v1`, 'Pull it by tag', {
          expect: [200],
          sentences: ['manifests.pull.ok', 'manifests.pull.content-type', 'manifests.push.exact'],
          notice: 'The bytes come back exactly as pushed (same whitespace, same order), with the Content-Type they were pushed with. The Accept header lists what this client understands.',
        }, ACCEPT),
        call('HEAD', '{{manifest}}', 'Check it by digest', { expect: [200], sentences: ['manifests.pull.reference', 'exists.head'], notice: 'A reference is a tag or a digest, nothing else. By digest, the content can never change.' }, ACCEPT),
        call('GET', `/v2/${repo}/manifests/v2`, 'Pull a tag that does not exist', { expect: [404], sentences: ['manifests.pull.unknown'], notice: '404 with MANIFEST_UNKNOWN in the error body.' }, ACCEPT),
      ],
    };
  },
};

export const indexWalkthrough: WalkthroughDefinition = {
  id: 'index',
  title: 'Push an index',
  summary: 'Two platform manifests pushed by digest, then the index that lists them, by tag.',
  build(context) {
    const repo = context.repo('index');
    const shared = layer({ 'hello.txt': 'Hello from both platforms.\n' });
    const amd64Config = imageConfig([shared], 'amd64');
    const arm64Config = imageConfig([shared], 'arm64');
    const amd64 = imageManifest(amd64Config, [shared]);
    const arm64 = imageManifest(arm64Config, [shared]);
    const index = imageIndex([{ manifest: amd64, architecture: 'amd64' }, { manifest: arm64, architecture: 'arm64' }]);
    return {
      intro: `One image for two platforms in ${repo}: the index lists a manifest per platform. The children go first, by digest, as skopeo copy --all pushes them.`,
      repositories: [repo],
      steps: [
        putManifest(repo, 'multi', index, 'Push the index before its children', {
          expect: [400, 201],
          sentences: ['push.blob-unknown'],
          notice: 'Children are manifests the repository must hold, like the blobs of an image: MANIFEST_BLOB_UNKNOWN.',
        }),
        pushBlob(repo, shared, 'Push the layer both platforms share'),
        pushBlob(repo, amd64Config, 'Push the amd64 config'),
        pushBlob(repo, arm64Config, 'Push the arm64 config'),
        putManifest(repo, amd64.digest, amd64, 'Push the amd64 manifest by digest', {
          sentences: ['manifests.push.reference', 'manifests.push.digest'],
          notice: 'No tag: the reference in the path is the manifest\'s own digest. The registry hashes the body and refuses it if the digest differs (change one character to see 400 DIGEST_INVALID).',
        }),
        putManifest(repo, arm64.digest, arm64, 'Push the arm64 manifest by digest', { sentences: ['manifests.push.reference'], notice: 'The second child.' }),
        putManifest(repo, 'multi', index, 'Push the index under the tag multi', { sentences: ['manifests.push.content-type', 'manifests.push.created'], notice: `Content-Type: ${OCI_INDEX}.` }),
        call('GET', `/v2/${repo}/manifests/multi`, 'Pull the index by tag', { expect: [200], sentences: ['manifests.pull.ok', 'manifests.pull.content-type'], notice: 'A client picks its platform from this list and pulls that child by digest.' }, ACCEPT),
        call('GET', `/v2/${repo}/manifests/${arm64.digest}`, 'Pull the arm64 child by digest', { expect: [200], sentences: ['manifests.pull.reference'], notice: 'Children stay pullable by digest; garbage collection keeps them as long as the index is tagged.' }, ACCEPT),
      ],
    };
  },
};

/** Manifests with no layers ("the list of blobs MAY be empty"), told apart by an annotation. */
function note(text: string) {
  return imageManifest(EMPTY_JSON, [], { artifactType: 'application/vnd.touchstone.note.v1', annotations: { 'org.example.note': text } });
}

export const tagsMove: WalkthroughDefinition = {
  id: 'tags-move',
  title: 'Move and delete tags',
  summary: 'A tag is a pointer: push another manifest under it, then delete it; the manifests stay.',
  build(context) {
    const repo = context.repo('tags');
    const first = note('first');
    const second = note('second');
    return {
      intro: `Two small manifests (no layers, an empty config) in ${repo}, one tag that moves between them.`,
      repositories: [repo],
      steps: [
        pushBlob(repo, EMPTY_JSON, 'Push the empty config {}'),
        putManifest(repo, 'latest', first, 'Tag the first manifest latest'),
        putManifest(repo, 'latest', second, 'Push the second manifest under latest', { notice: 'The tag moves: latest now names the second manifest.' }),
        call('GET', `/v2/${repo}/manifests/latest`, 'Pull latest', { expect: [200], sentences: ['manifests.pull.ok'], notice: `Docker-Content-Digest is ${second.digest.slice(0, 19)}…, the second manifest.` }, ACCEPT),
        call('GET', `/v2/${repo}/manifests/${first.digest}`, 'Pull the first manifest by digest', { expect: [200], sentences: ['manifests.pull.reference'], notice: 'Moving a tag did not delete the first manifest: it is untagged now, still pullable by digest (until garbage collection, by policy).' }, ACCEPT),
        call('GET', `/v2/${repo}/tags/list`, 'List the tags', { expect: [200], sentences: ['tags.list'], notice: 'One tag.' }),
        call('DELETE', `/v2/${repo}/manifests/latest`, 'Delete the tag latest', { expect: [202], sentences: ['delete.tag'], notice: 'DELETE with a tag removes the tag only.' }),
        call('GET', `/v2/${repo}/manifests/latest`, 'Pull latest again', { expect: [404], sentences: ['delete.tag.gone'], notice: 'Gone.' }, ACCEPT),
        call('GET', `/v2/${repo}/manifests/${second.digest}`, 'Pull the second manifest by digest', { expect: [200], sentences: ['manifests.pull.reference'], notice: 'Still there: deleting a tag never deletes the manifest (the fault delete-tag-deletes-manifest does).' }, ACCEPT),
        call('GET', `/v2/${repo}/tags/list`, 'List the tags again', { expect: [200], sentences: ['tags.list'], notice: 'The repository exists, so 200 with an empty list, not 404.' }),
      ],
    };
  },
};

export const tagPages: WalkthroughDefinition = {
  id: 'tag-pages',
  title: 'List tags page by page',
  summary: 'n caps a page, last starts after a tag, the Link header points at the next page.',
  build(context) {
    const repo = context.repo('tag-pages');
    const manifest = note('one manifest, five tags');
    const tags = ['v2', 'v1.0', 'latest', 'v1.1', 'v1'];
    return {
      intro: `One manifest under five tags in ${repo}, pushed out of order; the list comes back sorted.`,
      repositories: [repo],
      steps: [
        pushBlob(repo, EMPTY_JSON, 'Push the empty config {}'),
        ...tags.map((tag) => putManifest(repo, tag, manifest, `Push the manifest under ${tag}`)),
        call('GET', `/v2/${repo}/tags/list`, 'List every tag', { expect: [200], sentences: ['tags.list', 'tags.order'], notice: 'Sorted: latest, v1, v1.0, v1.1, v2.' }),
        call('GET', `/v2/${repo}/tags/list?n=2`, 'Ask for two', {
          expect: [200],
          sentences: ['tags.n', 'tags.link'],
          capture: { next: 'link' },
          notice: 'Two tags and a Link header with rel="next": more remain, and here is where.',
        }),
        call('GET', '{{next}}', 'Follow the Link', { expect: [200], sentences: ['tags.last', 'tags.prefer-link'], capture: { next: 'link' }, notice: 'The Link carried n and last: the two tags after the last one seen, and another Link.' }),
        call('GET', '{{next}}', 'Follow it again', { expect: [200], sentences: ['tags.n'], notice: 'One tag left, fewer than n, and no Link: the end.' }),
        call('GET', `/v2/${repo}/tags/list?n=2&last=v1`, 'Start after v1 yourself', { expect: [200], sentences: ['tags.last'], notice: 'last is exclusive: v1.0 and v1.1, not v1.' }),
        call('GET', `/v2/${repo}/tags/list?n=0`, 'Ask for none', { expect: [200], sentences: ['tags.n-zero'], notice: 'n=0: an empty list and no Link.' }),
      ],
    };
  },
};
