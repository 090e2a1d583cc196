/**
 * The catalog checks (conformance/checks/catalog.ts) against the reference registry — every one
 * passes, with a large and a small maximum page, writing and read-only — and behind a tampering
 * proxy that breaks one rule at a time (list reordered, n ignored, last inclusive, Link dropped, a
 * name never pushed listed, pushed repositories missing) or offers no catalog (404, 401).
 */
import t, { type Test } from 'tap';
import catalog from '../../../conformance/checks/catalog.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { pushImage } from '../../helpers/oci.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, withHeaders, type Forward, type TamperRequest, type TamperResponse } from '../../helpers/tamper-proxy.ts';
import type { RunConfig } from '../../../conformance/config.ts';

const ALL = catalog.map((c) => c.id);

const isCatalog = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname === '/v2/_catalog';

/** A catalog answer with its repositories rewritten by `change`. */
async function rewritten(forward: Forward, change: (names: string[]) => string[], path?: string): Promise<TamperResponse> {
  const response = await forward(path === undefined ? {} : { path });
  if (response.status !== 200) return response;
  const body = JSON.parse(response.body.toString('utf8')) as { repositories: string[] };
  return { ...response, body: Buffer.from(JSON.stringify({ repositories: change(body.repositories) })) };
}

function expectOnly(t: Test, results: Map<string, { status: string }>, failing: readonly string[], status: string): void {
  for (const id of ALL) t.equal(results.get(id)?.status, failing.includes(id) ? status : 'pass', `${id}: ${describeResult(results as never, id)}`);
}

t.test('every catalog check passes against the reference registry, large and small pages', async (t) => {
  t.ok(catalog.length >= 8, 'the catalog checks are all there');
  for (const catalogPageSize of [100, 3]) {
    const registry = await startTestRegistry(t, { catalogPageSize });
    const results = await runChecks(t, registry.url, catalog, ALL);
    for (const c of catalog) {
      t.equal(results.get(c.id)?.status, 'pass', `page size ${catalogPageSize}: ${c.id}: ${describeResult(results, c.id)}`);
      t.equal(c.level, 'SHOULD', `${c.id} is a SHOULD: the catalog is no OCI requirement`);
      t.ok(c.nonNormative && c.readOnly, `${c.id} is not normative and runs read-only`);
    }
    t.match(results.get('catalog.list.order')?.message, /byte order/);
    t.match(results.get('catalog.list.exists')?.message, /still listed \(tags\/list 200\)/);
  }
});

t.test('read-only, the checks look at the existing catalog and the repositories of --image', async (t) => {
  const registry = await startTestRegistry(t, { catalogPageSize: 3 });
  for (const name of ['lib/alpine', 'lib/busybox', 'app', 'app/web']) await pushImage(registry.url, name, 'v1', name);
  const config: Partial<RunConfig> = { readOnly: true, existing: { images: [{ repo: 'lib/busybox', tag: 'v1' }], blobs: [], referrers: [] } };
  const before = registry.logs.length;
  const results = await runChecks(t, registry.url, catalog, ALL, config);
  for (const id of ALL) t.equal(results.get(id)?.status, 'pass', `${id}: ${describeResult(results, id)}`);
  const writes = registry.logs.slice(before).filter((e) => !['GET', 'HEAD'].includes(e.method));
  t.same(writes, [], 'nothing written');
  const missing = await runChecks(t, registry.url, catalog, ['catalog.list.pushed'], { ...config, existing: { images: [{ repo: 'lib/nothere', tag: 'v1' }], blobs: [], referrers: [] } });
  t.equal(missing.get('catalog.list.pushed')?.status, 'warn', describeResult(missing, 'catalog.list.pushed'));
  const few = await startTestRegistry(t);
  await pushImage(few.url, 'only/one', 'v1', 'one');
  const skipped = await runChecks(t, few.url, catalog, ['catalog.list.n'], config);
  t.equal(skipped.get('catalog.list.n')?.status, 'skip');
  t.match(skipped.get('catalog.list.n')?.message, /too few to page/);
});

t.test('a registry without a catalog, or refusing it, skips the area with the reason', async (t) => {
  const none = await tamperedChecks(t, (request) => (isCatalog(request) ? errorReply(404, 'NAME_UNKNOWN') : undefined), catalog, ALL);
  for (const id of ALL) {
    t.equal(none.get(id)?.status, 'skip', `${id}: ${describeResult(none, id)}`);
    t.match(none.get(id)?.message, /does not offer \/v2\/_catalog \(answered 404\)/);
  }
  const refused = await tamperedChecks(t, (request) => (isCatalog(request) ? errorReply(401, 'UNAUTHORIZED', { 'WWW-Authenticate': 'Basic realm="admin"' }) : undefined), catalog, ['catalog.list.format']);
  t.equal(refused.get('catalog.list.format')?.status, 'skip');
  t.match(refused.get('catalog.list.format')?.message, /answered 401 and the run has no credentials/);
});

