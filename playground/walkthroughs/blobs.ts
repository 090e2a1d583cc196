/**
 * Walkthroughs of blob uploads (spec §Pushing blobs, §Pushing a blob monolithically, §Pushing a
 * blob in chunks, §Mounting a blob from another repository): POST then PUT and the single POST;
 * chunks with Content-Range, one sent out of order (416) and the upload status that says where
 * to resume (end-13); the last chunk carried by the closing PUT; the streamed PATCH that skopeo,
 * podman and containerd send; a mount with `from`, and one that falls back to an upload session.
 */
import { blob, bodyOf, sha256 } from './content.ts';
import { OCTET, pushBlob, call, step } from './steps.ts';
import type { WalkthroughDefinition } from './types.ts';

/** `text` cut into `count` chunks, each with its inclusive Content-Range. */
function chunks(text: string, count: number): { text: string; range: string }[] {
  const size = Math.ceil(text.length / count);
  return Array.from({ length: count }, (_, i) => {
    const start = i * size;
    const part = text.slice(start, start + size);
    return { text: part, range: `${start}-${start + part.length - 1}` };
  });
}

const open = (repo: string, notice: string, sentences = ['monolithic.post']) =>
  step('Open an upload session', { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: {} }, { expect: [202], sentences, capture: { upload: 'location' }, notice });

export const monolithic: WalkthroughDefinition = {
  id: 'monolithic',
  title: 'Push a blob monolithically',
  summary: 'POST for a session, PUT the whole blob with its digest; then the single POST.',
  build(context) {
    const repo = context.repo('monolithic');
    const first = blob('Hello, registry! This whole blob travels in one PUT.\n');
    const second = blob('And this one in a single POST, digest in the query.\n');
    return {
      intro: `A blob is any sequence of bytes, named by its digest. The simplest push sends it whole. Everything goes to the repository ${repo}.`,
      repositories: [repo],
      steps: [
        call('GET', '/v2/', 'Ask whether this is a registry', { expect: [200], sentences: ['support.v2'], notice: 'Before anything else a client GETs /v2/. 200 says: this registry implements the spec (401 would say: authenticate first).' }),
        open(repo, 'The answer is 202 Accepted with a Location header: the upload session. The rest of the upload goes to that URL, exactly as given; a client never builds it itself.'),
        step('PUT the whole blob with its digest', { method: 'PUT', path: `{{upload}}?digest=${first.digest}`, headers: OCTET, body: bodyOf(first) }, {
          expect: [201],
          sentences: ['monolithic.location', 'monolithic.put'],
          capture: { blob: 'location' },
          notice: `The digest (sha256 of the ${first.size} bytes) goes in the query; the registry hashes what arrives and refuses a mismatch with 400 DIGEST_INVALID — edit one byte of the body and send again to see it. 201 Created: the Location is where the blob can be pulled.`,
        }),
        call('HEAD', `/v2/${repo}/blobs/${first.digest}`, 'Check that the blob exists', { expect: [200], sentences: ['exists.head'], notice: 'HEAD answers like GET without the body: Content-Length is the blob\'s size, Docker-Content-Digest its digest.' }),
        call('GET', '{{blob}}', 'Pull it from the Location', { expect: [200], sentences: ['blobs.pull.ok', 'blobs.pull.digest-header'], notice: 'Exactly the bytes pushed. A client checks them against the digest it asked for, whatever the headers say.' }),
        pushBlob(repo, second, 'Push another blob in a single POST', {
          expect: [201, 202],
          sentences: ['single-post.created', 'single-post.fallback'],
          notice: 'One request: POST with ?digest= and the body. Registries MAY support it; one that does not answers 202 with a session, and the client goes on with a PUT.',
        }),
        call('HEAD', `/v2/${repo}/blobs/${sha256(Buffer.from('never pushed'))}`, 'Ask for a blob that was never pushed', { expect: [404], sentences: ['exists.unknown'], notice: 'Unknown content is 404 Not Found (a JSON body with BLOB_UNKNOWN on GET; HEAD has no body).' }),
      ],
    };
  },
};

