/**
 * The referrers checks (conformance/checks/referrers.ts) against the reference registry — every one
 * passes, with one page or many, with relative or absolute Links — and against the reference with
 * a fault injected or behind a tampering proxy that has no referrers API (CNCF Distribution
 * 2.8.2), answers 404 or junk, drops or invents descriptor fields, duplicates or mixes
 * repositories, ignores the filter while claiming it, or pages badly, to prove each check fails,
 * warns or skips for the misbehaviour it is about.
 */
import t, { type Test } from 'tap';
import { runCheck } from '../../../conformance/checks/runner.ts';
import referrers from '../../../conformance/checks/referrers.ts';
import { ALL_CAPABILITIES } from '../../../conformance/config.ts';
import { OCI_INDEX } from '../../../spec/media-types.ts';
import type { FaultName } from '../../../reference/faults/catalog.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { checkContext, describeResult, findCheck, runChecks, tampered as tamperedChecks, type TamperOptions } from '../../helpers/checks.ts';
import { reply, withHeaders, type TamperHook, type TamperRequest, type TamperResponse } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[], options?: TamperOptions) => tamperedChecks(t, hook, referrers, ids, options);
const ALL_IDS = referrers.map((c) => c.id);

async function withFaults(t: Test, faults: readonly FaultName[], ids: readonly string[]) {
  const registry = await startTestRegistry(t, { faults });
  return runChecks(t, registry.url, referrers, ids);
}

const REFERRERS_PATH = /^\/v2\/(.+)\/referrers\/([^/]+)$/;
const isReferrers = (request: TamperRequest): boolean => request.method === 'GET' && REFERRERS_PATH.test(request.url.pathname);

interface Listed {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A hook that rewrites the descriptors of every 200 referrers answer. */
function editListing(edit: (manifests: Listed[], request: TamperRequest) => Listed[]): TamperHook {
  return async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    const response = await forward();
    if (response.status !== 200) return response;
    const index = JSON.parse(response.body.toString('utf8')) as { manifests: Listed[] };
    return { ...response, body: Buffer.from(JSON.stringify({ ...index, manifests: edit(index.manifests, request) })) };
  };
}

function expectStatus(t: Test, results: Awaited<ReturnType<typeof runChecks>>, id: string, status: string, message?: RegExp): void {
  t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
  if (message) t.match(results.get(id)?.message, message, `${id} message`);
}

t.test('every referrers check passes against the reference registry, in one page or several', async (t) => {
  for (const referrersPageSize of [500, 7]) {
    const registry = await startTestRegistry(t, { referrersPageSize });
    const ctx = checkContext(t, registry.url);
    for (const c of referrers) {
      const result = await runCheck(c, ctx);
      t.equal(result.status, 'pass', `page size ${referrersPageSize}: ${c.id}: ${result.message}`);
      t.match(c.id, /^referrers\.(list|filter)\.[a-z0-9-]+$/, 'id in the referrers area');
      t.ok(c.requires?.includes('referrers'), `${c.id} requires the referrers capability`);
    }
    const pagination = await runCheck(findCheck(referrers, 'referrers.list.pagination'), ctx);
    t.match(pagination.message, referrersPageSize === 7 ? /30 referrers in 5 page\(s\)/ : /30 referrers in 1 page\(s\)/);
  }
  t.ok(referrers.length >= 14, 'the referrers checks are all there');
});

t.test('a registry declared without referrers skips every check', async (t) => {
  const registry = await startTestRegistry(t);
  const results = await runChecks(t, registry.url, referrers, ALL_IDS, { capabilities: { ...ALL_CAPABILITIES, referrers: false } });
  for (const id of ALL_IDS) expectStatus(t, results, id, 'skip', /declared without: referrers/);
});

t.test('no referrers API (CNCF Distribution 2.8.2: 404 text/plain) fails every check, never errors', async (t) => {
  const results = await tampered(t, (request) => (isReferrers(request) ? reply(404, { 'content-type': 'text/plain; charset=utf-8' }, '404 page not found\n') : undefined), ALL_IDS);
  for (const id of ALL_IDS) {
    const level = referrers.find((c) => c.id === id)?.level;
    expectStatus(t, results, id, level === 'MUST' ? 'fail' : 'warn', /expected status \d+, got 404 .*→ 404 404 page not found/);
  }
  t.match(results.get('referrers.list.invalid-digest')?.message, /expected status 400, got 404/);
  t.match(results.get('referrers.list.empty')?.message, /expected status 200, got 404/);
});

