/**
 * Invalid input gets the right 4xx, never a 5xx (spec "Pulling manifests" grammars of <name> and
 * <reference>, the digest grammar of image-spec descriptor.md (apdx-3), the endpoint table's
 * failure statuses, and "Error Codes"). Each check sends a battery of requests: repository names
 * breaking the <name> grammar on tags/list, manifest GET/PUT, blob GET and upload POST (400 or
 * 404; NAME_INVALID on writes); tags breaking the tag grammar on manifest PUT (refused with 400
 * or 404, end-7's failures; a 400 carries MANIFEST_INVALID, the closed code set having no tag
 * code); malformed digests on blob and manifest paths (400 or 404: CNCF Distribution 2.8.2
 * answers 500 in manifest paths, docs/deviations.md#cncf-distribution-282; the 400 for referrers is
 * referrers.list.invalid-digest's); a malformed `?digest=` closing an
 * upload (400 DIGEST_INVALID); manifest bodies that are not manifests (400 MANIFEST_INVALID).
 * Every JSON 4xx body these and a few everyday errors produce must be the error envelope with
 * codes from the spec's closed set.
 */
import { randomUUID } from 'node:crypto';
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectCodeIfJson, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { content, descriptor, imageConfig, imageManifest, randomBlob, unknownDigest, type Content } from '../content.ts';
import { OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { CheckContext } from './context.ts';
import { envelopeProblem } from './error-envelope.ts';
import { defineChecks } from './types.ts';

/** One request of a battery and the statuses a conforming registry may answer it with. */
interface Probe {
  readonly what: string;
  readonly method: string;
  /** A path, or an absolute URL (upload sessions). */
  readonly path: string;
  readonly body?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly allowed: readonly number[];
  /** The upload session the probe closes, released (best effort) once answered. */
  readonly session?: string;
}

/** An image pushed under the tag `valid`: the repository exists, so a 404 is never "no such repository". */
interface Fixture {
  readonly repo: string;
  readonly config: Content;
  readonly layer: Content;
  readonly manifest: Content;
}

const OCTET = { 'Content-Type': 'application/octet-stream' };
/** An invalid name never exists, so 404 ("An attempt to pull a nonexistent repository MUST return 404") or 400 (NAME_INVALID). */
const NAME_REFUSED = [400, 404];
/** An invalid digest names nothing in the repository (404 MUST) or is refused as such (400 DIGEST_INVALID). */
const DIGEST_REFUSED = [400, 404];
/** A delete may also be disabled: end-9, end-10 failures 400/404/405. */
const DELETE_REFUSED = [400, 404, 405];
/** The spec fixes no status for an invalid tag: 400 (MANIFEST_INVALID), or 404 from a router that matches only valid tags. */
const TAG_REFUSED = [400, 404];

async function fixture(ctx: CheckContext): Promise<Fixture> {
  const repo = ctx.repo('validation');
  const config = imageConfig(`validation ${repo}`);
  const layer = randomBlob(256);
  const manifest = imageManifest(config, [layer]);
  await ctx.pushImage(repo, 'valid', config, [layer], manifest);
  return { repo, config, layer, manifest };
}

async function send(ctx: CheckContext, probe: Probe): Promise<Reply> {
  const reply = await ctx.request(probe.method, probe.path, { headers: probe.headers, body: probe.body });
  if (probe.session !== undefined) await ctx.request('DELETE', probe.session).catch(() => undefined);
  return reply;
}

/**
 * Sends every probe; the first answer outside its allowed statuses fails the check, and so does,
 * when `codes` are given, a JSON error body with another code.
 */
async function expectAllowed(ctx: CheckContext, probes: readonly Probe[], codes?: readonly string[]): Promise<string> {
  for (const probe of probes) {
    const reply = await send(ctx, probe);
    expectStatus(reply, probe.allowed, probe.what);
    if (codes !== undefined) expectCodeIfJson(reply, codes, probe.what);
  }
  return `${probes.length} requests answered as allowed`;
}

/** Repository names that break the <name> grammar, under the run's namespace so no one owns them. */
function invalidNames(ctx: CheckContext): { readonly name: string; readonly why: string }[] {
  const base = ctx.repo('name');
  return [
    { name: `${base}-UPPER`, why: 'capitals' },
    { name: `${base}/-lead`, why: 'a component starting with a separator' },
    { name: `${base}/a..b`, why: '".." inside a component' },
    { name: `${base}//empty`, why: 'an empty component' },
    // `..%2F` is no dot segment, so URL parsers keep it; a registry decoding it sees "../".
    { name: `${base}/..%2F..%2Fescape`, why: 'a percent-encoded "../"' },
  ];
}

/** The name endpoints: reads (tags/list, manifest GET, blob GET) and writes (manifest PUT, upload POST). */
function nameEndpoints(name: string): { readonly write: boolean; readonly probe: Omit<Probe, 'allowed' | 'what'>; readonly endpoint: string }[] {
  const manifest = imageManifest(imageConfig(`invalid name ${name}`), []);
  return [
    { write: false, endpoint: 'tags/list', probe: { method: 'GET', path: `/v2/${name}/tags/list` } },
    { write: false, endpoint: 'manifest GET', probe: { method: 'GET', path: `/v2/${name}/manifests/latest`, headers: ACCEPT_MANIFESTS } },
    { write: true, endpoint: 'manifest PUT', probe: { method: 'PUT', path: `/v2/${name}/manifests/latest`, body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } } },
    { write: false, endpoint: 'blob GET', probe: { method: 'GET', path: `/v2/${name}/blobs/${unknownDigest()}` } },
    { write: true, endpoint: 'upload POST', probe: { method: 'POST', path: `/v2/${name}/blobs/uploads/`, headers: { 'Content-Length': '0' } } },
  ];
}

