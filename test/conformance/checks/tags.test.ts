/**
 * The tag listing checks (conformance/checks/tags.ts) against the reference registry — every one
 * passes — and against the reference with a tag fault from the catalog (unsorted, n ignored, last
 * inclusive, pages repeating or skipping a tag) or behind a tampering proxy (CNCF Distribution
 * 2.8.2's n and last ignored, Link dropped, malformed or absolute, wrong bodies), to prove each
 * check fails, warns or skips as designed.
 */
import t, { type Test } from 'tap';
import tags, { PUSHED_TAGS } from '../../../conformance/checks/tags.ts';
import { TAG_ORDERS, isSorted } from '../../../conformance/tag-order.ts';
import type { FaultName } from '../../../reference/faults/catalog.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, reply, withHeaders, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ALL = tags.map((c) => c.id);

const tampered = (t: Test, hook: TamperHook, ids: readonly string[], faults: readonly FaultName[] = []) =>
  tamperedChecks(t, hook, tags, ids, { registry: { faults } });
const withFaults = (t: Test, faults: readonly FaultName[], ids: readonly string[]) => tampered(t, () => undefined, ids, faults);

const isTagList = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname.endsWith('/tags/list');

/** The JSON of a tags/list answer rewritten by `change`. */
function rewriteTags(body: Buffer, change: (tags: string[]) => string[]): Buffer {
  const parsed = JSON.parse(body.toString('utf8')) as { name: string; tags: string[] };
  return Buffer.from(JSON.stringify({ ...parsed, tags: change(parsed.tags) }));
}

t.test('every tag check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  t.ok(tags.length >= 10, 'the tag checks are all there');
  const results = await runChecks(t, registry.url, tags, ALL);
  for (const c of tags) {
    t.equal(results.get(c.id)?.status, 'pass', describeResult(results, c.id));
    t.match(c.id, /^tags\.list\.[a-z0-9-]+$/, 'id in the tags.list area');
  }
  t.match(results.get('tags.list.order')?.message, /sorted in byte order/);
  t.match(results.get('tags.list.paging')?.message, /following Link/);
});

t.test('the push order is sorted in none of the accepted orders, and the tags include the longest legal one', async (t) => {
  for (const order of TAG_ORDERS) t.notOk(isSorted(PUSHED_TAGS, order.compare), `push order is not in ${order.name}`);
  t.ok(PUSHED_TAGS.some((tag) => tag.length === 128), 'a 128-character tag');
  const byBytes = [...PUSHED_TAGS].sort();
  const caseless = [...PUSHED_TAGS].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  t.not(byBytes.join(), caseless.join(), 'byte order and case-insensitive order differ for these tags');
});

t.test('tags listed in push order (fault tags-unsorted) fail tags.list.order', async (t) => {
  const results = await withFaults(t, ['tags-unsorted'], ['tags.list.order', 'tags.list.all']);
  t.equal(results.get('tags.list.order')?.status, 'fail', describeResult(results, 'tags.list.order'));
  t.match(results.get('tags.list.order')?.message, /sorted neither in byte order nor case-insensitively/);
  t.equal(results.get('tags.list.all')?.status, 'pass', 'the set is still right');
});

t.test('a list sorted case-insensitively passes tags.list.order, saying so', async (t) => {
  const caseless = (list: string[]): string[] => [...list].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request)) return undefined;
    const response = await forward();
    return response.status === 200 ? { ...response, body: rewriteTags(response.body, caseless) } : response;
  }, ['tags.list.order']);
  t.equal(results.get('tags.list.order')?.status, 'pass', describeResult(results, 'tags.list.order'));
  t.match(results.get('tags.list.order')?.message, /^sorted in case-insensitive order$/);
});

t.test('CNCF Distribution 2.8.2 (n and last ignored, no Link, unsorted) fails order, n, n-zero, last and paging', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!isTagList(request)) return undefined;
    return forward({ path: request.url.pathname });
  }, ALL, ['tags-unsorted']);
  for (const id of ['tags.list.order', 'tags.list.n', 'tags.list.n-zero', 'tags.list.last', 'tags.list.paging']) {
    t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
  }
  t.match(results.get('tags.list.n')?.message, /\?n=5 answered 12 tags, more than asked for \(n ignored\?\)/);
  t.match(results.get('tags.list.last')?.message, /includes .* itself: last is exclusive/);
  t.match(results.get('tags.list.paging')?.message, /page 1 .*: 12 tags for n=5/);
  t.equal(results.get('tags.list.link-format')?.status, 'skip', 'no Link at all');
  t.equal(results.get('tags.list.all')?.status, 'pass');
});