t.test('a wrong Content-Type fails referrers.list.content-type only', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    return withHeaders(await forward(), { 'content-type': 'application/json' });
  }, ['referrers.list.content-type', 'referrers.list.index']);
  expectStatus(t, results, 'referrers.list.content-type', 'fail', /Content-Type "application\/json", expected application\/vnd\.oci\.image\.index\.v1\+json/);
  expectStatus(t, results, 'referrers.list.index', 'pass');
});

t.test('a body that is not an image index fails referrers.list.index', async (t) => {
  const answers: readonly [TamperResponse, RegExp][] = [
    [reply(200, { 'content-type': OCI_INDEX }, 'not json'), /the body is not a JSON image index/],
    [reply(200, { 'content-type': OCI_INDEX }, { manifests: [] }), /schemaVersion undefined, expected 2/],
    [reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, mediaType: 'application/json', manifests: [] }), /mediaType "application\/json", expected application\/vnd\.oci\.image\.index\.v1\+json/],
    [reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, manifests: {} }), /manifests is not an array of descriptors/],
  ];
  for (const [answer, message] of answers) {
    const results = await tampered(t, (request) => (isReferrers(request) ? answer : undefined), ['referrers.list.index']);
    expectStatus(t, results, 'referrers.list.index', 'fail', message);
  }
});

t.test('404 for a digest nothing refers to fails the empty checks', async (t) => {
  const results = await withFaults(t, ['referrers-404-when-empty'], ['referrers.list.empty', 'referrers.list.empty-unknown-subject', 'referrers.list.index']);
  expectStatus(t, results, 'referrers.list.empty', 'fail', /expected status 200, got 404/);
  expectStatus(t, results, 'referrers.list.empty-unknown-subject', 'fail', /expected status 200, got 404/);
  expectStatus(t, results, 'referrers.list.index', 'pass');
});

t.test('referrers invented for a subject nothing refers to fail the empty checks', async (t) => {
  const ghost: Listed = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 10 };
  const results = await tampered(t, editListing((manifests) => [...manifests, ghost]), ['referrers.list.empty', 'referrers.list.empty-unknown-subject']);
  expectStatus(t, results, 'referrers.list.empty', 'fail', /nothing refers to listed 1 descriptors/);
  expectStatus(t, results, 'referrers.list.empty-unknown-subject', 'fail', /never pushed listed 1 descriptors/);
});

t.test('an invalid digest answered 200 or 500 fails referrers.list.invalid-digest', async (t) => {
  const isInvalid = (request: TamperRequest): boolean => isReferrers(request) && !/\/referrers\/sha256:[a-f0-9]{64}$/.test(request.url.pathname);
  let results = await tampered(t, (request) => (isInvalid(request) ? reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, manifests: [] }) : undefined), ['referrers.list.invalid-digest']);
  expectStatus(t, results, 'referrers.list.invalid-digest', 'fail', /referrers\/not-a-digest: expected status 400, got 200/);
  results = await tampered(t, (request) => (request.url.pathname.endsWith(`sha256:${'0'.repeat(10)}`) ? reply(500, {}, 'panic') : undefined), ['referrers.list.invalid-digest']);
  expectStatus(t, results, 'referrers.list.invalid-digest', 'fail', /referrers\/sha256:0000000000: expected status 400, got 500/);
});

t.test('a wrong size or mediaType fails referrers.list.descriptors', async (t) => {
  let results = await tampered(t, editListing((manifests) => manifests.map((m) => ({ ...m, size: m.size + 1 }))), ['referrers.list.descriptors']);
  expectStatus(t, results, 'referrers.list.descriptors', 'fail', /listed with size \d+, the manifest has \d+ bytes/);
  results = await tampered(t, editListing((manifests) => manifests.map((m) => ({ ...m, mediaType: 'application/octet-stream' }))), ['referrers.list.descriptors']);
  expectStatus(t, results, 'referrers.list.descriptors', 'fail', /listed with mediaType "application\/octet-stream", pushed as application\/vnd\.oci/);
  results = await tampered(t, editListing((manifests) => manifests.slice(1)), ['referrers.list.descriptors']);
  expectStatus(t, results, 'referrers.list.descriptors', 'fail', /sha256:\S+ is not listed/);
});

