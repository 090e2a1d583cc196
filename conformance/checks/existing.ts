/**
 * Checks on content already in the registry (--image repo:tag or repo@digest, OCI_RO_DATA_*):
 * everything that needs no write, so they run against read-only registries (mirrors,
 * pull-through caches, production). Pulls by tag and by digest serve a manifest whose bytes hash
 * to its digest (spec "Pulling manifests", end-3; content addressability: image-spec
 * descriptor.md "Digests"); an index's children are walked and every blob referenced is pulled,
 * hashed as it streams (any size), and must hash to its digest and have its size (end-2); HEAD
 * agrees with GET (Content-Length, Docker-Content-Digest, Content-Type; RFC 9110 §9.3.2); Range
 * on a blob; the tags of the image's repository listed, in order, and paged (end-8a/b); the
 * referrers of the images (end-12a); and the error answers for unknown tags, digests, blobs and
 * repositories and for invalid digests, all in the image's own repository.
 */
import { createHash } from 'node:crypto';
import { CheckFailure } from '../client/errors.ts';
import { digestNames, ensure, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS, bareType, nextLink } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { unknownDigest } from '../content.ts';
import type { ImageRef } from '../config.ts';
import { INDEX_MANIFEST_TYPES, OCI_INDEX } from '../../spec/media-types.ts';
import { ordersOf } from '../tag-order.ts';
import type { CheckContext } from './context.ts';
import { defineChecks, type Check } from './types.ts';

/** Manifests walked per run of a check (an index of indexes of many platforms stays bounded). */
const MAX_MANIFESTS = 64;
/** Pages of tags and referrers followed. */
const MAX_PAGES = 100;
const PAGE = 2;
const HASHES = new Set(['sha256', 'sha384', 'sha512']);

interface Pulled {
  readonly repo: string;
  readonly digest: string;
  readonly bytes: Buffer;
  readonly mediaType: string | undefined;
  readonly body: { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[]; subject?: Descriptor } | undefined;
}

interface Descriptor {
  readonly mediaType?: string;
  readonly digest?: string;
  readonly size?: number;
  readonly urls?: readonly string[];
}

const refText = (image: ImageRef): string => `${image.repo}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest !== undefined ? `@${image.digest}` : ''}`;

/** The hex of `bytes` under the digest's algorithm, or undefined for an algorithm this suite cannot compute. */
function hashes(digest: string, bytes: Uint8Array): boolean | undefined {
  const [algorithm = '', encoded = ''] = digest.split(':');
  if (!HASHES.has(algorithm)) return undefined;
  return createHash(algorithm).update(bytes).digest('hex') === encoded;
}

function parseManifest(bytes: Buffer): Pulled['body'] {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Pulled['body']) : undefined;
  } catch {
    return undefined;
  }
}

/** GET a manifest by `reference`: 200, its digest header (if any) names the body, by digest the body hashes to it. */
async function pull(ctx: CheckContext, repo: string, reference: string): Promise<Pulled & { reply: Reply }> {
  const reply = await ctx.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
  expectStatus(reply, [200], `GET /v2/${repo}/manifests/${reference}`);
  const header = reply.header('docker-content-digest');
  ensure(header === undefined || digestNames(header, reply.body), `GET ${repo}/manifests/${reference}: Docker-Content-Digest ${header} does not name the body served`, reply);
  const byDigest = reference.includes(':');
  if (byDigest) ensure(hashes(reference, reply.body) !== false, `GET ${repo}/manifests/${reference}: the body served (${reply.body.length} bytes) does not hash to the digest asked for`, reply);
  const digest = byDigest ? reference : header ?? `sha256:${createHash('sha256').update(reply.body).digest('hex')}`;
  return { repo, digest, bytes: reply.body, mediaType: bareType(reply.header('content-type')), body: parseManifest(reply.body), reply };
}

/** Each --image pulled as named (by tag and by digest when both are given, and they must agree). */
async function images(ctx: CheckContext): Promise<Pulled[]> {
  const out: Pulled[] = [];
  for (const image of ctx.config.existing?.images ?? []) {
    const byTag = image.tag !== undefined ? await pull(ctx, image.repo, image.tag) : undefined;
    const byDigest = image.digest !== undefined ? await pull(ctx, image.repo, image.digest) : undefined;
    if (byTag && byDigest) ensure(byTag.bytes.equals(byDigest.bytes), `${refText(image)}: the tag serves another manifest (${byTag.digest}) than the digest named`, byTag.reply);
    out.push((byDigest ?? byTag) as Pulled);
  }
  if (out.length === 0) ctx.skip('no existing image given (--image repo:tag, OCI_RO_DATA_TAGS or _MANIFESTS)');
  return out;
}