/** Every name endpoint with every invalid name: 400 or 404. */
function invalidNameProbes(ctx: CheckContext, writesOnly = false): Probe[] {
  return invalidNames(ctx).flatMap(({ name, why }) =>
    nameEndpoints(name)
      .filter((e) => !writesOnly || e.write)
      .map((e) => ({ ...e.probe, what: `${e.endpoint} with a name containing ${why} (${name})`, allowed: NAME_REFUSED })),
  );
}

/**
 * Names the grammar admits but long: one of 257 characters, past the 255 many clients handle
 * (spec "Implementers note"), and one of 200 made of one-letter components, within that limit but
 * many times longer once each "/" is escaped (a registry that stores a repository under its
 * flattened name meets its file system's limit there). Reads 400, 404 or 414; a write may also
 * be accepted. Never 5xx.
 */
function longNameProbes(ctx: CheckContext): Probe[] {
  const base = ctx.repo('long');
  const single = `${base}/${'a'.repeat(Math.max(1, 256 - base.length))}`;
  const many = `${base}/${'a/'.repeat(Math.max(1, (199 - base.length) >> 1))}a`;
  return [
    { name: single, why: `a name of ${single.length} characters` },
    { name: many, why: `a name of ${many.length} characters in ${many.split('/').length} components` },
  ].flatMap(({ name, why }) =>
    nameEndpoints(name).map((e) => ({
      ...e.probe,
      what: `${e.endpoint} with ${why}`,
      allowed: e.write ? [201, 202, 400, 404, 414] : [400, 404, 414],
    })),
  );
}

/** Tags breaking `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, none with ":" (which would make a digest). */
const INVALID_TAGS: readonly { readonly tag: string; readonly why: string }[] = [
  { tag: 't'.repeat(129), why: '129 characters' },
  { tag: '.hidden', why: 'a leading "."' },
  { tag: '-dash', why: 'a leading "-"' },
  { tag: 'a+b', why: 'a "+"' },
];

/** PUT of a valid manifest (its blobs present) under each invalid tag: only the tag is wrong. */
function invalidTagProbes(f: Fixture, allowed: readonly number[]): Probe[] {
  return INVALID_TAGS.map(({ tag, why }) => ({
    what: `manifest PUT under a tag with ${why} (${tag.length > 20 ? `${tag.slice(0, 20)}…` : tag})`,
    method: 'PUT',
    path: `/v2/${f.repo}/manifests/${tag}`,
    body: f.manifest.bytes,
    headers: { 'Content-Type': f.manifest.mediaType },
    allowed,
  }));
}

/** Malformed forms of a real sha256 digest: a registry that normalizes them would find the content. */
function malformedDigests(real: string): { readonly digest: string; readonly why: string }[] {
  const hex = real.slice('sha256:'.length);
  return [
    { digest: 'sha256:XYZ', why: 'an encoded part that is not hex' },
    { digest: `sha256:${hex.toUpperCase()}`, why: 'capital hex (sha256 is [a-f0-9]{64})' },
    { digest: `sha256:${hex.slice(1)}`, why: '63 hex digits' },
  ];
}

/** A well-formed digest of an algorithm no registry uses (image-spec registers sha256 and sha512). */
const UNKNOWN_ALGORITHM = { digest: 'md5:d41d8cd98f00b204e9800998ecf8427e', why: 'an unknown algorithm (md5)' };
const NO_ENCODED_PART = { digest: 'sha256', why: 'no ":<encoded>" part' };

