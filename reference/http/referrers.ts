/**
 * GET /v2/<name>/referrers/<digest>[?artifactType=] (spec end-12a/b, "Listing referrers"): an
 * image index of every manifest whose subject is <digest>, each descriptor with its artifactType
 * and annotations; filtered by artifactType with OCI-Filters-Applied; paged with a Link header.
 * Never 404: an unknown digest or repository has no referrers.
 */
import { OCI_INDEX } from '../../spec/media-types.ts';
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function listReferrers(ctx: Context): Promise<void> {
  const query = ctx.url.searchParams;
  const artifactType = query.get('artifactType') ?? undefined;
  const after = query.get('last');
  const all = await ctx.config.store.manifests.referrers(ctx.name, ctx.ref, artifactType);
  const remaining = after === null ? all : all.filter((d) => d.digest > after);
  const size = ctx.config.pages.referrers;
  const page = remaining.slice(0, size);
  const headers: Record<string, string> = {};
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  const lastOnPage = page.at(-1);
  if (remaining.length > page.length && lastOnPage !== undefined) {
    const next = new URLSearchParams({ ...(artifactType !== undefined ? { artifactType } : {}), last: lastOnPage.digest });
    headers.Link = `</v2/${ctx.name}/referrers/${ctx.ref}?${next.toString()}>; rel="next"`;
  }
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: page }, headers, OCI_INDEX);
}
