/**
 * ListTags: the tag list of a repository, whole and page by page (spec "Listing Tags", end-8a,
 * end-8b). The whole list holds exactly the model's tags, each once, in lexical order — read as
 * code-point order or as case-insensitive order, the two readings of "lexical order (i.e.
 * case-insensitive alphanumeric order)" registries implement. With a page size n: n=0 gives an
 * empty list and no Link; each page has exactly n tags unless it is the last or a Link follows;
 * `last` is exclusive; following Link (or last= when there is no Link) walks the whole list once,
 * in order, with no gap and no repeat.
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { ensure, expectStatus } from '../../client/expect.ts';
import { requestPath } from '../../client/exchange.ts';
import { nextLink } from '../../client/headers.ts';
import { followTagPages, tagsOfPage } from '../../client/tag-list.ts';
import { compareCodePoints, ordersOf } from '../../tag-order.ts';
import { repoIndex } from '../arbitraries.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface ListTagsParams {
  readonly repo: number;
  /** Page size; undefined lists without n. */
  readonly n: number | undefined;
}

/** At most this many pages: a registry whose Links never end fails instead of looping. */
const MAX_PAGES = 100;

export class ListTags extends Step {
  readonly p: ListTagsParams;

  constructor(p: ListTagsParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const base = `/v2/${repo.name}/tags/list`;
    const whole = await world.client.request('GET', base);
    if (repo.tags.size === 0 && repo.manifests.size === 0 && whole.status === 404) return; // no such repository yet
    expectStatus(whole, [200], `${label}: GET ${base}`);
    const { tags: all } = await followTagPages(world.client, whole, base, label);
    const modelTags = [...repo.tags.keys()].sort(compareCodePoints);
    ensure([...all].sort(compareCodePoints).join('\n') === modelTags.join('\n'), `${label}: GET ${base}: expected the tags [${modelTags.join(', ')}], got [${all.join(', ')}]`, whole);
    ensure(ordersOf(all).length > 0, `${label}: GET ${base}: tags [${all.join(', ')}] are not in lexical order (neither code-point nor case-insensitive)`, whole);
    // Pages must follow the registry's own order of the whole list (ties of a fold included).
    const expected = all;
    if (this.p.n === undefined) return;
    const n = this.p.n;

    if (n === 0) {
      const reply = await world.client.request('GET', `${base}?n=0`);
      expectStatus(reply, [200], `${label}: GET ${base}?n=0`);
      const page = tagsOfPage(reply, `${label}: GET ${base}?n=0`);
      ensure(page.length === 0, `${label}: GET ${base}?n=0: "When n is zero, this endpoint MUST return an empty list", got [${page.join(', ')}]`, reply);
      ensure(reply.header('link') === undefined, `${label}: GET ${base}?n=0: a Link header (${reply.header('link')}), which n=0 MUST NOT have`, reply);
      return;
    }

    const walked: string[] = [];
    let url = world.client.resolve(`${base}?n=${n}`);
    for (let pages = 0; ; pages += 1) {
      if (pages === MAX_PAGES) throw new CheckFailure(`${label}: paging ${base} with n=${n} did not end after ${MAX_PAGES} pages`);
      const reply = await world.client.request('GET', url);
      const asked = new URL(url);
      const what = `${label}: GET ${requestPath(url)}`;
      expectStatus(reply, [200], what);
      const page = tagsOfPage(reply, what);
      const last = asked.searchParams.get('last');
      if (last !== null) ensure(!page.includes(last), `${what}: the page holds ${JSON.stringify(last)} itself, but last is exclusive`, reply);
      const link = nextLink(reply, what);
      ensure(page.length <= n, `${what}: ${page.length} tags on a page of n=${n}`, reply);
      const remaining = expected.length - walked.length;
      ensure(page.length === Math.min(n, remaining) || link !== undefined,
        `${what}: ${page.length} tags where ${Math.min(n, remaining)} remain — fewer than n only at the end or with a Link header`, reply);
      const from = walked.length;
      walked.push(...page);
      ensure(page.every((tag, i) => expected[from + i] === tag),
        `${what}: page [${page.join(', ')}] is not the next ${page.length} of [${expected.join(', ')}] after [${expected.slice(0, from).join(', ')}] (a repeat, a gap, or out of order)`, reply);
      if (link !== undefined) {
        url = link;
        continue;
      }
      if (page.length < n || walked.length >= expected.length) break;
      url = world.client.resolve(`${base}?n=${n}&last=${encodeURIComponent(page.at(-1) as string)}`);
    }
    ensure(walked.length === expected.length, `${label}: paging ${base} with n=${n} gave [${walked.join(', ')}], expected [${expected.join(', ')}]`);
  }

  toString(): string {
    return `ListTags(repo ${this.p.repo}${this.p.n === undefined ? '' : `, n=${this.p.n}`})`;
  }
}

export const listTagsCommand: fc.Arbitrary<ListTags> = fc
  .record({ repo: repoIndex, n: fc.option(fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 6 })), { nil: undefined, freq: 4 }) })
  .map((p) => new ListTags(p));