function blobDigestProbes(f: Fixture): Probe[] {
  const digests = [...malformedDigests(f.layer.digest), UNKNOWN_ALGORITHM, NO_ENCODED_PART];
  return digests.flatMap(({ digest, why }) =>
    (['GET', 'HEAD', 'DELETE'] as const).map((method) => ({
      what: `blob ${method} of a digest with ${why} (${digest.slice(0, 24)})`,
      method,
      path: `/v2/${f.repo}/blobs/${digest}`,
      allowed: method === 'DELETE' ? DELETE_REFUSED : DIGEST_REFUSED,
    })),
  );
}

/** Digest-looking references (they contain ":", so they are no tags) on the manifest endpoint. */
function manifestDigestProbes(f: Fixture): Probe[] {
  const digests = [...malformedDigests(f.manifest.digest), UNKNOWN_ALGORITHM];
  return digests.flatMap(({ digest, why }) =>
    (['GET', 'HEAD', 'DELETE'] as const).map((method) => ({
      what: `manifest ${method} of a digest with ${why} (${digest.slice(0, 24)})`,
      method,
      path: `/v2/${f.repo}/manifests/${digest}`,
      headers: ACCEPT_MANIFESTS,
      allowed: method === 'DELETE' ? DELETE_REFUSED : DIGEST_REFUSED,
    })),
  );
}

/**
 * Referrers of syntactically invalid digests, for the error bodies only: their 400 is
 * referrers.list.invalid-digest's (md5 is well-formed, so it is left out).
 */
function referrersDigestProbes(f: Fixture): Probe[] {
  return [...malformedDigests(f.manifest.digest), NO_ENCODED_PART].map(({ digest, why }) => ({
    what: `referrers of a digest with ${why} (${digest.slice(0, 24)})`,
    method: 'GET',
    path: `/v2/${f.repo}/referrers/${digest}`,
    allowed: [400],
  }));
}

/** A fresh session closed by PUT with the blob and each malformed ?digest=, one session each. */
async function malformedUploadDigestProbes(ctx: CheckContext, f: Fixture): Promise<Probe[]> {
  const blob = randomBlob(128);
  const probes: Probe[] = [];
  for (const { digest, why } of [...malformedDigests(blob.digest), NO_ENCODED_PART]) {
    const session = await ctx.openSession(f.repo);
    probes.push({
      what: `upload PUT ?digest= with ${why} (${digest.slice(0, 24)})`,
      method: 'PUT',
      path: ctx.withDigest(session, digest),
      body: blob.bytes,
      headers: { ...OCTET, 'Content-Length': String(blob.size) },
      allowed: [400],
      session,
    });
  }
  return probes;
}

/** Bodies with an image manifest Content-Type that are no image manifest; config and layer exist. */
function invalidManifestBodies(f: Fixture): { readonly body: Content; readonly why: string }[] {
  const config = descriptor(f.config);
  const layers = [descriptor(f.layer)];
  return [
    { body: content('this is not JSON {', OCI_MANIFEST), why: 'not JSON' },
    { body: content('[]', OCI_MANIFEST), why: 'a JSON array' },
    { body: content(JSON.stringify({ mediaType: OCI_MANIFEST, config, layers }), OCI_MANIFEST), why: 'no schemaVersion' },
    { body: content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST }), OCI_MANIFEST), why: 'no config and no layers' },
    { body: content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config }), OCI_MANIFEST), why: 'no layers' },
    { body: content('null', OCI_MANIFEST), why: 'JSON null' },
    { body: content(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX }), OCI_INDEX), why: 'an index without manifests' },
    { body: content(image({}), OCI_INDEX), why: 'an image manifest pushed with the Content-Type of an index (its mediaType says otherwise)' },
    { body: content(image({ layers: [{ ...layers[0], mediaType: '' }] }), OCI_MANIFEST), why: 'a layer whose mediaType is empty' },
    { body: content(image({ layers: [{ ...layers[0], mediaType: 42 }] }), OCI_MANIFEST), why: 'a layer whose mediaType is a number' },
    { body: content(image({ layers: [{ ...layers[0], urls: [42] }] }), OCI_MANIFEST), why: 'a layer whose urls hold a number' },
    { body: content(image({ layers: [{ ...layers[0], urls: ['https://example.com/layer', 42] }] }), OCI_MANIFEST), why: 'a layer whose urls hold a string and a number' },
    { body: content(image({ artifactType: 42 }), OCI_MANIFEST), why: 'an artifactType that is a number' },
    { body: content(image({ annotations: { n: 42 } }), OCI_MANIFEST), why: 'an annotation whose value is a number' },
    { body: content(image({ annotations: { s: 'text', n: 42 } }), OCI_MANIFEST), why: 'annotations of which one value is a number' },
    // RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8. The text is ASCII but for ÿ,
    // which latin1 writes as the single byte 0xff, a byte that never occurs in UTF-8.
    { body: content(Buffer.from(image({ annotations: { n: 'ÿ' } }), 'latin1'), OCI_MANIFEST), why: 'a byte that is not UTF-8' },
  ];
  /** A valid image manifest of config and layers, with `extra` fields over it, as JSON text. */
  function image(extra: Record<string, unknown>): string {
    return JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers, ...extra });
  }
}