export const chunked: WalkthroughDefinition = {
  id: 'chunked',
  title: 'Push a blob in chunks',
  summary: 'PATCH chunks with Content-Range; one sent out of order gets 416; GET tells where to resume.',
  build(context) {
    const repo = context.repo('chunked');
    const content = blob('Chunked uploads resume: every PATCH carries a byte range, in order!\n');
    const [one, two, three] = chunks(content.bytes.toString('latin1'), 3) as [{ text: string; range: string }, { text: string; range: string }, { text: string; range: string }];
    const patch = (title: string, chunk: { text: string; range: string }, say: Parameters<typeof step>[2]) =>
      step(title, { method: 'PATCH', path: '{{upload}}', headers: { ...OCTET, 'Content-Range': chunk.range }, body: { text: chunk.text } }, say);
    return {
      intro: `A ${content.size}-byte blob in three chunks of bytes ${one.range}, ${two.range} and ${three.range}, pushed to ${repo}. Chunk three goes first, out of order, on purpose.`,
      repositories: [repo],
      steps: [
        open(repo, 'A chunked upload starts like any other: POST, 202, a Location. The browser sent Content-Length: 0 itself (open the request in the live log).', ['chunked.post', 'monolithic.post']),
        patch(`Send chunk one (bytes ${one.range})`, one, {
          expect: [202],
          sentences: ['chunked.range', 'chunked.accepted'],
          capture: { upload: 'location' },
          notice: `Content-Range ${one.range}: both ends inclusive, starting at 0. The answer's Range: 0-${one.range.split('-')[1]} is the position of the last byte the registry holds.`,
        }),
        patch(`Send chunk three (bytes ${three.range}) too early`, three, {
          expect: [416],
          sentences: ['chunked.in-order', 'chunked.out-of-order'],
          notice: `Chunk two was skipped: ${three.range} does not start where the upload ends. 416 Requested Range Not Satisfiable, and the session keeps what it had; the error body says BLOB_UPLOAD_INVALID.`,
        }),
        call('GET', '{{upload}}', 'Ask where the upload stands', {
          expect: [204],
          sentences: ['chunked.status'],
          capture: { upload: 'location' },
          notice: `end-13: 204 No Content with Range: 0-${one.range.split('-')[1]} — resume at byte ${two.range.split('-')[0]}, at this Location.`,
        }),
        patch(`Send chunk two (bytes ${two.range})`, two, { expect: [202], sentences: ['chunked.in-order', 'chunked.accepted'], capture: { upload: 'location' }, notice: 'In order now: 202, and Range grows.' }),
        patch(`Send chunk three (bytes ${three.range}) again`, three, { expect: [202], sentences: ['chunked.accepted'], capture: { upload: 'location' }, notice: `Range: 0-${three.range.split('-')[1]}: every byte is there.` }),
        step('Close the session with the whole blob\'s digest', { method: 'PUT', path: `{{upload}}?digest=${content.digest}`, headers: {} }, {
          expect: [201],
          sentences: ['chunked.close-digest', 'chunked.closed'],
          capture: { blob: 'location' },
          notice: 'An empty PUT with the digest of the whole blob, not of the last chunk. 201 Created: the registry hashed all three chunks and they match.',
        }),
        call('GET', '{{blob}}', 'Pull the blob', { expect: [200], sentences: ['blobs.pull.ok'], notice: 'The three chunks, in order, as one blob.' }),
      ],
    };
  },
};

export const lastChunkInPut: WalkthroughDefinition = {
  id: 'last-chunk-in-put',
  title: 'The last chunk in the closing PUT',
  summary: 'PATCH the first chunk, send the last one in the PUT that closes the session.',
  build(context) {
    const repo = context.repo('last-chunk');
    const content = blob('Two chunks: this half goes by PATCH, | and this half rides in the closing PUT.\n');
    const [head, tail] = chunks(content.bytes.toString('latin1'), 2) as [{ text: string; range: string }, { text: string; range: string }];
    return {
      intro: `A ${content.size}-byte blob: bytes ${head.range} by PATCH, bytes ${tail.range} in the PUT, pushed to ${repo}.`,
      repositories: [repo],
      steps: [
        open(repo, 'The session, as always.', ['chunked.post']),
        step(`PATCH the first chunk (bytes ${head.range})`, { method: 'PATCH', path: '{{upload}}', headers: { ...OCTET, 'Content-Range': head.range }, body: { text: head.text } }, {
          expect: [202],
          sentences: ['chunked.accepted'],
          capture: { upload: 'location' },
          notice: 'Range tells what the registry holds.',
        }),
        step(`PUT the last chunk (bytes ${tail.range}) and close`, { method: 'PUT', path: `{{upload}}?digest=${content.digest}`, headers: { ...OCTET, 'Content-Range': tail.range }, body: { text: tail.text } }, {
          expect: [201],
          sentences: ['chunked.last-in-put', 'chunked.close-digest'],
          capture: { blob: 'location' },
          notice: 'The closing PUT carries a body and its Content-Range; the digest is still that of the whole blob. A registry that ignored this body would store a truncated blob under the wrong digest (the fault put-last-chunk-ignored).',
        }),
        call('GET', '{{blob}}', 'Pull the blob', { expect: [200], sentences: ['blobs.pull.ok'], notice: 'Both halves.' }),
      ],
    };
  },
};

