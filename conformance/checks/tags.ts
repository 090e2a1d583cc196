/**
 * Listing tags (spec "Listing Tags", end-8a and end-8b). One small image is pushed to a fresh
 * repository under twelve tags chosen so that byte order and case-insensitive order differ (mixed
 * case, digits, `_`, `.`, `-` and the longest legal tag), in a push order that is sorted in
 * neither. The checks: tags/list names exactly those tags; they are in lexical order, which the
 * spec defines as "case-insensitive alphanumeric order" while Distribution, zot and the reference
 * sort by byte (code point, Go's sort.Strings), which the main branch allows as "ASCIIbetical":
 * either order passes, a list in neither fails; `?n=k` gives exactly the first k unless a Link
 * is provided, for n below, at and above the tag count; an n that is not an integer is refused or
 * ignored, never read as a count; the Link of a ?n=k page leads to pages of at most k; a page that holds every remaining tag has no Link; `n=0` gives an empty list and no Link; `last` is exclusive; a Link is RFC 5988
 * with rel="next"; paging with a small n, by Link or else by last=, yields every tag once, in
 * order; an unknown repository is 404 (NAME_UNKNOWN); a repository with only an untagged manifest
 * lists no tags. CNCF Distribution 2.8.2 (ignores n and last, unsorted: docs/deviations.md#cncf-distribution-282) fails the
 * order, n and last checks.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectCodeIfJson, expectStatus } from '../client/expect.ts';
import { requestPath } from '../client/exchange.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageConfig, imageManifest, randomBlob } from '../content.ts';
import { nextLink } from '../client/headers.ts';
import { followTagPages } from '../client/tag-list.ts';
import { compareCodePoints, ordersOf } from '../tag-order.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** The longest legal tag (spec: a tag "MUST be at most 128 characters in length"). */
const LONGEST_TAG = 'long-'.padEnd(128, 'x');

/**
 * The tags pushed, in push order: sorted neither by byte nor case-insensitively, so a registry
 * that lists tags in the order they arrived fails. `B`/`b` tie case-insensitively; `_x` sorts
 * after the capitals by byte, before every letter folded to lower case, after them folded to upper.
 */
export const PUSHED_TAGS: readonly string[] = ['b', 'x.y', '10', 'B', '_x', 'a', LONGEST_TAG, '9', 'A1', 'x-y', '0', 'Z'];

/** Page size for the n, Link and last checks: smaller than the tag count, so several pages. */
const PAGE = 5;
/** A walk through the pages that has not ended after this many pages never will. */
const MAX_PAGES = 100;

function duplicatesIn(tags: readonly string[]): string[] {
  return [...new Set(tags.filter((tag, i) => tags.indexOf(tag) !== i))];
}

function shown(tags: readonly string[]): string {
  return JSON.stringify(tags);
}

/** Pushes one image (config + layer) to a fresh repository under every tag of PUSHED_TAGS. */
async function taggedRepo(ctx: CheckContext): Promise<string> {
  const repo = ctx.repo('tags');
  const config = imageConfig(`tags ${repo}`);
  const layer = randomBlob(256);
  const manifest = imageManifest(config, [layer]);
  const [first = '', ...rest] = PUSHED_TAGS;
  await ctx.pushImage(repo, first, config, [layer], manifest);
  for (const tag of rest) await ctx.pushManifest(repo, tag, manifest);
  return repo;
}

/** The tags of a 200 tags/list answer; absent or null `tags` is the empty list. */
function tagsIn(reply: Reply, what: string): string[] {
  expectStatus(reply, [200], what);
  const body = reply.json<Record<string, unknown>>();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CheckFailure(`${what}: the body is not the JSON object {"name", "tags"}`, reply.exchange);
  }
  const { tags } = body;
  if (tags === undefined || tags === null) return [];
  ensure(Array.isArray(tags) && tags.every((tag) => typeof tag === 'string'), `${what}: "tags" is not a list of strings: ${JSON.stringify(tags)}`, reply);
  return tags as string[];
}

async function getTags(ctx: CheckContext, repo: string, query = ''): Promise<{ reply: Reply; tags: string[] }> {
  const reply = await ctx.request('GET', `/v2/${repo}/tags/list${query}`);
  return { reply, tags: tagsIn(reply, `GET tags/list${query}`) };
}

/**
 * The whole list asked without n: the first page and, while it carries a Link rel="next", every
 * page the Link leads to (end-8b: a Link "communicates to the client that the entire result set
 * has not been returned"; a registry may cap a page without n).
 */
async function listAll(ctx: CheckContext, repo: string): Promise<{ reply: Reply; tags: string[]; pages: number }> {
  const first = await getTags(ctx, repo);
  return { reply: first.reply, ...(await followTagPages(ctx.client, first.reply, `/v2/${repo}/tags/list`, 'tags/list without n')) };
}