function invalidManifestProbes(f: Fixture): Probe[] {
  return invalidManifestBodies(f).map(({ body, why }, i) => ({
    what: `manifest PUT of a body with ${why}`,
    method: 'PUT',
    path: `/v2/${f.repo}/manifests/invalid-${i}`,
    body: body.bytes,
    headers: { 'Content-Type': body.mediaType },
    allowed: [400],
  }));
}

/** Everyday errors: unknown blob, manifest, session and repository; a digest mismatch; missing blobs. */
async function everydayErrorProbes(ctx: CheckContext, f: Fixture): Promise<Probe[]> {
  const stray = randomBlob(64);
  const session = await ctx.openSession(f.repo);
  const orphan = imageManifest(imageConfig(`orphan ${f.repo}`), [randomBlob(32)]);
  return [
    { what: 'GET of an unknown blob', method: 'GET', path: `/v2/${f.repo}/blobs/${unknownDigest()}`, allowed: [404] },
    { what: 'GET of an unknown manifest by digest', method: 'GET', path: `/v2/${f.repo}/manifests/${unknownDigest()}`, headers: ACCEPT_MANIFESTS, allowed: [404] },
    { what: 'GET of an unknown tag', method: 'GET', path: `/v2/${f.repo}/manifests/no-such-tag`, headers: ACCEPT_MANIFESTS, allowed: [404] },
    { what: 'GET of an upload session never opened', method: 'GET', path: `/v2/${f.repo}/blobs/uploads/${randomUUID()}`, allowed: [404] },
    { what: 'tags/list of a repository that does not exist', method: 'GET', path: `/v2/${ctx.repo('never-pushed')}/tags/list`, allowed: [404] },
    {
      what: 'upload PUT whose ?digest= names other content',
      method: 'PUT',
      path: ctx.withDigest(session, unknownDigest()),
      body: stray.bytes,
      headers: { ...OCTET, 'Content-Length': String(stray.size) },
      allowed: [400],
      session,
    },
    { what: 'manifest PUT referencing blobs never pushed', method: 'PUT', path: `/v2/${f.repo}/manifests/orphan`, body: orphan.bytes, headers: { 'Content-Type': orphan.mediaType }, allowed: [201, 400] },
  ];
}

/**
 * A 4xx body "MAY be in any format"; when it is JSON (an object or array) it "MUST have the
 * following format": `{"errors":[{"code", "message", "detail"}, …]}`, each code one of the closed
 * set. Returns whether the reply had such a body.
 */
function expectEnvelopeIfJson(reply: Reply, what: string): boolean {
  if (reply.status < 400 || reply.status >= 500) return false;
  const body = reply.json<unknown>();
  if (typeof body !== 'object' || body === null) return false;
  const problem = envelopeProblem(body, reply.body.toString('utf8'));
  if (problem !== undefined) throw new CheckFailure(`${what} → ${reply.status}: ${problem}`, reply.exchange);
  return true;
}

