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
  const n = nParam === null ? undefined : Number(nParam);
  const last = query.get('last');
  const all = await ctx.config.store.manifests.tags(ctx.name);
  const after = last === null ? all : all.filter((tag) => tag > last);
  const page = n === undefined ? after : after.slice(0, n);
  const headers: Record<string, string> = {};
  const lastOnPage = page.at(-1);
  if (n !== undefined && lastOnPage !== undefined && after.length > page.length) {
    headers.Link = `</v2/${ctx.name}/tags/list?n=${n}&last=${encodeURIComponent(lastOnPage)}>; rel="next"`;
  }
  sendJson(ctx.res, 200, { name: ctx.name, tags: page }, headers);
}
