/**
 * The whole tag list of a repository as a client reads it (spec "Listing Tags", end-8a/8b): GET
 * tags/list without n, then every page its Link rel="next" leads to, since a registry may cap a
 * page even without n ("the presence of the Link header communicates to the client that the
 * entire result set has not been returned"). Bounded in pages.
 */
import { CheckFailure } from './errors.ts';
import { ensure, expectStatus } from './expect.ts';
import { nextLink } from './headers.ts';
import type { RegistryClient, Reply } from './registry-client.ts';

/** A walk through the Links that has not ended after this many pages never will. */
const MAX_PAGES = 100;

/** The tags of one 200 tags/list page: a list of strings (absent or null is empty). */
export function tagsOfPage(reply: Reply, what: string): string[] {
  const body = reply.json<{ tags?: unknown }>();
  ensure(body !== undefined && typeof body === 'object' && body !== null, `${what}: the body is not JSON`, reply);
  const tags = body.tags ?? [];
  ensure(Array.isArray(tags) && tags.every((t) => typeof t === 'string'), `${what}: "tags" is not a list of strings`, reply);
  return tags as string[];
}

/** After the first page `first` (a 200 to GET `path`), the tags of it and of every page its Links lead to, and how many pages that was. */
export async function followTagPages(client: RegistryClient, first: Reply, path: string, what: string): Promise<{ tags: string[]; pages: number }> {
  const tags = tagsOfPage(first, `${what}: GET ${path}`);
  let next = nextLink(first, `${what}: GET ${path}`);
  let pages = 1;
  for (; next !== undefined; pages += 1) {
    if (pages >= MAX_PAGES) throw new CheckFailure(`${what}: the Links of GET ${path} had not ended after ${MAX_PAGES} pages`);
    const reply = await client.request('GET', next);
    expectStatus(reply, [200], `${what}: GET ${next} (the Link of page ${pages})`);
    tags.push(...tagsOfPage(reply, `${what}: GET ${next}`));
    next = nextLink(reply, `${what}: GET ${next}`);
  }
  return { tags, pages };
}
