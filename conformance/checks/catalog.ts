/**
 * The catalog, GET /v2/_catalog[?n=&last=] (Docker Registry HTTP API V2, "Listing Repositories"):
 * an optional area. The OCI spec has no catalog endpoint (its table is end-1 … end-14; its
 * drafts: "The `_catalog` api is reserved for historical usage. Registries MAY implement
 * `_catalog`, but are NOT required"), so every check is a SHOULD and not normative, and the
 * area is skipped with the reason when the registry answers 404 or 405, or refuses the run's
 * credentials (401, 403: catalogs are often for administrators only).
 *
 * The Docker API: `{"repositories": [...]}`, "ordered lexically" (byte order, or path component
 * by path component as CNCF Distribution walks its storage: either passes), the first `n`
 * entries, entries "start after the term specified by last", and "if there are indeed more
 * results, the URL for the next block is encoded in an RFC5988 Link header, as a next relation".
 * A writing run pushes four repositories (once; the checks only read them) under one fresh prefix whose byte order and
 * component order differ (a, a-b, a/b, b) in neither order, and looks at them through
 * `last=<prefix>`; a read-only run looks at the start of the registry's catalog. A repository
 * listed must exist — which this suite reads as "its tags/list answers 200" (spec end-8a: "Assuming
 * a repository is found"), so a repository whose only manifest was deleted may be listed exactly
 * when its tags/list still answers 200 — and a name never pushed to must not be listed.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectStatus } from '../client/expect.ts';
import { requestPath } from '../client/exchange.ts';
import { nextLink } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { EMPTY_CONFIG, artifactManifest } from '../content.ts';
import { NAME_PATTERN } from '../../spec/grammars.ts';
import { compareCodePoints } from '../tag-order.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

const SPEC = 'Docker Registry HTTP API V2 "Listing Repositories" (not an OCI requirement: "Registries MAY implement `_catalog`")';
/** Page size for n, last, Link and paging: smaller than the four repositories looked at, and more than two (a page's last name is then not its second). */
const PAGE = 3;
/** Page size when walking to the end of the catalog. */
const END_PAGE = 100;
/** Page size when looking a name up. */
const LOOKUP_PAGE = 20;
const MAX_PAGES = 50;
const ARTIFACT_TYPE = 'application/vnd.touchstone.catalog.v1';

interface Order {
  readonly name: string;
  readonly compare: (a: string, b: string) => number;
}