export const streamed: WalkthroughDefinition = {
  id: 'streamed',
  title: 'Stream a blob, as skopeo does',
  summary: 'One PATCH with the whole blob and no Content-Range, then an empty PUT.',
  build(context) {
    const repo = context.repo('streamed');
    const content = blob('skopeo, podman and containerd stream each blob in a single PATCH.\n');
    return {
      intro: `What real clients send for ${repo}: no chunk ranges at all. Push an image with skopeo and compare in the live log.`,
      repositories: [repo],
      steps: [
        open(repo, 'The session.'),
        step('PATCH the whole blob, without Content-Range', { method: 'PATCH', path: '{{upload}}', headers: OCTET, body: bodyOf(content) }, {
          expect: [202],
          sentences: ['chunked.accepted'],
          capture: { upload: 'location' },
          notice: 'The spec\'s PATCH always carries a Content-Range. This streamed form has none: the body is appended to what the session holds. The spec does not define it, yet every major registry accepts it, since the clients everybody uses send it (the check blobs.upload.streamed holds a registry to it as a SHOULD).',
        }),
        step('Close with an empty PUT', { method: 'PUT', path: `{{upload}}?digest=${content.digest}`, headers: {} }, {
          expect: [201],
          sentences: ['chunked.close-digest', 'chunked.closed'],
          capture: { blob: 'location' },
          notice: 'The digest of everything streamed.',
        }),
        call('GET', '{{blob}}', 'Pull the blob', { expect: [200], sentences: ['blobs.pull.ok'], notice: 'Same bytes.' }),
      ],
    };
  },
};

export const mount: WalkthroughDefinition = {
  id: 'mount',
  title: 'Mount a blob from another repository',
  summary: 'POST ?mount=&from= makes a blob of one repository available in another without uploading it.',
  build(context) {
    const source = context.repo('mount-source');
    const target = context.repo('mount-target');
    const shared = blob('A base layer many images share: upload it once, mount it everywhere.\n');
    const elsewhere = sha256(Buffer.from(`not in ${source}`));
    return {
      intro: `The blob is pushed to ${source}, then mounted into ${target}.`,
      repositories: [source, target],
      steps: [
        pushBlob(source, shared, `Push the blob to ${source}`),
        call('HEAD', `/v2/${target}/blobs/${shared.digest}`, `Look for it in ${target}`, { expect: [404], sentences: ['exists.unknown'], notice: 'Each repository is its own scope: a blob in one is not in another until it is pushed or mounted there.' }),
        step(`Mount it into ${target}`, { method: 'POST', path: `/v2/${target}/blobs/uploads/?mount=${shared.digest}&from=${source}`, headers: {} }, {
          expect: [201, 202],
          sentences: ['mount.created', 'mount.fallback'],
          notice: '201 Created: no byte travelled. (A registry that cannot mount answers 202 with an upload session instead, and the client uploads.)',
        }),
        call('HEAD', `/v2/${target}/blobs/${shared.digest}`, `Look again in ${target}`, { expect: [200], sentences: ['exists.head'], notice: 'There now.' }),
        step('Mount a blob the source does not have', { method: 'POST', path: `/v2/${target}/blobs/uploads/?mount=${elsewhere}&from=${source}`, headers: {} }, {
          expect: [202],
          sentences: ['mount.fallback'],
          capture: { upload: 'location' },
          notice: 'Nothing to mount: 202 and a Location, an ordinary upload session the client may use to upload the blob.',
        }),
        step('Cancel that session', { method: 'DELETE', path: '{{upload}}', headers: {} }, {
          expect: [204],
          sentences: ['cancel.upload'],
          notice: 'end-14 (spec main): DELETE on the session releases it; 204 No Content.',
        }),
      ],
    };
  },
};
