/**
 * GET /v2/<name>/tags/list[?n=&last=] (spec end-8a/b, "Listing tags"): tags in lexical order;
 * `n` caps the page, `last` is exclusive, n=0 gives an empty list, and a Link header with
 * rel="next" points at the next page while more remain. A page never holds more than the
 * registry's page size, with `n` or without: "the presence of the Link header communicates to
 * the client that the entire result set has not been returned".
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
  const page = after.slice(0, Math.min(n ?? Infinity, ctx.config.pages.tags));
  const headers: Record<string, string> = {};
  const lastOnPage = page.at(-1);
  if (lastOnPage !== undefined && after.length > page.length) {
    const next = new URLSearchParams({ ...(n !== undefined ? { n: String(n) } : {}), last: lastOnPage });
    headers.Link = `</v2/${ctx.name}/tags/list?${next.toString()}>; rel="next"`;
  }
  sendJson(ctx.res, 200, { name: ctx.name, tags: page }, headers);
}