function compareComponents(a: string, b: string): number {
  const [x, y] = [a.split('/'), b.split('/')];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const c = compareCodePoints(x[i] as string, y[i] as string);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

const ORDERS: readonly Order[] = [
  { name: 'byte order', compare: compareCodePoints },
  { name: 'path-component order (as CNCF Distribution walks its storage)', compare: compareComponents },
];

function ordersOf(names: readonly string[]): Order[] {
  return ORDERS.filter((order) => names.every((name, i) => i === 0 || order.compare(names[i - 1] as string, name) < 0));
}

const shown = (names: readonly string[]): string => JSON.stringify(names);

/** The repositories of a 200 catalog page; absent or null is the empty list. */
function namesIn(reply: Reply, what: string): string[] {
  expectStatus(reply, [200], what);
  const body = reply.json<{ repositories?: unknown }>();
  ensure(typeof body === 'object' && body !== null && !Array.isArray(body), `${what}: the body is not the JSON object {"repositories": [...]}`, reply);
  const names = body.repositories ?? [];
  ensure(Array.isArray(names) && names.every((n) => typeof n === 'string'), `${what}: "repositories" is not a list of strings: ${JSON.stringify(names)}`, reply);
  return names as string[];
}

function catalogPath(n: number | undefined, last: string | undefined): string {
  const query = [n === undefined ? '' : `n=${n}`, last === undefined ? '' : `last=${encodeURIComponent(last)}`].filter((p) => p !== '').join('&');
  return `/v2/_catalog${query === '' ? '' : `?${query}`}`;
}

/** Why the registry does not offer the catalog to this run (its answer to GET /v2/_catalog), or undefined when it does. */
function unavailable(ctx: CheckContext, reply: Reply): string | undefined {
  if (reply.status === 404 || reply.status === 405) return `the registry does not offer /v2/_catalog (answered ${reply.status}): the catalog is optional`;
  if (reply.status === 401 || reply.status === 403) {
    return ctx.config.username === undefined
      ? `/v2/_catalog answered ${reply.status} and the run has no credentials (--username, --password)`
      : `/v2/_catalog answered ${reply.status} to the run's credentials: catalogs are often for administrators only`;
  }
  return undefined;
}

/** Skips the check when the registry does not offer the catalog to this run; else its first page. */
async function offered(ctx: CheckContext): Promise<string[]> {
  const reply = await ctx.request('GET', '/v2/_catalog');
  const reason = unavailable(ctx, reply);
  if (reason !== undefined) ctx.skip(reason);
  return namesIn(reply, 'GET /v2/_catalog');
}

/**
 * For other areas (persistence.restart): why the registry does not offer the catalog to this run,
 * as the catalog checks decide it, or undefined when it answers 200 with a list of repositories.
 */
export async function catalogUnavailable(ctx: CheckContext): Promise<string | undefined> {
  const reply = await ctx.request('GET', '/v2/_catalog');
  const reason = unavailable(ctx, reply);
  if (reason === undefined) namesIn(reply, 'GET /v2/_catalog');
  return reason;
}

interface Walk {
  readonly names: string[];
  readonly pages: number;
  readonly ways: Set<string>;
}

/** Pages from `last=start` by `n`, following Link (else last= after a full page) until `done` or the end. */
async function walk(ctx: CheckContext, start: string | undefined, n: number, done: (names: readonly string[]) => boolean): Promise<Walk> {
  const names: string[] = [];
  const ways = new Set<string>();
  let url: string | undefined = catalogPath(n, start);
  let pages = 0;
  while (url !== undefined && !done(names)) {
    pages += 1;
    ensure(pages <= MAX_PAGES, `paging the catalog by ${n} did not end after ${MAX_PAGES} pages (following ${[...ways].join(' and ')})`);
    const what = `page ${pages} (GET ${requestPath(url)})`;
    const reply = await ctx.request('GET', url);
    const page = namesIn(reply, what);
    ensure(page.length <= n, `${what}: ${page.length} repositories for n=${n}: ${shown(page)}`, reply);
    names.push(...page);
    const next = nextLink(reply, what);
    const last = page.at(-1);
    if (next !== undefined) {
      ways.add('Link');
      url = next;
    } else if (last !== undefined && page.length === n) {
      ways.add('last=');
      url = catalogPath(n, last);
    } else {
      url = undefined;
    }
  }
  return { names, pages, ways };
}

/** Whether `name` is listed: a walk from just before it (its name less the last character). */
export async function listed(ctx: CheckContext, name: string): Promise<boolean> {
  const before = name.slice(0, -1);
  const { names } = await walk(ctx, before, LOOKUP_PAGE, (seen) => seen.includes(name) || seen.some((n) => !n.startsWith(before)));
  return names.includes(name);
}

interface Region {
  /** The `last` the region starts after (undefined: the start of the catalog). */
  readonly start: string | undefined;
  /** Its repositories in the registry's order, as one listing gives them. */
  readonly names: readonly string[];
  /** True when this run pushed them (their set is known). */
  readonly pushed: boolean;
  /** Whether a repository name belongs to the region. */
  readonly holds: (name: string) => boolean;
}

/**
 * The repositories a check looks at. Writing: four pushed under a fresh prefix, pushed in an
 * order sorted in neither order, listed through `last=<prefix>`, once per run. Read-only (or
 * without push): the first repositories of the registry's own catalog, skipped when there are
 * no more than PAGE. `strict`: a pushed repository missing from the listing fails the setup.
 */
async function region(ctx: CheckContext, first: readonly string[], strict = true): Promise<Region & { missing: readonly string[] }> {
  const writes = !ctx.config.readOnly && ctx.config.capabilities.push;
  // The pushed repositories are only read: the checks of one run share them (one push, not eight).
  let pushed = writes ? PUSHED.get(ctx) : undefined;
  if (writes && pushed === undefined) {
    pushed = pushRegion(ctx);
    PUSHED.set(ctx, pushed);
  }
  const area = await (pushed ?? readRegion(ctx, first));
  ensure(!strict || area.missing.length === 0, `setup: GET ${catalogPath(LOOKUP_PAGE, area.start)} does not list repositories just pushed (see catalog.list.pushed): ${shown(area.missing)}`);
  return area;
}

const PUSHED = new WeakMap<CheckContext, Promise<Region & { missing: readonly string[] }>>();

async function readRegion(ctx: CheckContext, first: readonly string[]): Promise<Region & { missing: readonly string[] }> {
  const known = first.length > PAGE ? first : (await walk(ctx, undefined, LOOKUP_PAGE, (seen) => seen.length > PAGE)).names;
  if (known.length <= PAGE) ctx.skip(`the catalog lists ${known.length} repositories: too few to page by ${PAGE} (at least ${PAGE + 1} needed)`);
  const names = known.slice(0, PAGE + 1);
  return { start: undefined, names, pushed: false, holds: (name) => names.includes(name), missing: [] };
}

async function pushRegion(ctx: CheckContext): Promise<Region & { missing: readonly string[] }> {
  const base = ctx.repo('catalog');
  const pushed = [`${base}/b`, `${base}/a/b`, `${base}/a`, `${base}/a-b`];
  for (const repo of pushed) {
    ctx.created.add(repo);
    await ctx.pushBlob(repo, EMPTY_CONFIG);
    await ctx.pushManifest(repo, 'latest', artifactManifest(undefined, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.repository': repo }));
  }
  const holds = (name: string): boolean => name.startsWith(`${base}/`);
  const { names } = await walk(ctx, base, LOOKUP_PAGE, (seen) => seen.some((n) => !holds(n)));
  const mine = names.filter(holds);
  const missing = pushed.filter((name) => !mine.includes(name));
  return { start: base, names: mine, pushed: true, holds, missing };
}

export default defineChecks([
  {
    id: 'catalog.list.format',
    title: 'GET /v2/_catalog answers 200 with {"repositories": [...]}, each a repository name, each once',
    spec: `${SPEC}: "200 OK … {"repositories": [<name>, …]}"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const names = await offered(ctx);
      const invalid = names.filter((name) => !NAME_PATTERN.test(name));
      ensure(invalid.length === 0, `/v2/_catalog lists names that are no repository names: ${shown(invalid.slice(0, 10))}`);
      const repeated = names.filter((name, i) => names.indexOf(name) !== i);
      ensure(repeated.length === 0, `/v2/_catalog lists repositories more than once: ${shown(repeated.slice(0, 10))}`);
      return `${names.length} repositories on the first page`;
    },
  },
  {
    id: 'catalog.list.pushed',
    title: 'Repositories that exist are listed: the ones pushed (or, read-only, the ones of --image)',
    spec: `${SPEC}: "The list of available repositories is made available through the catalog"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const first = await offered(ctx);
      if (!ctx.config.readOnly && ctx.config.capabilities.push) {
        const { names, missing, start } = await region(ctx, first, false);
        ensure(missing.length === 0, `repositories just pushed are not listed (GET ${catalogPath(LOOKUP_PAGE, start)} and its next pages): ${shown(missing)}; listed there: ${shown(names)}`);
        ensure((await offered(ctx)).length > 0, `GET /v2/_catalog without n lists no repository, yet the ${names.length} just pushed are listed from last=${start}`);
        return `the ${names.length} repositories pushed are listed`;
      }
      const existing = ctx.config.existing;
      const repos = [...new Set([...(existing?.images ?? []), ...(existing?.blobs ?? []), ...(existing?.referrers ?? [])].map((e) => e.repo))];
      if (repos.length === 0) ctx.skip('read-only without existing content (--image): no repository known to exist');
      for (const repo of repos) ensure(await listed(ctx, repo), `${repo} (of --image) holds content but is not listed in /v2/_catalog (looked up from last=${repo.slice(0, -1)})`);
      return `${repos.length} repositories listed`;
    },
  },
  {
    id: 'catalog.list.order',
    title: 'The catalog is in lexical order: byte order or path-component order (either passes)',
    spec: `${SPEC}: "ordered lexically"; "represented abstractly as a lexically sorted list"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      const followed = ordersOf(area.names);
      ensure(followed.length > 0, `the catalog is in neither byte order nor path-component order: ${shown(area.names)}; byte order would be ${shown([...area.names].sort(compareCodePoints))}`);
      return `sorted in ${followed.map((o) => o.name).join(' and in ')}`;
    },
  },
  {
    id: 'catalog.list.n',
    title: `?n=${PAGE} answers exactly the first ${PAGE} repositories when more exist`,
    spec: `${SPEC}: "a catalog response should be returned, from the start of the result set, ordered lexically, limiting the number of results to n"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      const path = catalogPath(PAGE, area.start);
      const reply = await ctx.request('GET', path);
      const names = namesIn(reply, `GET ${path}`);
      ensure(names.length <= PAGE, `GET ${path} answered ${names.length} repositories, more than n (n ignored?): ${shown(names)}`, reply);
      ensure(shown(names) === shown(area.names.slice(0, PAGE)), `GET ${path} answered ${shown(names)}, not the first ${PAGE} of ${shown(area.names)}`, reply);
    },
  },
  {
    id: 'catalog.list.last',
    title: '?last=<name> answers the repositories after <name>, never <name> itself',
    spec: `${SPEC}: "The entries in the response start after the term specified by last, up to n entries"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      const last = area.names[0] as string;
      const path = catalogPath(PAGE, last);
      const reply = await ctx.request('GET', path);
      const names = namesIn(reply, `GET ${path}`);
      ensure(!names.includes(last), `GET ${path} includes ${last} itself: last is exclusive (${shown(names)})`, reply);
      const expected = area.names.slice(1, 1 + PAGE);
      ensure(shown(names) === shown(expected), `GET ${path} answered ${shown(names)}, not the repositories that follow ${last}: ${shown(expected)}`, reply);
    },
  },
  {
    id: 'catalog.list.link',
    title: 'A page with more repositories after it carries Link: <…>; rel="next" (RFC 5988)',
    spec: `${SPEC}: "If there are indeed more results, the URL for the next block is encoded in an RFC5988 Link header, as a \\"next\\" relation"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      const path = catalogPath(PAGE, area.start);
      const reply = await ctx.request('GET', path);
      namesIn(reply, `GET ${path}`);
      const next = nextLink(reply, `GET ${path}`);
      if (next === undefined) throw new CheckFailure(`GET ${path}: no Link header, though ${area.names.length - PAGE} more repositories follow (${shown(area.names)})`, reply.exchange);
      const following = namesIn(await ctx.request('GET', next), `GET the Link ${next}`);
      ensure(following[0] === area.names[PAGE], `the Link ${next} starts at ${String(following[0])}, not at ${String(area.names[PAGE])} which follows the first page`);
    },
  },
  {
    id: 'catalog.list.paging',
    title: `Paging by ${PAGE}, by Link (or last= without one), yields every repository once, in order`,
    spec: `${SPEC}: "The above process should then be repeated until the Link header is no longer set"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      const stop = area.pushed ? (seen: readonly string[]) => seen.some((n) => !area.holds(n)) : (seen: readonly string[]) => seen.length >= area.names.length;
      const { names, pages, ways } = await walk(ctx, area.start, PAGE, stop);
      const seen = area.pushed ? names.filter(area.holds) : names.slice(0, area.names.length);
      const how = `paging by ${PAGE} (${pages} pages${ways.size === 0 ? '' : `, following ${[...ways].join(' and ')}`})`;
      ensure(shown(seen) === shown(area.names), `${how} gave ${shown(seen)}, one listing gives ${shown(area.names)}`);
      return how;
    },
  },
  {
    id: 'catalog.list.n-invalid',
    title: 'An n that is not a count (abc, -1, 2.5) is refused with 4xx or ignored (a valid list), never a server error',
    spec: `${SPEC}: n is "the number of entries"; nothing is said of other values, so a registry may refuse or ignore them`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      await offered(ctx);
      for (const n of ['abc', '-1', '2.5']) {
        const path = `/v2/_catalog?n=${n}`;
        const reply = await ctx.request('GET', path);
        if (reply.status >= 400 && reply.status < 500) continue;
        namesIn(reply, `GET ${path} (not refused with 4xx, so n must be ignored)`);
      }
      return 'every n that is not a count refused with 4xx or ignored';
    },
  },
  {
    id: 'catalog.list.no-link-when-complete',
    title: 'The last page of the catalog carries no Link: a Link never leads to an empty page',
    spec: `${SPEC}: "If there are indeed more results, the URL for the next block is encoded in an RFC5988 Link header"`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const area = await region(ctx, await offered(ctx));
      let url: string | undefined = catalogPath(END_PAGE, area.start);
      let before: string | undefined;
      for (let pages = 1; url !== undefined; pages += 1) {
        if (pages > MAX_PAGES) ctx.skip(`the catalog after ${area.start} did not end within ${MAX_PAGES} pages of ${END_PAGE}`);
        const what: string = `page ${pages} from last=${area.start} (GET ${requestPath(url)})`;
        const reply = await ctx.request('GET', url);
        const names = namesIn(reply, what);
        if (before !== undefined) ensure(names.length > 0, `the Link of the page ending at ${before} led to an empty page (${what}): no more repositories were there`, reply);
        before = names.at(-1);
        url = nextLink(reply, what);
      }
      return 'the walk to the end of the catalog ended on a page without Link';
    },
  },
  {
    id: 'catalog.list.exists',
    title: 'Only repositories that exist are listed: never a name no one pushed to; a listed one answers tags/list 200',
    spec: `${SPEC}: "the presence of a repository in the catalog listing only means that the registry may provide access to the repository"; §Listing Tags (end-8a: "Assuming a repository is found")`,
    level: 'SHOULD',
    nonNormative: true,
    readOnly: true,
    async run(ctx) {
      const first = await offered(ctx);
      const never = ctx.repo('never-pushed');
      ensure(!(await listed(ctx, never)), `/v2/_catalog lists ${never}, a repository no one pushed to`);
      for (const name of first.slice(0, 5)) {
        const reply = await ctx.request('GET', `/v2/${name}/tags/list`);
        ensure(reply.status === 200, `/v2/_catalog lists ${name}, whose tags/list answers ${reply.status}: the catalog and tags/list disagree on whether it exists`, reply);
      }
      if (ctx.config.readOnly || !ctx.config.capabilities.push || !ctx.config.capabilities.manifestDeletes) return 'a name never pushed is not listed';
      const repo = ctx.repo('catalog-deleted');
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      const manifest = artifactManifest(undefined, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.repository': repo });
      await ctx.pushManifest(repo, manifest.digest, manifest);
      expectStatus(await ctx.request('DELETE', `/v2/${repo}/manifests/${manifest.digest}`), [202], 'setup: DELETE the only manifest of a repository');
      const tags = await ctx.request('GET', `/v2/${repo}/tags/list`);
      const shownAfter = await listed(ctx, repo);
      ensure(shownAfter === (tags.status === 200), `${repo}, whose only manifest was deleted, is ${shownAfter ? '' : 'not '}listed while its tags/list answers ${tags.status}: the catalog and tags/list disagree on whether it exists`, tags);
      return `a name never pushed is not listed; a repository whose only manifest was deleted is ${shownAfter ? 'still listed (tags/list 200)' : 'no longer listed (tags/list 404)'}`;
    },
  },
]);