t.test('n ignored (fault tags-n-ignored) fails tags.list.n and tags.list.n-zero', async (t) => {
  const results = await withFaults(t, ['tags-n-ignored'], ['tags.list.n', 'tags.list.n-zero']);
  t.equal(results.get('tags.list.n')?.status, 'fail', describeResult(results, 'tags.list.n'));
  t.match(results.get('tags.list.n')?.message, /more than asked for \(n ignored\?\)/);
  t.equal(results.get('tags.list.n-zero')?.status, 'fail', describeResult(results, 'tags.list.n-zero'));
  t.match(results.get('tags.list.n-zero')?.message, /\?n=0 answered 12 tags/);
});

t.test('fewer than n tags pass tags.list.n with a Link and fail it without one', async (t) => {
  // The registry pages by 3 whatever n asks for.
  const byThree: TamperHook = (request, forward) => {
    if (!isTagList(request) || request.url.searchParams.get('n') !== '5') return undefined;
    const query = new URLSearchParams(request.url.searchParams);
    query.set('n', '3');
    return forward({ path: `${request.url.pathname}?${query.toString()}` });
  };
  let results = await tampered(t, byThree, ['tags.list.n', 'tags.list.paging']);
  t.equal(results.get('tags.list.n')?.status, 'pass', describeResult(results, 'tags.list.n'));
  t.equal(results.get('tags.list.paging')?.status, 'pass', describeResult(results, 'tags.list.paging'));
  results = await tampered(t, async (request, forward) => {
    const response = await byThree(request, forward);
    return response === undefined ? undefined : withHeaders(response, { link: undefined });
  }, ['tags.list.n']);
  t.equal(results.get('tags.list.n')?.status, 'fail', describeResult(results, 'tags.list.n'));
  t.match(results.get('tags.list.n')?.message, /answered 3 tags of 12 and no Link header/);
});

t.test('n honoured but not from the start of the list fails tags.list.n', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request) || request.url.searchParams.get('n') !== '5' || request.url.searchParams.has('last')) return undefined;
    const response = await forward({ path: `${request.url.pathname}?n=6` });
    return { ...response, body: rewriteTags(response.body, (list) => list.slice(1)) };
  }, ['tags.list.n']);
  t.equal(results.get('tags.list.n')?.status, 'fail', describeResult(results, 'tags.list.n'));
  t.match(results.get('tags.list.n')?.message, /not the first tags of the full list/);
});

t.test('a Link on ?n=0 fails tags.list.n-zero', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request) || request.url.searchParams.get('n') !== '0') return undefined;
    return withHeaders(await forward(), { link: `<${request.url.pathname}?n=5>; rel="next"` });
  }, ['tags.list.n-zero']);
  t.equal(results.get('tags.list.n-zero')?.status, 'fail', describeResult(results, 'tags.list.n-zero'));
  t.match(results.get('tags.list.n-zero')?.message, /\?n=0 answered with a Link header/);
});

t.test('last inclusive (fault tags-last-inclusive) fails tags.list.last and tags.list.paging', async (t) => {
  const results = await withFaults(t, ['tags-last-inclusive'], ['tags.list.last', 'tags.list.paging', 'tags.list.n']);
  t.equal(results.get('tags.list.last')?.status, 'fail', describeResult(results, 'tags.list.last'));
  t.match(results.get('tags.list.last')?.message, /includes A1 itself: last is exclusive/);
  t.equal(results.get('tags.list.paging')?.status, 'fail', describeResult(results, 'tags.list.paging'));
  t.match(results.get('tags.list.paging')?.message, /more than once/);
  t.equal(results.get('tags.list.n')?.status, 'pass');
});

