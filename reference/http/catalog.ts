/**
 * GET /v2/_catalog[?n=&last=]: the repositories of the registry, as the Docker Registry HTTP API
 * V2 defines it ("Listing Repositories"): `{"repositories": [...]}` in lexical order, `n` caps the
 * page, `last` is exclusive, and `Link: </v2/_catalog?n=…&last=…>; rel="next"` points at the rest
 * while more remain. The OCI spec has no catalog endpoint (its table is end-1 … end-14; its
 * drafts: "The `_catalog` api is reserved for historical usage. Registries MAY implement
 * `_catalog`, but are NOT required"); skopeo, regctl and crane use it. A page never exceeds the
 * configured maximum (`touchstone serve --catalog-page-size`): without `n`, or with a larger one,
 * the page is that size and the Link carries it. A repository is listed when it exists, that is
 * when it holds index.json — exactly when its tags/list answers 200 — so a directory a crash left
 * without index.json is not, and a repository whose manifests were all deleted still is.
 */
import { requestAccess } from '../auth/request-access.ts';
import { HttpError } from './errors.ts';
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function listCatalog(ctx: Context): Promise<void> {
  const query = ctx.url.searchParams;
  const nParam = query.get('n');
  if (nParam !== null && !/^\d+$/.test(nParam)) throw new HttpError('PAGINATION_INVALID', `n=${nParam} is not a non-negative integer`);
  const max = ctx.config.pages.catalog;
  const n = nParam === null ? max : Math.min(Number(nParam), max);
  const last = query.get('last');
  const { layout } = ctx.config.store;
  // With access control, only what the caller may pull: the catalog reveals nothing else.
  const access = requestAccess(ctx.req);
  const candidates = (await layout.listRepositories()).filter((name) => (last === null || name > last) && (access?.canPull(name) ?? true));
  // One more than the page tells whether a Link is due; stat only as far as that.
  const page: string[] = [];
  let more = false;
  for (const name of candidates) {
    if (!(await layout.repoExists(name))) continue;
    if (page.length === n) {
      more = true;
      break;
    }
    page.push(name);
  }
  const headers: Record<string, string> = {};
  const lastOnPage = page.at(-1);
  if (more && lastOnPage !== undefined) headers.Link = `</v2/_catalog?n=${n}&last=${encodeURIComponent(lastOnPage)}>; rel="next"`;
  sendJson(ctx.res, 200, { repositories: page }, headers);
}
