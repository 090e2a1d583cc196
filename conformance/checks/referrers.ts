/**
 * Listing referrers (spec "Listing Referrers", end-12a and end-12b): GET /v2/<name>/referrers/<digest>
 * answers 200 with an image index (Content-Type application/vnd.oci.image.index.v1+json), an
 * empty one when nothing refers to the digest, never 404; an invalid digest is 400; each
 * descriptor carries mediaType, digest, size, the artifactType rule (artifactType, else the
 * config's mediaType, omitted for an index without one) and the manifest's annotations; the list
 * is exactly the manifests of that repository whose subject is the digest, also when they were
 * pushed before their subject, and a deleted referrer leaves it; `?artifactType=` filters when the
 * answer says `OCI-Filters-Applied: artifactType` (and only then), also on every page of a long
 * filtered list; a long list is paged with `Link: <…>; rel="next"` (RFC 5988), followed here to the
 * end, and a complete one has no Link. Every check needs the referrers capability: CNCF
 * Distribution 2.8.2, which has no referrers API (404 text/plain), fails them.
 */
import { randomUUID } from 'node:crypto';
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectCodeIfJson, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { artifactManifest, content, descriptor, EMPTY_CONFIG, imageConfig, imageIndex, imageManifest, randomBlob, unknownDigest, type Content } from '../content.ts';
import { OCI_INDEX } from '../../spec/media-types.ts';
import { bareType, headerValues, nextLink } from '../client/headers.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

const SBOM = 'application/vnd.touchstone.sbom.v1';
const SIGNATURE = 'application/vnd.touchstone.signature.v1';
const INDEX_ARTIFACT_TYPE = 'application/vnd.touchstone.bundle.v1';
const CUSTOM_CONFIG = 'application/vnd.touchstone.config.v1+json';

/** Pages followed before concluding that the Link chain never ends. */
const MAX_PAGES = 100;
/** Enough referrers that a registry with a small page size has to paginate. */
const MANY_REFERRERS = 30;

/** A descriptor as the registry listed it: nothing about its fields is trusted. */
export interface Listed {
  readonly mediaType?: unknown;
  readonly digest?: unknown;
  readonly size?: unknown;
  readonly artifactType?: unknown;
  readonly annotations?: unknown;
}