t.test('a tag skipped after last (fault tags-paging-skips) fails tags.list.last and tags.list.paging', async (t) => {
  const results = await withFaults(t, ['tags-paging-skips'], ['tags.list.last', 'tags.list.paging']);
  t.equal(results.get('tags.list.last')?.status, 'fail', describeResult(results, 'tags.list.last'));
  t.match(results.get('tags.list.last')?.message, /starts at Z, not right after A1 \(B\)/);
  t.equal(results.get('tags.list.paging')?.status, 'fail', describeResult(results, 'tags.list.paging'));
  t.match(results.get('tags.list.paging')?.message, /skipped tags/);
});

t.test('a Link repeating the last tag (fault tags-paging-repeats) fails tags.list.paging only', async (t) => {
  const results = await withFaults(t, ['tags-paging-repeats'], ['tags.list.paging', 'tags.list.last', 'tags.list.link-format']);
  t.equal(results.get('tags.list.paging')?.status, 'fail', describeResult(results, 'tags.list.paging'));
  t.match(results.get('tags.list.paging')?.message, /following Link\) returned tags more than once/);
  t.equal(results.get('tags.list.last')?.status, 'pass');
  t.equal(results.get('tags.list.link-format')?.status, 'pass');
});

t.test('without Link the list is paged by last=: link-format skips, paging passes', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request)) return undefined;
    return withHeaders(await forward(), { link: undefined });
  }, ['tags.list.link-format', 'tags.list.paging', 'tags.list.n']);
  t.equal(results.get('tags.list.link-format')?.status, 'skip', describeResult(results, 'tags.list.link-format'));
  t.match(results.get('tags.list.link-format')?.message, /no Link header .*Link is a MAY/);
  t.equal(results.get('tags.list.paging')?.status, 'pass', describeResult(results, 'tags.list.paging'));
  t.match(results.get('tags.list.paging')?.message, /following last=/);
  t.equal(results.get('tags.list.n')?.status, 'pass');
});

t.test('an absolute Link is followed', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request)) return undefined;
    const response = await forward();
    const link = response.headers.link;
    return link === undefined ? response : withHeaders(response, { link: link.replace('</v2/', `<http://${request.headers.host}/v2/`) });
  }, ['tags.list.paging', 'tags.list.link-format']);
  t.equal(results.get('tags.list.paging')?.status, 'pass', describeResult(results, 'tags.list.paging'));
  t.equal(results.get('tags.list.link-format')?.status, 'pass', describeResult(results, 'tags.list.link-format'));
});

t.test('a Link that is not RFC 5988, or not rel="next", fails tags.list.link-format and tags.list.paging', async (t) => {
  const rewriteLink = (change: (link: string) => string): TamperHook => async (request, forward) => {
    if (!isTagList(request)) return undefined;
    const response = await forward();
    const link = response.headers.link;
    return link === undefined ? response : withHeaders(response, { link: change(link) });
  };
  let results = await tampered(t, rewriteLink((link) => link.replace(/^<([^>]*)>.*$/, '$1')), ['tags.list.link-format', 'tags.list.paging']);
  for (const id of ['tags.list.link-format', 'tags.list.paging']) {
    t.equal(results.get(id)?.status, 'fail', describeResult(results, id));
    t.match(results.get(id)?.message, /is not an RFC 5988 link/);
  }
  results = await tampered(t, rewriteLink((link) => link.replace('rel="next"', 'rel="prev"')), ['tags.list.link-format']);
  t.equal(results.get('tags.list.link-format')?.status, 'fail', describeResult(results, 'tags.list.link-format'));
  t.match(results.get('tags.list.link-format')?.message, /has no rel="next"/);
});

t.test('a Link that never ends fails tags.list.paging after the page bound', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isTagList(request)) return undefined;
    const loop = `${request.url.pathname}?n=5&last=zzz-loop`;
    if (request.url.searchParams.get('last') === 'zzz-loop') return reply(200, { link: `<${loop}>; rel="next"` }, { name: 'x', tags: [] });
    const response = await forward();
    return request.url.searchParams.has('n') ? withHeaders(response, { link: `<${loop}>; rel="next"` }) : response;
  }, ['tags.list.paging']);
  t.equal(results.get('tags.list.paging')?.status, 'fail', describeResult(results, 'tags.list.paging'));
  t.match(results.get('tags.list.paging')?.message, /did not end after 100 pages/);
});