t.test('each broken artifactType rule fails referrers.list.artifact-type', async (t) => {
  const id = 'referrers.list.artifact-type';
  // artifactType dropped everywhere.
  let results = await tampered(t, editListing((manifests) => manifests.map(({ artifactType: _dropped, ...rest }) => rest)), [id, 'referrers.list.annotations']);
  expectStatus(t, results, id, 'fail', /an artifact with artifactType is listed with artifactType omitted, expected application\/vnd\.touchstone\.sbom\.v1/);
  expectStatus(t, results, 'referrers.list.annotations', 'pass');
  // Only the manifest's own artifactType field used: no fallback to the config mediaType.
  results = await tampered(t, editListing((manifests) => manifests.map((m) => (m.artifactType === 'application/vnd.touchstone.config.v1+json' ? { ...m, artifactType: undefined } : m))), [id]);
  expectStatus(t, results, id, 'fail', /an image manifest without artifactType is listed with artifactType omitted, expected application\/vnd\.touchstone\.config\.v1\+json/);
  // An index without artifactType given its mediaType instead of none.
  results = await tampered(t, editListing((manifests) => manifests.map((m) => ({ ...m, artifactType: m.artifactType ?? m.mediaType }))), [id]);
  expectStatus(t, results, id, 'fail', /an index without artifactType is listed with artifactType "application\/vnd\.oci\.image\.index\.v1\+json", expected omitted/);
});

t.test('dropped or altered annotations fail referrers.list.annotations', async (t) => {
  let results = await tampered(t, editListing((manifests) => manifests.map(({ annotations: _dropped, ...rest }) => rest)), ['referrers.list.annotations', 'referrers.list.artifact-type']);
  expectStatus(t, results, 'referrers.list.annotations', 'fail', /listed with annotation \S+ missing, the manifest has/);
  expectStatus(t, results, 'referrers.list.artifact-type', 'pass');
  results = await tampered(t, editListing((manifests) => manifests.map((m) => ({ ...m, annotations: { ...m.annotations, 'org.touchstone.kind': 'changed' } }))), ['referrers.list.annotations']);
  expectStatus(t, results, 'referrers.list.annotations', 'fail', /annotation org\.touchstone\.kind "changed", the manifest has "artifact"/);
});

t.test('duplicates, missing referrers and referrers of other repositories fail referrers.list.exact', async (t) => {
  const id = 'referrers.list.exact';
  let results = await tampered(t, editListing((manifests) => [...manifests, ...manifests.slice(0, 1)]), [id]);
  expectStatus(t, results, id, 'fail', /sha256:\S+ is listed 2 times/);
  results = await tampered(t, editListing((manifests) => manifests.slice(1)), [id]);
  expectStatus(t, results, id, 'fail', /the referrer sha256:\S+ is missing \(1 listed in 1 page\(s\)\)/);

  // A registry-wide referrers index that ignores the repository.
  const repos = new Set<string>();
  results = await tampered(t, async (request, forward) => {
    const pushed = /^\/v2\/(.+)\/manifests\//.exec(request.url.pathname);
    if (request.method === 'PUT' && pushed) repos.add(pushed[1] as string);
    const listed = REFERRERS_PATH.exec(request.url.pathname);
    if (!isReferrers(request) || !listed) return undefined;
    const all: Listed[] = [];
    for (const repo of repos) {
      const response = await forward({ path: `/v2/${repo}/referrers/${listed[2]}` });
      all.push(...(JSON.parse(response.body.toString('utf8')) as { manifests: Listed[] }).manifests);
    }
    return reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: all });
  }, [id, 'referrers.list.index']);
  expectStatus(t, results, id, 'fail', /is listed but is not a referrer of the subject in this repository/);
  expectStatus(t, results, 'referrers.list.index', 'pass');
});

