/**
 * GET /v2/<name>/tags/list[?n=&last=] (spec end-8a/b, "Listing tags"): tags in lexical order;
 * `n` caps the page, `last` is exclusive, n=0 gives an empty list, and a Link header with
 * rel="next" points at the next page while more remain.
 */
import { HttpError } from './errors.ts';
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function listTags(ctx: Context): Promise<void> {
  const query = ctx.url.searchParams;
  const nParam = query.get('n');
  if (nParam !== null && !/^\d+$/.test(nParam)) throw new HttpError('PAGINATION_INVALID', `n=${nParam} is not a non-negative integer`);
  const { faults } = ctx.config;
  const n = nParam === null || faults.has('tags-n-ignored') ? undefined : Number(nParam);
  const last = query.get('last');
  const all = await ctx.config.store.manifests.tags(ctx.name, faults.has('tags-unsorted') ? 'index' : 'lexical');
  let after = last === null ? all : all.filter((tag) => tag > last || (faults.has('tags-last-inclusive') && tag === last));
  if (last !== null && faults.has('tags-paging-skips')) after = after.slice(1);
  const page = n === undefined ? after : after.slice(0, n);
  const headers: Record<string, string> = {};
  const lastOnPage = faults.has('tags-paging-repeats') ? (page.at(-2) ?? page.at(-1)) : page.at(-1);
  if (n !== undefined && lastOnPage !== undefined && after.length > page.length) {
    headers.Link = `</v2/${ctx.name}/tags/list?n=${n}&last=${encodeURIComponent(lastOnPage)}>; rel="next"`;
  }
  sendJson(ctx.res, 200, { name: ctx.name, tags: page }, headers);
}