/** The images and, recursively, the children of their indexes, each pulled by digest, at most MAX_MANIFESTS. */
async function manifestTree(ctx: CheckContext): Promise<Pulled[]> {
  const seen = new Map<string, Pulled>();
  const queue = await images(ctx);
  while (queue.length > 0 && seen.size < MAX_MANIFESTS) {
    const item = queue.shift() as Pulled;
    const key = `${item.repo}@${item.digest}`;
    if (seen.has(key)) continue;
    seen.set(key, item);
    const isIndex = INDEX_MANIFEST_TYPES.includes(item.body?.mediaType ?? item.mediaType ?? '') || Array.isArray(item.body?.manifests);
    for (const child of isIndex ? item.body?.manifests ?? [] : []) {
      if (typeof child.digest === 'string' && !seen.has(`${item.repo}@${child.digest}`)) queue.push(await pull(ctx, item.repo, child.digest));
    }
  }
  return [...seen.values()];
}

/** Every blob the manifests reference (config, layers) and the blobs named (OCI_RO_DATA_BLOBS), once each. */
async function blobs(ctx: CheckContext): Promise<{ repo: string; descriptor: Descriptor; digest: string }[]> {
  const tree = (ctx.config.existing?.images.length ?? 0) > 0 ? await manifestTree(ctx) : [];
  const found = new Map<string, { repo: string; descriptor: Descriptor; digest: string }>();
  for (const m of tree) {
    for (const d of [m.body?.config, ...(m.body?.layers ?? [])]) {
      if (d !== undefined && typeof d.digest === 'string') found.set(`${m.repo}@${d.digest}`, { repo: m.repo, descriptor: d, digest: d.digest });
    }
  }
  for (const b of ctx.config.existing?.blobs ?? []) found.set(`${b.repo}@${b.digest}`, { repo: b.repo, descriptor: {}, digest: b.digest });
  if (found.size === 0) ctx.skip('the existing content references no blob');
  return [...found.values()];
}

/** HEAD agrees with GET on the headers both carry; HEAD has no body. */
function expectAgreement(head: Reply, get: Pick<Reply, 'header'>, length: number, what: string): void {
  expectStatus(head, [200], `HEAD ${what}`);
  ensure(head.body.length === 0, `HEAD ${what} answered with a body of ${head.body.length} bytes`, head);
  const headLength = head.header('content-length');
  ensure(headLength === undefined || Number(headLength) === length, `HEAD ${what}: Content-Length ${headLength}, GET serves ${length} bytes`, head);
  for (const name of ['docker-content-digest', 'content-type']) {
    const [h, g] = [head.header(name), get.header(name)];
    ensure(h === undefined || g === undefined || h === g, `HEAD ${what}: ${name} ${JSON.stringify(h)}, GET answered ${JSON.stringify(g)}`, head);
  }
}

/** Every tag of `repo`, following Link (or last= after a full page) from `start`, at most `pages` pages. */
async function tagPages(ctx: CheckContext, repo: string, n: number | undefined, pages: number): Promise<{ tags: string[]; complete: boolean }> {
  const tags: string[] = [];
  let url: string | undefined = `/v2/${repo}/tags/list${n === undefined ? '' : `?n=${n}`}`;
  for (let page = 1; url !== undefined; page += 1) {
    if (page > pages) return { tags, complete: false };
    const reply = await ctx.request('GET', url);
    expectStatus(reply, [200], `GET ${url}`);
    const listed = reply.json<{ tags?: unknown }>()?.tags ?? [];
    ensure(Array.isArray(listed) && listed.every((x) => typeof x === 'string'), `GET ${url}: "tags" is not a list of strings`, reply);
    ensure(n === undefined || listed.length <= n, `GET ${url}: ${listed.length} tags for n=${n}`, reply);
    tags.push(...(listed as string[]));
    const next = nextLink(reply, `GET ${url}`);
    const last = tags.at(-1);
    url = next ?? (n !== undefined && listed.length === n && last !== undefined ? `/v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(last)}` : undefined);
  }
  return { tags, complete: true };
}

const base = { readOnly: true, needsExisting: true } as const;