t.test('referrers hidden until their subject exists fail referrers.list.subject-pushed-later', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const listed = REFERRERS_PATH.exec(request.url.pathname);
    if (!isReferrers(request) || !listed) return undefined;
    const subject = await forward({ method: 'HEAD', path: `/v2/${listed[1]}/manifests/${listed[2]}` });
    if (subject.status === 404) return reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    return forward();
  }, ['referrers.list.subject-pushed-later', 'referrers.list.exact']);
  expectStatus(t, results, 'referrers.list.subject-pushed-later', 'fail', /GET referrers of a subject not pushed yet: the referrer sha256:\S+ is missing/);
  expectStatus(t, results, 'referrers.list.exact', 'pass');
});

t.test('a filter claimed but not applied (fault referrers-filter-ignored) fails referrers.filter.applied', async (t) => {
  const results = await withFaults(t, ['referrers-filter-ignored'], ['referrers.filter.applied', 'referrers.filter.supported']);
  expectStatus(t, results, 'referrers.filter.applied', 'fail', /with OCI-Filters-Applied: artifactType lists sha256:\S+ of artifactType "application\/vnd\.touchstone\.signature\.v1"/);
  expectStatus(t, results, 'referrers.filter.supported', 'pass');
});

t.test('a filter applied but not announced fails referrers.filter.applied and warns on referrers.filter.supported', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    return withHeaders(await forward(), { 'oci-filters-applied': undefined });
  }, ['referrers.filter.applied', 'referrers.filter.supported']);
  expectStatus(t, results, 'referrers.filter.applied', 'fail', /without OCI-Filters-Applied \(so not filtered\): the referrer sha256:\S+ is missing/);
  expectStatus(t, results, 'referrers.filter.supported', 'warn', /no OCI-Filters-Applied: artifactType header, the registry does not filter on artifactType/);
});

t.test('no filtering at all passes referrers.filter.applied and warns on referrers.filter.supported', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!isReferrers(request) || !request.url.searchParams.has('artifactType')) return undefined;
    return forward({ path: request.url.pathname });
  }, ['referrers.filter.applied', 'referrers.filter.supported']);
  expectStatus(t, results, 'referrers.filter.applied', 'pass', /did not filter/);
  expectStatus(t, results, 'referrers.filter.supported', 'warn', /does not filter on artifactType/);
});

t.test('a filtered list missing a match fails referrers.filter.applied', async (t) => {
  const results = await tampered(t, editListing((manifests, request) => (request.url.searchParams.has('artifactType') ? manifests.slice(1) : manifests)), ['referrers.filter.applied']);
  expectStatus(t, results, 'referrers.filter.applied', 'fail', /\(filter applied\): the referrer sha256:\S+ is missing/);
});