t.test('a list missing a tag, repeating one or with the wrong name fails tags.list.all', async (t) => {
  const rewrite = (change: (body: { name: string; tags: string[] }) => object): TamperHook => async (request, forward) => {
    if (!isTagList(request) || request.url.search !== '') return undefined;
    const response = await forward();
    return { ...response, body: Buffer.from(JSON.stringify(change(JSON.parse(response.body.toString('utf8')) as { name: string; tags: string[] }))) };
  };
  let results = await tampered(t, rewrite((body) => ({ ...body, tags: body.tags.slice(1) })), ['tags.list.all']);
  t.equal(results.get('tags.list.all')?.status, 'fail', describeResult(results, 'tags.list.all'));
  t.match(results.get('tags.list.all')?.message, /lacks tags that were pushed: \["0"\]/);
  results = await tampered(t, rewrite((body) => ({ ...body, tags: [...body.tags, 'a'] })), ['tags.list.all']);
  t.match(results.get('tags.list.all')?.message, /names tags more than once: \["a"\]/);
  results = await tampered(t, rewrite((body) => ({ ...body, tags: [...body.tags, 'ghost'] })), ['tags.list.all']);
  t.match(results.get('tags.list.all')?.message, /never pushed: \["ghost"\]/);
  results = await tampered(t, rewrite((body) => ({ ...body, name: 'other' })), ['tags.list.all']);
  t.match(results.get('tags.list.all')?.message, /"name" is "other"/);
  results = await tampered(t, rewrite((body) => body.tags), ['tags.list.all']);
  t.match(results.get('tags.list.all')?.message, /not the JSON object/);
});

t.test('an unknown repository answered 200 fails tags.list.unknown-repo; another code warns on the code check', async (t) => {
  const unknown = (request: TamperRequest): boolean => isTagList(request) && request.url.pathname.includes('-never-pushed/');
  let results = await tampered(t, (request) => (unknown(request) ? reply(200, {}, { name: 'x', tags: [] }) : undefined), ['tags.list.unknown-repo']);
  t.equal(results.get('tags.list.unknown-repo')?.status, 'fail', describeResult(results, 'tags.list.unknown-repo'));
  t.match(results.get('tags.list.unknown-repo')?.message, /expected status 404, got 200/);
  results = await tampered(t, (request) => (unknown(request) ? errorReply(404, 'MANIFEST_UNKNOWN') : undefined), ['tags.list.unknown-repo-code', 'tags.list.unknown-repo']);
  t.equal(results.get('tags.list.unknown-repo-code')?.status, 'warn', describeResult(results, 'tags.list.unknown-repo-code'));
  t.match(results.get('tags.list.unknown-repo-code')?.message, /expected error code NAME_UNKNOWN, got MANIFEST_UNKNOWN/);
  t.equal(results.get('tags.list.unknown-repo')?.status, 'pass');
});

t.test('an untagged repository answered 404 (as Distribution does) or with tags fails tags.list.untagged', async (t) => {
  const untagged = (request: TamperRequest): boolean => isTagList(request) && request.url.pathname.includes('-untagged/');
  let results = await tampered(t, (request) => (untagged(request) ? errorReply(404, 'NAME_UNKNOWN') : undefined), ['tags.list.untagged']);
  t.equal(results.get('tags.list.untagged')?.status, 'fail', describeResult(results, 'tags.list.untagged'));
  t.match(results.get('tags.list.untagged')?.message, /expected status 200, got 404/);
  results = await tampered(t, async (request, forward) => {
    if (!untagged(request)) return undefined;
    const response = await forward();
    return { ...response, body: rewriteTags(response.body, () => ['latest']) };
  }, ['tags.list.untagged']);
  t.match(results.get('tags.list.untagged')?.message, /names tags: \["latest"\]/);
  results = await tampered(t, async (request, forward) => {
    if (!untagged(request)) return undefined;
    const response = await forward();
    const name = (JSON.parse(response.body.toString('utf8')) as { name: string }).name;
    return { ...response, body: Buffer.from(JSON.stringify({ name, tags: null })) };
  }, ['tags.list.untagged']);
  t.equal(results.get('tags.list.untagged')?.status, 'pass', `null tags are an empty list: ${describeResult(results, 'tags.list.untagged')}`);
});