/** The whole list in the registry's own order; the n, last and paging checks measure against it. */
async function registryOrder(ctx: CheckContext, repo: string): Promise<string[]> {
  const { tags } = await listAll(ctx, repo);
  const complete = tags.length === PUSHED_TAGS.length && PUSHED_TAGS.every((tag) => tags.includes(tag));
  ensure(complete, `setup: tags/list does not list exactly the ${PUSHED_TAGS.length} tags pushed (see tags.list.all): ${shown(tags)}`);
  return tags;
}

export default defineChecks([
  {
    id: 'tags.list.all',
    title: 'tags/list answers 200 with {"name", "tags"} naming exactly the tags pushed, each once',
    spec: '§Listing Tags (end-8a: "this request MUST return a 200 OK"; "the response MUST be a json body in the following format")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const { reply, tags, pages } = await listAll(ctx, repo);
      const name = reply.json<{ name?: unknown }>()?.name;
      ensure(name === repo, `tags/list: "name" is ${JSON.stringify(name)}, expected ${JSON.stringify(repo)}`, reply);
      const missing = PUSHED_TAGS.filter((tag) => !tags.includes(tag));
      const extra = tags.filter((tag) => !PUSHED_TAGS.includes(tag));
      const duplicates = duplicatesIn(tags);
      ensure(missing.length === 0, `tags/list lacks tags that were pushed: ${shown(missing)}`, reply);
      ensure(extra.length === 0, `tags/list names tags that were never pushed: ${shown(extra)}`, reply);
      ensure(duplicates.length === 0, `tags/list names tags more than once: ${shown(duplicates)}`, reply);
      if (pages > 1) return `${pages} pages without n, following their Links`;
    },
  },
  {
    id: 'tags.list.order',
    title: 'tags/list is in lexical order: byte order or case-insensitive order (either passes)',
    spec: '§Listing Tags (end-8a: "the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order)"; main adds \'or "ASCIIbetical" (Go\'s sort.Strings) order\')',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const { reply, tags } = await listAll(ctx, repo);
      const followed = ordersOf(tags);
      const byteOrder = [...tags].sort(compareCodePoints);
      ensure(
        followed.length > 0,
        `tags/list is sorted neither in byte order nor case-insensitively (either would pass): ${shown(tags)}; byte order would be ${shown(byteOrder)}`,
        reply,
      );
      return `sorted in ${followed.map((order) => order.name).join(' and in ')}`;
    },
  },
  {
    id: 'tags.list.n',
    title: '?n=k answers exactly the first k tags when more exist (fewer only with a Link)',
    spec: '§Listing Tags (end-8b: "MAY return fewer than <int> results, but only when the total number of tags … is less than <int> or a Link header is provided. Otherwise, the response MUST include <int> results")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const full = await registryOrder(ctx, repo);
      // n of one and of two digits, below, at and above the number of tags.
      for (const n of [PAGE, 10, PUSHED_TAGS.length, 100]) {
        const { reply, tags } = await getTags(ctx, repo, `?n=${n}`);
        const due = Math.min(n, full.length);
        ensure(tags.length <= n, `tags/list?n=${n} answered ${tags.length} tags, more than asked for (n ignored?)`, reply);
        ensure(
          tags.length === due || reply.header('link') !== undefined,
          `tags/list?n=${n} answered ${tags.length} tags of ${full.length} and no Link header: fewer than n only when fewer exist or a Link is provided`,
          reply,
        );
        const expected = full.slice(0, tags.length);
        ensure(shown(tags) === shown(expected), `tags/list?n=${n} answered ${shown(tags)}, not the first tags of the full list ${shown(full.slice(0, due))}`, reply);
      }
    },
  },
  {
    id: 'tags.list.n-invalid',
    title: 'An n that is not a non-negative integer (-1, abc, 2.5, 5x) is refused with 4xx or ignored, never read as another n',
    spec: '§Listing Tags (end-8b defines n only as an <int> count; otherwise the answer is end-8a\'s: "a list of tags", where "the presence of the Link header communicates to the client that the entire result set has not been returned")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const full = await registryOrder(ctx, repo);
      for (const n of ['-1', 'abc', '2.5', '5x']) {
        const query = `?n=${n}`;
        const first = await ctx.request('GET', `/v2/${repo}/tags/list${query}`);
        if (first.status >= 400 && first.status < 500) continue;
        // Ignored: the answer to a request without n — every tag, in pages linked by Link.
        const what = `tags/list${query} (not refused with 4xx, so n must be ignored)`;
        expectStatus(first, [200], `GET ${what}`);
        const { tags: seen } = await followTagPages(ctx.client, first, `/v2/${repo}/tags/list${query}`, what);
        ensure(
          shown(seen) === shown(full),
          `tags/list${query} and the pages its Links lead to answered ${shown(seen)}, not every tag ${shown(full)}: the invalid n was read as a count (refuse it with 400, or ignore it)`,
          first,
        );
      }
    },
  },
  {
    id: 'tags.list.link-keeps-n',
    title: 'Following the Link of a ?n=k page gives pages of at most k tags',
    spec: '§Listing Tags (end-8b: "clients should prefer the Link header over using the last parameter for pagination": the Link continues the listing the client asked for, n included)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const first = await ctx.request('GET', `/v2/${repo}/tags/list?n=${PAGE}`);
      tagsIn(first, `GET tags/list?n=${PAGE}`);
      const next = nextLink(first, `GET tags/list?n=${PAGE}`);
      if (next === undefined) return ctx.skip(`no Link header on a page of ${PAGE} of ${PUSHED_TAGS.length} tags (Link is a MAY)`);
      const { reply, tags } = await getTags(ctx, repo, new URL(next).search);
      ensure(tags.length <= PAGE, `the Link of tags/list?n=${PAGE} (${requestPath(next)}) answered ${tags.length} tags, more than the n=${PAGE} the client asked for`, reply);
    },
  },
  {
    id: 'tags.list.no-link-when-complete',
    title: 'A tags/list answer that holds every remaining tag carries no Link header',
    spec: '§Listing Tags (end-8b: "A Link header MAY be included in the response when additional tags are available"; its presence tells the client the entire result set has not been returned)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const full = await registryOrder(ctx, repo);
      const lastButOne = full.at(-3) as string;
      for (const query of ['', `?n=${full.length}`, '?n=100', `?n=5&last=${encodeURIComponent(lastButOne)}`]) {
        const { reply, tags } = await getTags(ctx, repo, query);
        const link = reply.header('link');
        const remaining = query.includes('last=') ? 2 : full.length;
        if (tags.length < remaining) continue; // a shorter page may well have a Link (tags.list.n judges it)
        ensure(link === undefined, `tags/list${query} answered all ${tags.length} remaining tags and a Link header ${JSON.stringify(link)}: no more tags are available`, reply);
      }
    },
  },
  {
    id: 'tags.list.n-zero',
    title: '?n=0 answers an empty list and no Link header',
    spec: '§Listing Tags (end-8b: "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const { reply, tags } = await getTags(ctx, repo, '?n=0');
      ensure(tags.length === 0, `tags/list?n=0 answered ${tags.length} tags: ${shown(tags)}`, reply);
      const link = reply.header('link');
      ensure(link === undefined, `tags/list?n=0 answered with a Link header: ${JSON.stringify(link)}`, reply);
    },
  },
  {
    id: 'tags.list.last',
    title: '?n=k&last=<tag> answers the k tags right after <tag>, never <tag> itself',
    spec: '§Listing Tags (end-8b: "beginning non-inclusively with <tagname> … up to <int> tags after <tagname> will be returned")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const full = await registryOrder(ctx, repo);
      const start = 3;
      const count = 4;
      const last = full[start] as string;
      const query = `?n=${count}&last=${encodeURIComponent(last)}`;
      const { reply, tags } = await getTags(ctx, repo, query);
      const expected = full.slice(start + 1, start + 1 + count);
      ensure(!tags.includes(last), `tags/list${query} includes ${last} itself: last is exclusive (${shown(tags)})`, reply);
      ensure(tags.length <= count, `tags/list${query} answered ${tags.length} tags, more than asked for (n ignored?): ${shown(tags)}`, reply);
      ensure(tags.length === count || reply.header('link') !== undefined, `tags/list${query} answered ${tags.length} tags and no Link, though ${full.length - start - 1} follow ${last}: ${shown(tags)}`, reply);
      ensure(tags.length === 0 || tags[0] === expected[0], `tags/list${query} starts at ${tags[0]}, not right after ${last} (${expected[0]}): ${shown(tags)}`, reply);
      ensure(shown(tags) === shown(expected.slice(0, tags.length)), `tags/list${query} answered ${shown(tags)}, not the tags that follow ${last} in the full list: ${shown(expected)}`, reply);
    },
  },
  {
    id: 'tags.list.link-format',
    title: 'A Link header on a partial page is RFC 5988 with rel="next"',
    spec: '§Listing Tags (end-8b: "If included, the Link header MUST be set according to RFC5988 with the Relation Type rel=\\"next\\"")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const reply = await ctx.request('GET', `/v2/${repo}/tags/list?n=${PAGE}`);
      expectStatus(reply, [200], `GET tags/list?n=${PAGE}`);
      if (reply.header('link') === undefined) ctx.skip(`no Link header on a page of ${PAGE} of ${PUSHED_TAGS.length} tags (Link is a MAY: paging by last= is checked by tags.list.paging)`);
      nextLink(reply, `GET tags/list?n=${PAGE}`);
    },
  },
  {
    id: 'tags.list.paging',
    title: 'Paging with a small n, by Link (or by last= without one), yields every tag once, in order',
    spec: '§Listing Tags (end-8b: n, last and Link; "clients should prefer the Link header over using the last parameter for pagination")',
    level: 'MUST',
    async run(ctx) {
      const repo = await taggedRepo(ctx);
      const full = await registryOrder(ctx, repo);
      const seen: string[] = [];
      const ways = new Set<string>();
      let url: string | undefined = `/v2/${repo}/tags/list?n=${PAGE}`;
      let pages = 0;
      while (url !== undefined) {
        pages += 1;
        ensure(pages <= MAX_PAGES, `paging ${full.length} tags by ${PAGE} did not end after ${MAX_PAGES} pages (following ${[...ways].join(' and ')})`);
        const what = `page ${pages} (GET ${requestPath(url)})`;
        const reply = await ctx.request('GET', url);
        const tags = tagsIn(reply, what);
        const limit = new URL(url, reply.exchange.url).searchParams.get('n');
        ensure(limit === null || tags.length <= Number(limit), `${what}: ${tags.length} tags for n=${limit}: ${shown(tags)}`, reply);
        seen.push(...tags);
        const next = nextLink(reply, what);
        const lastTag = tags.at(-1);
        if (next !== undefined) {
          ways.add('Link');
          url = next;
        } else if (lastTag !== undefined && tags.length === Number(limit ?? PAGE)) {
          ways.add('last=');
          url = `/v2/${repo}/tags/list?n=${PAGE}&last=${encodeURIComponent(lastTag)}`;
        } else {
          url = undefined;
        }
      }
      const how = `paging by ${PAGE} (${pages} pages, ${ways.size === 0 ? 'no Link and no full page' : `following ${[...ways].join(' and ')}`})`;
      const repeated = duplicatesIn(seen);
      ensure(repeated.length === 0, `${how} returned tags more than once: ${shown(repeated)}; got ${shown(seen)}`);
      const missing = full.filter((tag) => !seen.includes(tag));
      ensure(missing.length === 0, `${how} skipped tags: ${shown(missing)}; got ${shown(seen)}`);
      const extra = seen.filter((tag) => !full.includes(tag));
      ensure(extra.length === 0, `${how} returned tags the full list lacks: ${shown(extra)}`);
      ensure(shown(seen) === shown(full), `${how} returned the tags in another order than the full list: ${shown(seen)}, full list ${shown(full)}`);
      return how;
    },
  },
  {
    id: 'tags.list.unknown-repo',
    title: 'tags/list of a repository that does not exist answers 404',
    spec: '§Listing Tags (end-8a: failure 404)',
    level: 'MUST',
    readOnly: true,
    async run(ctx) {
      const repo = ctx.repo('never-pushed');
      expectStatus(await ctx.request('GET', `/v2/${repo}/tags/list`), [404], 'tags/list of a repository never pushed to');
    },
  },
  {
    id: 'tags.list.unknown-repo-code',
    title: 'tags/list of a repository that does not exist answers the error code NAME_UNKNOWN',
    spec: '§Error Codes (code-9 NAME_UNKNOWN "repository name not known to registry"), §Listing Tags (end-8a)',
    level: 'SHOULD',
    readOnly: true,
    async run(ctx) {
      const repo = ctx.repo('never-pushed');
      const reply = await ctx.request('GET', `/v2/${repo}/tags/list`);
      expectStatus(reply, [404], 'tags/list of a repository never pushed to');
      expectCodeIfJson(reply, ['NAME_UNKNOWN'], 'tags/list of a repository never pushed to');
    },
  },
  {
    id: 'tags.list.untagged',
    title: 'A repository whose only manifest was pushed by digest lists no tags (200, empty, null or absent)',
    spec: '§Listing Tags (end-8a: "Assuming a repository is found, this request MUST return a 200 OK … The list of tags MAY be empty")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo('untagged');
      const config = imageConfig(`untagged ${repo}`);
      const layer = randomBlob(128);
      const manifest = imageManifest(config, [layer]);
      await ctx.pushImage(repo, manifest.digest, config, [layer], manifest);
      const { reply, tags } = await getTags(ctx, repo);
      ensure(tags.length === 0, `tags/list of a repository holding only a manifest pushed by digest names tags: ${shown(tags)}`, reply);
      const name = reply.json<{ name?: unknown }>()?.name;
      ensure(name === repo, `tags/list: "name" is ${JSON.stringify(name)}, expected ${JSON.stringify(repo)}`, reply);
    },
  },
]);