t.test('relative and absolute Links are followed', async (t) => {
  // The reference sends </v2/…?last=…>; rewrite it relative to the page (./sha256:…, RFC 3986 §4.2), then absolute.
  for (const rewrite of [(link: string) => link.replace(/^<\/v2\/.+\/referrers\//, '<./'), (link: string, origin: string) => link.replace(/^</, `<${origin}`)]) {
    let origin = '';
    const results = await tampered(t, async (request, forward) => {
      origin = `http://${request.headers.host ?? ''}`;
      if (!isReferrers(request)) return undefined;
      const response = await forward();
      const link = response.headers.link;
      return link === undefined ? response : withHeaders(response, { link: rewrite(link, origin) });
    }, ['referrers.list.pagination'], { registry: { referrersPageSize: 7 } });
    expectStatus(t, results, 'referrers.list.pagination', 'pass', /30 referrers in 5 page\(s\)/);
  }
});

t.test('bad paging fails referrers.list.pagination', async (t) => {
  const id = 'referrers.list.pagination';
  const options = { registry: { referrersPageSize: 7 } };
  // No Link: the first page is all the client gets.
  let results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    return withHeaders(await forward(), { link: undefined });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /is missing \(7 listed in 1 page\(s\)\)/);

  // The next page starts one early: its first descriptor repeats the last of the page before.
  results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    const response = await forward();
    const index = JSON.parse(response.body.toString('utf8')) as { manifests: Listed[] };
    const previous = index.manifests.at(-2)?.digest;
    const link = response.headers.link;
    return link === undefined || previous === undefined ? response : withHeaders(response, { link: link.replace(/last=[^>&]+/, `last=${previous}`) });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /sha256:\S+ is listed 2 times/);

  // A Link back to the first page.
  results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    const response = await forward();
    return response.headers.link === undefined ? response : withHeaders(response, { link: `<${request.url.pathname}>; rel="next"` });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /links back to a page already fetched/);

  // A Link chain that never ends: every page empty, every page pointing at a new one.
  results = await tampered(t, (request) => {
    if (!isReferrers(request)) return undefined;
    const page = Number(request.url.searchParams.get('page') ?? 0);
    return reply(200, { 'content-type': OCI_INDEX, link: `<${request.url.pathname}?page=${page + 1}>; rel="next"` }, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /did not end within 100 pages/);

  // A Link that is not RFC 5988.
  results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    const response = await forward();
    return response.headers.link === undefined ? response : withHeaders(response, { link: `${request.url.pathname}?last=x` });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /is not an RFC 5988 link/);

  // A Link with no rel="next".
  results = await tampered(t, async (request, forward) => {
    if (!isReferrers(request)) return undefined;
    const response = await forward();
    return response.headers.link === undefined ? response : withHeaders(response, { link: response.headers.link.replace('rel="next"', 'rel="prev"') });
  }, [id], options);
  expectStatus(t, results, id, 'fail', /has no rel="next"/);
});

t.test('the next link is found among several links, with unquoted or multi-valued rel', async (t) => {
  for (const rewrite of [(link: string) => `</v2/other>; rel="prev", ${link}`, (link: string) => link.replace('rel="next"', 'title="page"; rel=next'), (link: string) => link.replace('rel="next"', 'rel="last next"')]) {
    const results = await tampered(t, async (request, forward) => {
      if (!isReferrers(request)) return undefined;
      const response = await forward();
      return response.headers.link === undefined ? response : withHeaders(response, { link: rewrite(response.headers.link) });
    }, ['referrers.list.pagination'], { registry: { referrersPageSize: 7 } });
    expectStatus(t, results, 'referrers.list.pagination', 'pass', /30 referrers in 5 page\(s\)/);
  }
});

t.test('a delete that leaves the referrer listed fails referrers.list.after-delete; deletes refused or undeclared skip', async (t) => {
  const id = 'referrers.list.after-delete';
  let results = await tampered(t, (request) => (request.method === 'DELETE' ? reply(202) : undefined), [id]);
  expectStatus(t, results, id, 'fail', /GET referrers after deleting one: sha256:\S+ is listed but is not a referrer/);

  results = await tampered(t, () => undefined, [id], { registry: { deletes: { manifests: false } } });
  expectStatus(t, results, id, 'skip', /refused to delete a manifest \(405\)/);

  const registry = await startTestRegistry(t);
  results = await runChecks(t, registry.url, referrers, [id], { capabilities: { ...ALL_CAPABILITIES, manifestDeletes: false } });
  expectStatus(t, results, id, 'skip', /declared without: manifestDeletes/);
});

t.test('referrers in a repository never pushed: 500 fails, 404 NAME_UNKNOWN passes (the store/manifests.ts:192 mutant answered 500)', async (t) => {
  const id = 'referrers.list.empty-unknown-subject';
  const nowhere = (request: TamperRequest): boolean => request.method === 'GET' && /-never-pushed\/referrers\//.test(request.url.pathname);
  let results = await tampered(t, (request) => (nowhere(request) ? reply(500) : undefined), [id]);
  t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
  t.match(results.get(id)?.message, /GET referrers in a repository never pushed .*: expected status 200 or 404, got 500/);
  results = await tampered(t, (request) => (nowhere(request) ? reply(404, {}, { errors: [{ code: 'NAME_UNKNOWN', message: 'no such repository' }] }) : undefined), [id]);
  t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
  results = await tampered(t, (request) => (nowhere(request) ? reply(200, { 'content-type': OCI_INDEX }, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{}] }) : undefined), [id]);
  t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
});