t.test('each broken rule warns in its check and only there', async (t) => {
  const reversed = await tamperedChecks(t, (request, forward) => (isCatalog(request) ? rewritten(forward, (names) => [...names].reverse()) : undefined), catalog, ['catalog.list.order']);
  t.equal(reversed.get('catalog.list.order')?.status, 'warn', describeResult(reversed, 'catalog.list.order'));
  t.match(reversed.get('catalog.list.order')?.message, /neither byte order nor path-component order/);

  const nIgnored = await tamperedChecks(t, (request, forward) => {
    if (!isCatalog(request) || !request.url.searchParams.has('n')) return undefined;
    const query = new URLSearchParams(request.url.searchParams);
    query.delete('n');
    return forward({ path: `/v2/_catalog?${query.toString()}` });
  }, catalog, ['catalog.list.n']);
  t.equal(nIgnored.get('catalog.list.n')?.status, 'warn', describeResult(nIgnored, 'catalog.list.n'));

  const inclusive = await tamperedChecks(t, (request, forward) => {
    const last = request.url.searchParams.get('last');
    return isCatalog(request) && last !== null ? rewritten(forward, (names) => [last, ...names].slice(0, Number(request.url.searchParams.get('n') ?? 100))) : undefined;
  }, catalog, ['catalog.list.last']);
  t.equal(inclusive.get('catalog.list.last')?.status, 'warn', describeResult(inclusive, 'catalog.list.last'));
  t.match(inclusive.get('catalog.list.last')?.message, /last is exclusive/);

  const noLink = await tamperedChecks(t, async (request, forward) => (isCatalog(request) ? withHeaders(await forward(), { link: undefined }) : undefined), catalog, ['catalog.list.link', 'catalog.list.paging']);
  t.equal(noLink.get('catalog.list.link')?.status, 'warn', describeResult(noLink, 'catalog.list.link'));
  t.equal(noLink.get('catalog.list.paging')?.status, 'pass', 'paging by last= still works without Link');
  t.match(noLink.get('catalog.list.paging')?.message, /following last=/);

  const ghost = await tamperedChecks(t, (request, forward) => (isCatalog(request) ? rewritten(forward, (names) => [...names, ...['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${request.url.searchParams.get('last') ?? ''}${x}`)].sort()) : undefined), catalog, ['catalog.list.exists']);
  t.equal(ghost.get('catalog.list.exists')?.status, 'warn', describeResult(ghost, 'catalog.list.exists'));

  const hidden = await tamperedChecks(t, (request, forward) => (isCatalog(request) ? rewritten(forward, (names) => names.filter((n) => !n.endsWith('/a-b'))) : undefined), catalog, ALL);
  expectOnly(t, hidden as never, ['catalog.list.pushed', 'catalog.list.order', 'catalog.list.n', 'catalog.list.last', 'catalog.list.link', 'catalog.list.paging', 'catalog.list.no-link-when-complete'], 'warn');
  t.match(hidden.get('catalog.list.pushed')?.message, /just pushed are not listed/);

  // The catalog.ts mutants: a Link on every page, the last one included; no repository without n.
  const linkAlways = await tamperedChecks(t, async (request, forward) => {
    if (!isCatalog(request) || request.url.searchParams.get('n') !== '100') return undefined;
    const response = await forward();
    return response.headers.link === undefined ? withHeaders(response, { link: `</v2/_catalog?n=100&last=${'z'.repeat(40)}>; rel="next"` }) : response;
  }, catalog, ['catalog.list.no-link-when-complete']);
  t.equal(linkAlways.get('catalog.list.no-link-when-complete')?.status, 'warn', describeResult(linkAlways, 'catalog.list.no-link-when-complete'));
  t.match(linkAlways.get('catalog.list.no-link-when-complete')?.message, /led to an empty page/);
  const crashes = await tamperedChecks(t, (request) => (isCatalog(request) && request.url.searchParams.get('n') === 'abc' ? errorReply(500, 'UNKNOWN') : undefined), catalog, ['catalog.list.n-invalid']);
  t.equal(crashes.get('catalog.list.n-invalid')?.status, 'warn', describeResult(crashes, 'catalog.list.n-invalid'));
  const emptyWithoutN = await tamperedChecks(t, (request, forward) => (isCatalog(request) && !request.url.searchParams.has('n') ? rewritten(forward, () => []) : undefined), catalog, ['catalog.list.pushed']);
  t.equal(emptyWithoutN.get('catalog.list.pushed')?.status, 'warn', describeResult(emptyWithoutN, 'catalog.list.pushed'));
  t.match(emptyWithoutN.get('catalog.list.pushed')?.message, /without n lists no repository/);
});