export default defineChecks([
  {
    id: 'validation.name.invalid',
    title: 'Repository names breaking the <name> grammar get 400 or 404 on every endpoint, never 5xx',
    spec: '§Pulling manifests ("<name> MUST match the following regular expression"; "An attempt to pull a nonexistent repository MUST return 404"), §Endpoints (failures of end-2/3/4a/7/8a), §Error Codes (code-8 NAME_INVALID)',
    level: 'MUST',
    async run(ctx) {
      return expectAllowed(ctx, [...invalidNameProbes(ctx), ...longNameProbes(ctx)]);
    },
  },
  {
    id: 'validation.name.invalid-code',
    title: 'A manifest PUT or upload POST to an invalid repository name answers the error code NAME_INVALID',
    spec: '§Error Codes (code-8 NAME_INVALID "invalid repository name")',
    level: 'SHOULD',
    async run(ctx) {
      for (const probe of invalidNameProbes(ctx, true)) expectCodeIfJson(await send(ctx, probe), ['NAME_INVALID'], probe.what);
    },
  },
  {
    id: 'validation.tag.invalid',
    title: 'A manifest PUT under a tag breaking the tag grammar is refused (400 or 404), never accepted nor 5xx',
    spec: '§Pulling manifests ("<reference> as a tag MUST be at most 128 characters in length and MUST match … [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")',
    level: 'MUST',
    async run(ctx) {
      return expectAllowed(ctx, invalidTagProbes(await fixture(ctx), TAG_REFUSED));
    },
  },
  {
    id: 'validation.tag.invalid-code',
    title: 'A manifest PUT under an invalid tag refused with 400 answers the code MANIFEST_INVALID (the closed code set has no tag code)',
    spec: '§Error Codes (code-6 MANIFEST_INVALID; "The code field MUST be one of the following": the legacy TAG_INVALID is not); §Endpoints (end-7 failures 404/413: a router that matches only valid tags answers 404, which is allowed)',
    level: 'SHOULD',
    async run(ctx) {
      for (const probe of invalidTagProbes(await fixture(ctx), TAG_REFUSED)) {
        const reply = await send(ctx, probe);
        expectStatus(reply, probe.allowed, probe.what);
        if (reply.status === 400) expectCodeIfJson(reply, ['MANIFEST_INVALID'], probe.what);
      }
    },
  },
  {
    id: 'validation.digest.blob-paths',
    title: 'Malformed digests in blob paths (GET, HEAD, DELETE) get 400 or 404, never 5xx',
    spec: '§Pulling blobs (end-2: "If the blob is not found in the repository, the response code MUST be 404"), §Deleting Blobs (end-10), image-spec §Digests (apdx-3)',
    level: 'MUST',
    async run(ctx) {
      return expectAllowed(ctx, blobDigestProbes(await fixture(ctx)));
    },
  },
  {
    id: 'validation.digest.manifest-paths',
    title: 'Malformed digests as manifest references (GET, HEAD, DELETE) get 400 or 404, never 5xx',
    spec: '§Pulling manifests (end-3: "If the manifest is not found in the repository, the response code MUST be 404"; "The <reference> MUST NOT be in any other format"), §Deleting Manifests (end-9)',
    level: 'MUST',
    async run(ctx) {
      return expectAllowed(ctx, manifestDigestProbes(await fixture(ctx)));
    },
  },
  {
    id: 'validation.upload.digest-malformed',
    title: 'Closing an upload with a malformed ?digest= answers 400 DIGEST_INVALID',
    spec: '§Pushing a blob monolithically (end-6: failure 400), §Error Codes (code-4 DIGEST_INVALID), image-spec §Digests (apdx-3)',
    level: 'MUST',
    async run(ctx) {
      await expectAllowed(ctx, await malformedUploadDigestProbes(ctx, await fixture(ctx)), ['DIGEST_INVALID']);
    },
  },
  {
    id: 'validation.manifest.invalid-body',
    title: 'A manifest body that is not JSON, or JSON that is no manifest, answers 400 MANIFEST_INVALID',
    spec: '§Pushing Manifests (end-7), §Error Codes (code-6 MANIFEST_INVALID); apdx-1: "If there is a problem with pushing the manifest, a relevant 4xx response will be returned"',
    level: 'SHOULD',
    async run(ctx) {
      await expectAllowed(ctx, invalidManifestProbes(await fixture(ctx)), ['MANIFEST_INVALID']);
    },
  },
  {
    id: 'validation.errors.envelope',
    title: 'Every JSON 4xx body is the envelope {"errors":[{"code","message","detail"}]} with codes from the spec\'s closed set',
    spec: '§Error Codes ("If the response body is in JSON format, it MUST have the following format"; "The code field MUST be one of the following")',
    level: 'MUST',
    async run(ctx) {
      const f = await fixture(ctx);
      const probes = [
        ...invalidNameProbes(ctx),
        ...invalidTagProbes(f, TAG_REFUSED),
        ...blobDigestProbes(f),
        ...manifestDigestProbes(f),
        ...(ctx.config.capabilities.referrers ? referrersDigestProbes(f) : []),
        ...(await malformedUploadDigestProbes(ctx, f)),
        ...invalidManifestProbes(f),
        ...(await everydayErrorProbes(ctx, f)),
      ];
      let envelopes = 0;
      for (const probe of probes) {
        const reply = await send(ctx, probe);
        if (expectEnvelopeIfJson(reply, probe.what)) envelopes += 1;
      }
      return `${envelopes} JSON error bodies of ${probes.length} requests checked`;
    },
  },
]);