interface Listing {
  /** The answer to the first request (its headers: OCI-Filters-Applied). */
  readonly first: Reply;
  /** Every descriptor of every page, in order, duplicates kept. */
  readonly descriptors: readonly Listed[];
  readonly pages: number;
  /** The answer to every request, the first included, in order. */
  readonly replies: readonly Reply[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One page: 200 with a JSON image index whose `manifests` is an array of descriptors. */
export function expectIndex(reply: Reply, what: string): Listed[] {
  expectStatus(reply, [200], what);
  const body = reply.json<unknown>();
  ensure(isObject(body), `${what}: the body is not a JSON image index`, reply);
  ensure(body.schemaVersion === 2, `${what}: schemaVersion ${JSON.stringify(body.schemaVersion)}, expected 2`, reply);
  ensure(body.mediaType === undefined || body.mediaType === OCI_INDEX, `${what}: mediaType ${JSON.stringify(body.mediaType)}, expected ${OCI_INDEX}`, reply);
  const manifests = body.manifests;
  ensure(Array.isArray(manifests) && manifests.every(isObject), `${what}: manifests is not an array of descriptors`, reply);
  return manifests;
}

/**
 * GET the referrers of `subject`, following `rel="next"` links (RFC 5988; relative ones resolved
 * against the page that gave them) for at most MAX_PAGES pages; a link back to a page already
 * fetched fails.
 */
async function listReferrers(ctx: CheckContext, repo: string, subject: string, query = ''): Promise<Listing> {
  let url = `${ctx.client.baseUrl}/v2/${repo}/referrers/${subject}${query}`;
  const visited = new Set<string>();
  const descriptors: Listed[] = [];
  const replies: Reply[] = [];
  let first: Reply | undefined;
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    visited.add(url);
    const reply = await ctx.request('GET', url);
    first ??= reply;
    replies.push(reply);
    descriptors.push(...expectIndex(reply, page === 1 ? `GET /v2/${repo}/referrers/${subject}${query}` : `GET page ${page} of the referrers (${url})`));
    const next = nextLink(reply, `page ${page} of the referrers`);
    if (next === undefined) return { first, descriptors, pages: page, replies };
    url = next;
    ensure(!visited.has(url), `page ${page} of the referrers links back to a page already fetched (${url}): the list never ends`, reply);
  }
  throw new CheckFailure(`the referrers list of ${subject} did not end within ${MAX_PAGES} pages (Link rel="next" kept coming)`, first?.exchange);
}

/** The listing is exactly `expected`: each once, nothing else ("Each response … different descriptors"). */
function expectExactly(listing: Listing, expected: readonly Content[], what: string): void {
  const counts = new Map<unknown, number>();
  for (const d of listing.descriptors) counts.set(d.digest, (counts.get(d.digest) ?? 0) + 1);
  for (const [digest, count] of counts) {
    ensure(count === 1, `${what}: ${String(digest)} is listed ${count} times`, listing.first);
    ensure(expected.some((c) => c.digest === digest), `${what}: ${String(digest)} is listed but is not a referrer of the subject in this repository`, listing.first);
  }
  for (const c of expected) ensure(counts.has(c.digest), `${what}: the referrer ${c.digest} is missing (${listing.descriptors.length} listed in ${listing.pages} page(s))`, listing.first);
}

/** The listed descriptor of `manifest`, or a failure saying it is missing. */
function listedOf(listing: Listing, manifest: Content, what: string): Listed {
  const found = listing.descriptors.find((d) => d.digest === manifest.digest);
  if (found === undefined) throw new CheckFailure(`${what}: ${manifest.digest} is not listed`, listing.first.exchange);
  return found;
}

/** A fresh image (random config, one layer): a subject no registry already has. */
function freshSubject(): { image: Content; blobs: Content[] } {
  const config = imageConfig(randomUUID());
  const layer = randomBlob(128);
  return { image: imageManifest(config, [layer]), blobs: [config, layer] };
}

/**
 * A fresh repository holding a pushed subject and the empty config every artifact here uses
 * (a registry may require config and layers to exist: spec §Push).
 */
async function repoWithSubject(ctx: CheckContext): Promise<{ repo: string; subject: Content }> {
  const repo = ctx.repo();
  const { image, blobs } = freshSubject();
  for (const blob of [...blobs, EMPTY_CONFIG]) await ctx.pushBlob(repo, blob);
  await ctx.pushManifest(repo, 'subject', image);
  return { repo, subject: image };
}

/** An artifact referring to `subject`; a nonce annotation makes every one distinct. */
function referrerOf(subject: Content, artifactType = SIGNATURE, annotations: Record<string, string> = {}): Content {
  return artifactManifest(subject, artifactType, [EMPTY_CONFIG], { 'org.touchstone.nonce': randomUUID(), ...annotations });
}

async function pushReferrers(ctx: CheckContext, repo: string, referrers: readonly Content[]): Promise<void> {
  for (const referrer of referrers) await ctx.pushManifest(repo, referrer.digest, referrer);
}

/** The referrers of every kind the artifactType rule distinguishes, pushed to `repo`. */
async function pushVariedReferrers(ctx: CheckContext, repo: string, subject: Content) {
  const annotations = (kind: string): Record<string, string> => ({ 'org.opencontainers.image.created': '2024-01-02T03:04:05Z', 'org.touchstone.kind': kind, 'org.touchstone.nonce': randomUUID() });
  const config = content(JSON.stringify({ seed: randomUUID() }), CUSTOM_CONFIG);
  await ctx.pushBlob(repo, config);
  const referrers = {
    artifact: artifactManifest(subject, SBOM, [EMPTY_CONFIG], annotations('artifact')),
    imageWithoutType: imageManifest(config, [EMPTY_CONFIG], { subject: descriptor(subject), annotations: annotations('image') }),
    indexWithoutType: imageIndex([], { subject: descriptor(subject), annotations: annotations('index') }),
    indexWithType: imageIndex([], { artifactType: INDEX_ARTIFACT_TYPE, subject: descriptor(subject), annotations: annotations('typed-index') }),
  };
  await pushReferrers(ctx, repo, Object.values(referrers));
  return { config, referrers };
}

/** A subject with three SBOM and two signature referrers, listed with ?artifactType=<SBOM>. */
async function filteredListing(ctx: CheckContext) {
  const { repo, subject } = await repoWithSubject(ctx);
  const sboms = [referrerOf(subject, SBOM), referrerOf(subject, SBOM), referrerOf(subject, SBOM)];
  const signatures = [referrerOf(subject, SIGNATURE), referrerOf(subject, SIGNATURE)];
  await pushReferrers(ctx, repo, [...sboms, ...signatures]);
  const listing = await listReferrers(ctx, repo, subject.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
  const applied = headerValues(listing.first, 'oci-filters-applied').includes('artifactType');
  return { sboms, signatures, listing, applied };
}

export default defineChecks([
  {
    id: 'referrers.list.index',
    title: 'GET /v2/<name>/referrers/<digest> answers 200 with an image index',
    spec: '§Listing Referrers (end-12a: "this request MUST return a 200 OK"; "the response MUST be a JSON body with an image index")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      await pushReferrers(ctx, repo, [referrerOf(subject)]);
      const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      expectIndex(reply, `GET /v2/${repo}/referrers/${subject.digest}`);
    },
  },
  {
    id: 'referrers.list.content-type',
    title: 'The referrers list is served as application/vnd.oci.image.index.v1+json',
    spec: '§Listing Referrers (end-12a: "The Content-Type header MUST be set to application/vnd.oci.image.index.v1+json")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      await pushReferrers(ctx, repo, [referrerOf(subject)]);
      const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      expectStatus(reply, [200], `GET /v2/${repo}/referrers/${subject.digest}`);
      const type = reply.header('content-type');
      ensure(bareType(type) === OCI_INDEX, `GET referrers: Content-Type ${type === undefined ? 'none' : JSON.stringify(type)}, expected ${OCI_INDEX}`, reply);
    },
  },
  {
    id: 'referrers.list.empty',
    title: 'The referrers of a manifest nothing refers to are an empty list (200), never 404',
    spec: '§Listing Referrers (end-12a: "the registry MUST NOT return a 404"; "If a query results in no matching referrers, an empty manifest list MUST be returned")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const listing = await listReferrers(ctx, repo, subject.digest);
      ensure(listing.descriptors.length === 0, `GET referrers of a manifest nothing refers to listed ${listing.descriptors.length} descriptors`, listing.first);
    },
  },
  {
    id: 'referrers.list.empty-unknown-subject',
    title: 'The referrers of a digest never pushed are an empty list (200), never 404; in a repository never pushed, an empty list or 404 NAME_UNKNOWN, never a server error',
    spec: '§Listing Referrers (end-12a: "the registry MUST NOT return a 404 Not Found to a referrers API requests"); §Error Codes (code-9 NAME_UNKNOWN "repository name not known to registry")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo } = await repoWithSubject(ctx);
      const digest = unknownDigest();
      const listing = await listReferrers(ctx, repo, digest);
      ensure(listing.descriptors.length === 0, `GET referrers of a digest never pushed listed ${listing.descriptors.length} descriptors`, listing.first);
      const nowhere = ctx.repo('never-pushed');
      const reply = await ctx.request('GET', `/v2/${nowhere}/referrers/${digest}`);
      const what = `GET referrers in a repository never pushed (${nowhere})`;
      expectStatus(reply, [200, 404], what);
      if (reply.status === 404) return expectCodeIfJson(reply, ['NAME_UNKNOWN'], what);
      const manifests = reply.json<{ manifests?: unknown }>()?.manifests;
      ensure(Array.isArray(manifests) && manifests.length === 0, `${what}: 200 with ${JSON.stringify(manifests)?.slice(0, 100)} for manifests, expected an empty list`, reply);
    },
  },
  {
    id: 'referrers.list.invalid-digest',
    title: 'GET referrers of a digest with invalid syntax answers 400',
    spec: '§Listing Referrers (end-12a: "If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad Request MUST be returned")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo } = await repoWithSubject(ctx);
      for (const digest of ['not-a-digest', `sha256:${'0'.repeat(10)}`]) {
        expectStatus(await ctx.request('GET', `/v2/${repo}/referrers/${digest}`), [400], `GET /v2/${repo}/referrers/${digest}`);
      }
    },
  },
  {
    id: 'referrers.list.descriptors',
    title: 'Each referrer is listed with the mediaType, digest and size of its manifest',
    spec: '§Listing Referrers (end-12a: "an image index containing a list of descriptors"; "Each descriptor is of an image manifest or index … with a subject field that specifies the value of <digest>")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const { referrers } = await pushVariedReferrers(ctx, repo, subject);
      const listing = await listReferrers(ctx, repo, subject.digest);
      for (const manifest of Object.values(referrers)) {
        const listed = listedOf(listing, manifest, 'GET referrers');
        ensure(listed.mediaType === manifest.mediaType, `GET referrers: ${manifest.digest} listed with mediaType ${JSON.stringify(listed.mediaType)}, pushed as ${manifest.mediaType}`, listing.first);
        ensure(listed.size === manifest.size, `GET referrers: ${manifest.digest} listed with size ${JSON.stringify(listed.size)}, the manifest has ${manifest.size} bytes`, listing.first);
      }
    },
  },
  {
    id: 'referrers.list.artifact-type',
    title: 'Referrers carry artifactType: the manifest\'s, else its config mediaType; omitted for an index without one',
    spec: '§Listing Referrers (end-12a: "MUST include an artifactType field … If the artifactType is empty or missing in the image manifest, … the config descriptor mediaType … in an index, the artifactType MUST be omitted")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const { config, referrers } = await pushVariedReferrers(ctx, repo, subject);
      const listing = await listReferrers(ctx, repo, subject.digest);
      const expected: readonly [Content, string | undefined, string][] = [
        [referrers.artifact, SBOM, 'an artifact with artifactType'],
        [referrers.imageWithoutType, config.mediaType, 'an image manifest without artifactType'],
        [referrers.indexWithoutType, undefined, 'an index without artifactType'],
        [referrers.indexWithType, INDEX_ARTIFACT_TYPE, 'an index with artifactType'],
      ];
      for (const [manifest, artifactType, which] of expected) {
        const listed = listedOf(listing, manifest, 'GET referrers');
        ensure(listed.artifactType === artifactType, `GET referrers: ${which} is listed with artifactType ${listed.artifactType === undefined ? 'omitted' : JSON.stringify(listed.artifactType)}, expected ${artifactType === undefined ? 'omitted' : artifactType}`, listing.first);
      }
    },
  },
  {
    id: 'referrers.list.annotations',
    title: 'Referrers carry the annotations of their manifest or index',
    spec: '§Listing Referrers (end-12a: "The descriptors MUST include annotations from the image manifest or index")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const { referrers } = await pushVariedReferrers(ctx, repo, subject);
      const listing = await listReferrers(ctx, repo, subject.digest);
      for (const manifest of Object.values(referrers)) {
        const listed = listedOf(listing, manifest, 'GET referrers');
        const pushed = (JSON.parse(manifest.bytes.toString('utf8')) as { annotations: Record<string, string> }).annotations;
        const got = isObject(listed.annotations) ? listed.annotations : {};
        for (const [key, value] of Object.entries(pushed)) {
          ensure(got[key] === value, `GET referrers: ${manifest.digest} is listed with annotation ${key} ${got[key] === undefined ? 'missing' : JSON.stringify(got[key])}, the manifest has ${JSON.stringify(value)}`, listing.first);
        }
      }
    },
  },
  {
    id: 'referrers.list.exact',
    title: 'The list is exactly the manifests of that repository whose subject is the digest, each once',
    spec: '§Listing Referrers (end-12a: "Each descriptor is of an image manifest or index in the same <name> namespace with a subject field that specifies the value of <digest>")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const tagged = referrerOf(subject);
      const plain = referrerOf(subject, SBOM);
      await pushReferrers(ctx, repo, [tagged, plain]);
      // The same referrer under two tags as well: one manifest, so one descriptor.
      for (const tag of ['tagged-once', 'tagged-twice']) await ctx.pushManifest(repo, tag, tagged);
      // A referrer of another subject and a manifest without subject: neither is listed.
      const { image: otherSubject, blobs } = freshSubject();
      for (const blob of blobs) await ctx.pushBlob(repo, blob);
      await ctx.pushManifest(repo, 'other-subject', otherSubject);
      await pushReferrers(ctx, repo, [referrerOf(otherSubject)]);
      // The same subject in another repository, with a referrer there: not listed here.
      const elsewhere = ctx.repo('elsewhere');
      await ctx.pushBlob(elsewhere, EMPTY_CONFIG);
      await pushReferrers(ctx, elsewhere, [referrerOf(subject)]);
      expectExactly(await listReferrers(ctx, repo, subject.digest), [tagged, plain], `GET referrers in ${repo}`);
    },
  },
  {
    id: 'referrers.list.subject-pushed-later',
    title: 'Referrers pushed before their subject are listed before and after the subject is pushed',
    spec: '§Push ("allowing clients to push a manifest and referrers to that manifest in either order"), §Enabling the Referrers API ("MUST include all newly pushed image manifests with a valid subject field")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const repo = ctx.repo();
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      const { image: subject, blobs } = freshSubject();
      const referrers = [referrerOf(subject), referrerOf(subject, SBOM)];
      await pushReferrers(ctx, repo, referrers);
      expectExactly(await listReferrers(ctx, repo, subject.digest), referrers, 'GET referrers of a subject not pushed yet');
      for (const blob of blobs) await ctx.pushBlob(repo, blob);
      await ctx.pushManifest(repo, 'subject', subject);
      expectExactly(await listReferrers(ctx, repo, subject.digest), referrers, 'GET referrers once the subject is pushed');
    },
  },
  {
    id: 'referrers.filter.applied',
    title: 'With ?artifactType= and OCI-Filters-Applied: artifactType, exactly the matching referrers are listed; without the header, all are',
    spec: '§Listing Referrers (end-12b: "If filtering is requested and applied, the response MUST include a header OCI-Filters-Applied: artifactType")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { sboms, signatures, listing, applied } = await filteredListing(ctx);
      if (applied) {
        for (const d of listing.descriptors) {
          ensure(d.artifactType === SBOM, `GET referrers?artifactType=${SBOM} with OCI-Filters-Applied: artifactType lists ${String(d.digest)} of artifactType ${JSON.stringify(d.artifactType)}`, listing.first);
        }
        expectExactly(listing, sboms, `GET referrers?artifactType=${SBOM} (filter applied)`);
        return;
      }
      expectExactly(listing, [...sboms, ...signatures], `GET referrers?artifactType=${SBOM} without OCI-Filters-Applied (so not filtered)`);
      return 'the registry did not filter (no OCI-Filters-Applied); see referrers.filter.supported';
    },
  },
  {
    id: 'referrers.filter.supported',
    title: 'The registry filters referrers on ?artifactType= (and says so with OCI-Filters-Applied)',
    spec: '§Listing Referrers (end-12b: "The registry SHOULD support filtering on artifactType")',
    level: 'SHOULD',
    requires: ['referrers'],
    async run(ctx) {
      const { listing, applied } = await filteredListing(ctx);
      ensure(applied, `GET referrers?artifactType=${SBOM}: no OCI-Filters-Applied: artifactType header, the registry does not filter on artifactType`, listing.first);
    },
  },
  {
    id: 'referrers.list.pagination',
    title: 'A long referrers list, followed through Link rel="next", holds every referrer exactly once',
    spec: '§Listing Referrers (end-12a: "A Link header MUST be included in the response when the descriptor list cannot be returned in a single manifest"; RFC 5988)',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const referrers = Array.from({ length: MANY_REFERRERS }, (_, i) => referrerOf(subject, i % 2 === 0 ? SBOM : SIGNATURE));
      await pushReferrers(ctx, repo, referrers);
      const listing = await listReferrers(ctx, repo, subject.digest);
      expectExactly(listing, referrers, `GET referrers of a subject with ${MANY_REFERRERS} referrers`);
      return `${MANY_REFERRERS} referrers in ${listing.pages} page(s)`;
    },
  },
  {
    id: 'referrers.filter.paged',
    title: 'A filtered list longer than a page keeps its filter on every page its Links lead to',
    spec: '§Listing Referrers (end-12b: "If filtering is requested and applied, the response MUST include a header OCI-Filters-Applied: artifactType"; end-12a: the Link leads to the rest of the same list)',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      // Mostly SBOMs, so the filtered list alone is long enough to be paged.
      const sboms = Array.from({ length: MANY_REFERRERS - 5 }, () => referrerOf(subject, SBOM));
      await pushReferrers(ctx, repo, [...sboms, ...Array.from({ length: 5 }, () => referrerOf(subject, SIGNATURE))]);
      const listing = await listReferrers(ctx, repo, subject.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
      if (!headerValues(listing.first, 'oci-filters-applied').includes('artifactType')) return ctx.skip('the registry does not filter (no OCI-Filters-Applied): see referrers.filter.supported');
      for (const [i, reply] of listing.replies.entries()) {
        ensure(headerValues(reply, 'oci-filters-applied').includes('artifactType'), `page ${i + 1} of GET referrers?artifactType=${SBOM} (${reply.exchange.url}) does not say OCI-Filters-Applied: artifactType: its Link dropped the filter`, reply);
      }
      expectExactly(listing, sboms, `GET referrers?artifactType=${SBOM} (filter applied) and the pages its Links lead to`);
      return `${sboms.length} referrers in ${listing.pages} page(s)`;
    },
  },
  {
    id: 'referrers.list.no-link-when-complete',
    title: 'A referrers list that holds every referrer carries no Link header',
    spec: '§Listing Referrers (end-12a: "A Link header MUST be included in the response when the descriptor list cannot be returned in a single manifest"; RFC 5988: rel="next" names the next page of a series, and there is none)',
    level: 'SHOULD',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const referrers = [referrerOf(subject, SBOM), referrerOf(subject, SIGNATURE)];
      await pushReferrers(ctx, repo, referrers);
      const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      const listed = expectIndex(reply, `GET referrers of a subject with ${referrers.length} referrers`);
      if (listed.length < referrers.length) return ctx.skip(`the first page holds ${listed.length} of ${referrers.length} referrers: a Link is due (referrers.list.pagination follows it)`);
      const link = reply.header('link');
      ensure(link === undefined, `GET referrers answered all ${listed.length} referrers and a Link header ${JSON.stringify(link)}: there is no next page`, reply);
    },
  },
  {
    id: 'referrers.list.unfiltered-header',
    title: 'A referrers list asked without ?artifactType= does not say OCI-Filters-Applied: artifactType',
    spec: '§Listing Referrers (end-12b: the header OCI-Filters-Applied: artifactType denotes "that an artifactType filter was applied")',
    level: 'SHOULD',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      await pushReferrers(ctx, repo, [referrerOf(subject, SBOM)]);
      const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      expectIndex(reply, 'GET referrers without ?artifactType=');
      const applied = headerValues(reply, 'oci-filters-applied');
      ensure(!applied.includes('artifactType'), `GET referrers without ?artifactType= answered OCI-Filters-Applied: ${applied.join(', ')}: no filter was asked for or applied`, reply);
    },
  },
  {
    id: 'referrers.list.after-delete',
    title: 'A deleted referrer is no longer listed',
    spec: '§Listing Referrers (end-12a: descriptors are of manifests "in the same <name> namespace"), §Deleting Manifests (end-9)',
    level: 'MUST',
    requires: ['referrers', 'manifestDeletes'],
    async run(ctx) {
      const { repo, subject } = await repoWithSubject(ctx);
      const [gone, kept] = [referrerOf(subject), referrerOf(subject, SBOM)];
      await pushReferrers(ctx, repo, [gone, kept]);
      expectExactly(await listReferrers(ctx, repo, subject.digest), [gone, kept], 'GET referrers before the delete');
      const reply = await ctx.request('DELETE', `/v2/${repo}/manifests/${gone.digest}`);
      if (reply.status === 400 || reply.status === 405) ctx.skip(`the registry refused to delete a manifest (${reply.status}): see the deletes checks`);
      expectStatus(reply, [202], `DELETE /v2/${repo}/manifests/${gone.digest}`);
      expectExactly(await listReferrers(ctx, repo, subject.digest), [kept], 'GET referrers after deleting one');
    },
  },
]);