export default defineChecks(([
  {
    id: 'existing.manifest.pull',
    title: 'Each existing image pulls by tag and by digest; the body hashes to its digest, the tag and the digest agree',
    spec: '§Pulling manifests (end-3: "MUST provide the expected manifest"; by digest the expected manifest is the content with that digest: image-spec descriptor.md "Digests")',
    level: 'MUST',
    async run(ctx) {
      const pulled = await images(ctx);
      for (const p of pulled) await pull(ctx, p.repo, p.digest);
      return `${pulled.length} image(s): ${pulled.map((p) => `${p.repo}@${p.digest.slice(0, 19)}…`).join(', ')}`;
    },
  },
  {
    id: 'existing.manifest.head',
    title: 'HEAD of each existing manifest (and index child) answers 200 with the headers GET gives',
    spec: '§Checking if content exists in the registry ("A HEAD request to an existing blob or manifest URL MUST return 200 OK"); RFC 9110 §9.3.2 (HEAD: the same header fields as GET)',
    level: 'MUST',
    async run(ctx) {
      const tree = await manifestTree(ctx);
      for (const m of tree) {
        const head = await ctx.request('HEAD', `/v2/${m.repo}/manifests/${m.digest}`, { headers: ACCEPT_MANIFESTS });
        const get = await ctx.request('GET', `/v2/${m.repo}/manifests/${m.digest}`, { headers: ACCEPT_MANIFESTS });
        expectAgreement(head, get, m.bytes.length, `${m.repo}/manifests/${m.digest}`);
      }
      return `${tree.length} manifest(s)`;
    },
  },
  {
    id: 'existing.blobs.digests',
    title: 'Every blob the existing manifests reference is served whole, hashing to its digest with its size',
    spec: '§Pulling blobs (end-2: "The registry MUST return the blob"); image-spec descriptor.md ("Digests": the content MUST hash to the digest; "size" is its length)',
    level: 'MUST',
    async run(ctx) {
      const notes: string[] = [];
      let bytes = 0;
      const all = await blobs(ctx);
      for (const { repo, descriptor, digest } of all) {
        const [algorithm = ''] = digest.split(':');
        const hash = HASHES.has(algorithm) ? createHash(algorithm) : undefined;
        let size = 0;
        const reply = await ctx.request('GET', `/v2/${repo}/blobs/${digest}`, { sink: (chunk) => { size += chunk.length; hash?.update(chunk); } });
        if (reply.status === 404 && (descriptor.urls?.length ?? 0) > 0) {
          notes.push(`${digest.slice(0, 19)}… not in the registry (non-distributable, urls given)`);
          continue;
        }
        expectStatus(reply, [200], `GET /v2/${repo}/blobs/${digest}`);
        if (hash === undefined) notes.push(`${digest.slice(0, 19)}…: algorithm ${algorithm} not verified`);
        else ensure(`${algorithm}:${hash.digest('hex')}` === digest, `GET /v2/${repo}/blobs/${digest}: the ${size} bytes served do not hash to the digest`, reply);
        ensure(descriptor.size === undefined || descriptor.size === size, `GET /v2/${repo}/blobs/${digest}: ${size} bytes served, the descriptor says ${descriptor.size}`, reply);
        bytes += size;
      }
      return [`${all.length} blob(s), ${bytes} bytes hashed`, ...notes].join('; ');
    },
  },
  {
    id: 'existing.blobs.head',
    title: 'HEAD of every blob referenced answers 200 with its size and, if sent, its digest',
    spec: '§Checking if content exists in the registry ("A HEAD request to an existing blob … MUST return 200 OK"; Content-Length, Docker-Content-Digest)',
    level: 'MUST',
    async run(ctx) {
      const all = await blobs(ctx);
      for (const { repo, descriptor, digest } of all) {
        const head = await ctx.request('HEAD', `/v2/${repo}/blobs/${digest}`);
        if (head.status === 404 && (descriptor.urls?.length ?? 0) > 0) continue;
        expectStatus(head, [200], `HEAD /v2/${repo}/blobs/${digest}`);
        const length = head.header('content-length');
        ensure(descriptor.size === undefined || length === undefined || Number(length) === descriptor.size, `HEAD /v2/${repo}/blobs/${digest}: Content-Length ${length}, the descriptor says ${descriptor.size}`, head);
        const header = head.header('docker-content-digest');
        ensure(header === undefined || header === digest || !header.startsWith(`${digest.split(':')[0]}:`), `HEAD /v2/${repo}/blobs/${digest}: Docker-Content-Digest ${header}`, head);
      }
      return `${all.length} blob(s)`;
    },
  },
  {
    id: 'existing.blobs.range',
    title: 'GET with Range: bytes=a-b of an existing blob answers 206 with exactly those bytes',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14)',
    level: 'SHOULD',
    async run(ctx) {
      const all = (await blobs(ctx)).filter((b) => b.descriptor.urls === undefined);
      const sized = all.filter((b) => (b.descriptor.size ?? 0) >= 4).sort((a, b) => (a.descriptor.size ?? 0) - (b.descriptor.size ?? 0));
      const blob = sized[0] ?? all[0];
      if (blob === undefined) return ctx.skip('no blob to read a range of');
      const whole = await ctx.request('GET', `/v2/${blob.repo}/blobs/${blob.digest}`);
      expectStatus(whole, [200], `GET /v2/${blob.repo}/blobs/${blob.digest}`);
      if (whole.body.length < 4) return ctx.skip(`the smallest blob has ${whole.body.length} bytes: too short for a range`);
      const [start, end] = [1, Math.min(whole.body.length - 2, 1 + 1023)];
      const reply = await ctx.request('GET', `/v2/${blob.repo}/blobs/${blob.digest}`, { headers: { Range: `bytes=${start}-${end}` } });
      if (reply.status === 200 && reply.body.equals(whole.body)) ctx.skip('the registry ignores Range (answered 200 with the whole blob)');
      expectStatus(reply, [206], `GET with Range: bytes=${start}-${end}`);
      ensure(reply.body.equals(whole.body.subarray(start, end + 1)), `GET with Range: bytes=${start}-${end}: not the bytes ${start}-${end} of the blob`, reply);
      const range = reply.header('content-range');
      ensure(range === `bytes ${start}-${end}/${whole.body.length}`, `GET with Range: Content-Range ${JSON.stringify(range)}, expected "bytes ${start}-${end}/${whole.body.length}"`, reply);
    },
  },
  {
    id: 'existing.tags.list',
    title: 'The tags of each image\'s repository list its tag, each once, in lexical order',
    spec: '§Listing Tags (end-8a: "MUST return a 200 OK"; "the tags MUST be in lexical order")',
    level: 'MUST',
    requires: ['contentDiscovery'],
    async run(ctx) {
      const repos = [...new Set((ctx.config.existing?.images ?? []).map((i) => i.repo))];
      if (repos.length === 0) ctx.skip('no existing image given');
      for (const repo of repos) {
        const { tags } = await tagPages(ctx, repo, undefined, MAX_PAGES);
        for (const image of ctx.config.existing?.images ?? []) if (image.repo === repo && image.tag !== undefined) ensure(tags.includes(image.tag), `tags/list of ${repo} does not list ${image.tag}, which pulls`);
        ensure(new Set(tags).size === tags.length, `tags/list of ${repo} lists tags more than once`);
        ensure(ordersOf(tags).length > 0, `tags/list of ${repo} is in no lexical order (byte or case-insensitive): ${JSON.stringify(tags.slice(0, 20))}`);
      }
      return `${repos.length} repository(ies)`;
    },
  },
  {
    id: 'existing.tags.paging',
    title: `Paging the tags of each image's repository by ${PAGE} (Link, else last=) yields the full list's tags in order`,
    spec: '§Listing Tags (end-8b: n, last exclusive, Link "set according to RFC5988 with the Relation Type rel=\\"next\\"")',
    level: 'MUST',
    requires: ['contentDiscovery'],
    async run(ctx) {
      const repos = [...new Set((ctx.config.existing?.images ?? []).map((i) => i.repo))];
      if (repos.length === 0) ctx.skip('no existing image given');
      for (const repo of repos) {
        const full = await tagPages(ctx, repo, undefined, MAX_PAGES);
        const paged = await tagPages(ctx, repo, PAGE, 10);
        const expected = full.tags.slice(0, paged.tags.length);
        ensure(JSON.stringify(paged.tags) === JSON.stringify(expected), `paging the tags of ${repo} by ${PAGE} gave ${JSON.stringify(paged.tags)}, the full list begins ${JSON.stringify(expected)}`);
        ensure(!paged.complete || paged.tags.length === full.tags.length, `paging the tags of ${repo} by ${PAGE} ended after ${paged.tags.length} of ${full.tags.length} tags`);
      }
      return `${repos.length} repository(ies)`;
    },
  },
  {
    id: 'existing.referrers',
    title: 'The referrers of each existing image are an image index of manifests whose subject is that image',
    spec: '§Listing Referrers (end-12a: "MUST return a 200 OK"; "an image index"; descriptors of manifests with the "subject" field of that digest)',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const subjects = [...(ctx.config.existing?.images.length ? (await images(ctx)).map((p) => ({ repo: p.repo, digest: p.digest })) : []), ...(ctx.config.existing?.referrers ?? [])];
      let count = 0;
      for (const { repo, digest } of subjects) {
        let url: string | undefined = `/v2/${repo}/referrers/${digest}`;
        for (let page = 1; url !== undefined && page <= MAX_PAGES; page += 1) {
          const reply = await ctx.request('GET', url);
          expectStatus(reply, [200], `GET ${url}`);
          ensure(bareType(reply.header('content-type')) === OCI_INDEX, `GET ${url}: Content-Type ${reply.header('content-type')}, expected ${OCI_INDEX}`, reply);
          const listed = reply.json<{ manifests?: Descriptor[] }>()?.manifests;
          ensure(Array.isArray(listed), `GET ${url}: not an image index`, reply);
          for (const d of listed.slice(0, 20)) {
            ensure(typeof d.digest === 'string', `GET ${url}: a descriptor without digest`, reply);
            const referrer = await pull(ctx, repo, d.digest);
            ensure(referrer.body?.subject?.digest === digest, `${repo}@${d.digest} is listed as a referrer of ${digest} but its subject is ${referrer.body?.subject?.digest ?? 'absent'}`, referrer.reply);
            count += 1;
          }
          url = nextLink(reply, `GET ${url}`);
        }
      }
      return `${subjects.length} subject(s), ${count} referrer(s) checked`;
    },
  },
  {
    id: 'existing.errors.unknown',
    title: 'In an existing repository, unknown tags, manifests and blobs answer 404; in an unknown repository too',
    spec: '§Pulling manifests (end-3: "If the manifest is not found in the repository, the response code MUST be 404"), §Pulling blobs (end-2: 404), §Listing Tags (end-8a: 404)',
    level: 'MUST',
    async run(ctx) {
      const repos = [...new Set([...(ctx.config.existing?.images ?? []), ...(ctx.config.existing?.blobs ?? [])].map((i) => i.repo))];
      const missing = ctx.repo('never-pushed');
      const probes: [string, string][] = [[missing, '/tags/list'], [missing, '/manifests/latest']];
      for (const repo of repos) probes.push([repo, '/manifests/touchstone-no-such-tag'], [repo, `/manifests/${unknownDigest()}`], [repo, `/blobs/${unknownDigest()}`]);
      for (const [repo, path] of probes) {
        for (const method of path === '/tags/list' ? ['GET'] : ['GET', 'HEAD']) {
          expectStatus(await ctx.request(method, `/v2/${repo}${path}`, { headers: ACCEPT_MANIFESTS }), [404], `${method} /v2/${repo}${path}`);
        }
      }
      return `${probes.length} unknown names answered 404`;
    },
  },
  {
    id: 'existing.errors.invalid-digest',
    title: 'Malformed digests on the blob and manifest paths of an existing repository answer 400 or 404, never a 5xx',
    spec: 'image-spec descriptor.md (digest grammar), §Pulling blobs and manifests (end-2, end-3: 404 for content not in the repository; 400 DIGEST_INVALID)',
    level: 'MUST',
    async run(ctx) {
      const repos = [...new Set([...(ctx.config.existing?.images ?? []), ...(ctx.config.existing?.blobs ?? [])].map((i) => i.repo))];
      const hex = unknownDigest().slice('sha256:'.length);
      for (const repo of repos) {
        for (const digest of ['sha256:XYZ', `sha256:${hex.toUpperCase()}`, `sha256:${hex.slice(1)}`]) {
          for (const path of [`/v2/${repo}/blobs/${digest}`, `/v2/${repo}/manifests/${digest}`]) {
            const reply = await ctx.request('GET', path, { headers: ACCEPT_MANIFESTS });
            if (reply.status >= 500) throw new CheckFailure(`GET ${path}: a server error (${reply.status}) for a malformed digest`, reply.exchange);
            expectStatus(reply, [400, 404], `GET ${path} (a malformed digest)`);
          }
        }
      }
      return `${repos.length} repository(ies), 6 malformed digests each`;
    },
  },
] as Omit<Check, 'readOnly' | 'needsExisting'>[]).map((check) => ({ ...check, ...base })));
