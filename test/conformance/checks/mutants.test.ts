/**
 * The checks mutation testing added (docs/mutants.md "Blind spots closed"), each against the
 * reference registry behind a tampering proxy that answers the way the mutant that revealed it
 * did: a suffix range served from the start, `bytes=-0` and the empty blob answered 206, an
 * unknown range unit or two ranges cut to one, a 416 without its length, bytes=50-10 answered
 * 206, a one-byte range ignored by a registry that serves ranges, an empty ETag, n=10
 * refused, an invalid n read as a count, a Link that drops n or points past the end, the Link of
 * a list asked without n that breaks the listing (a registry paging without n), a Content-Type
 * with parameters refused, a non-distributable layer required, the version header dropped or
 * emptied, a 416's Range of NaN, tags lost by concurrent pushes, and referrers lists that claim
 * a filter never asked for, link past their end, or drop the filter on the pages they link to.
 * Each must fail, warn or skip.
 */
import t, { type Test } from 'tap';
import base from '../../../conformance/checks/base.ts';
import blobs from '../../../conformance/checks/blobs.ts';
import manifests from '../../../conformance/checks/manifests.ts';
import referrers from '../../../conformance/checks/referrers.ts';
import tags from '../../../conformance/checks/tags.ts';
import uploads from '../../../conformance/checks/uploads.ts';
import type { Check } from '../../../conformance/checks/types.ts';
import { EMPTY_BLOB_SHA256 } from '../../../spec/grammars.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { errorReply, reply, withHeaders, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const isBlobGet = (request: TamperRequest): boolean => request.method === 'GET' && /\/blobs\/sha256:/.test(request.path);
const rangeOf = (request: TamperRequest): string => String(request.headers.range ?? '');

async function expectStatus(t: Test, checks: readonly Check[], id: string, hook: TamperHook, status: string): Promise<void> {
  const results = await tampered(t, hook, checks, [id]);
  t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
}

t.test('ranges answered the way the parseRange mutants did', async (t) => {
  await expectStatus(t, blobs, 'blobs.pull.range-suffix', (request, forward) => {
    const suffix = /^bytes=-(\d+)$/.exec(rangeOf(request));
    return isBlobGet(request) && suffix ? forward({ headers: { ...request.headers, range: `bytes=${suffix[1]}-` } }) : undefined;
  }, 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-suffix-unsatisfiable', (request) =>
    (isBlobGet(request) && rangeOf(request) === 'bytes=-0' ? reply(206, { 'content-range': 'bytes 100-99/100' }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-empty-blob', (request) =>
    (isBlobGet(request) && request.path.endsWith(EMPTY_BLOB_SHA256) && rangeOf(request) !== '' ? reply(206, { 'content-range': 'bytes 0--1/0' }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-unit-unknown', (request, forward) =>
    (isBlobGet(request) && rangeOf(request).startsWith('xbytes=') ? forward({ headers: { ...request.headers, range: 'bytes=0-9' } }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-multiple', (request, forward) =>
    (isBlobGet(request) && rangeOf(request).includes(',') ? forward({ headers: { ...request.headers, range: rangeOf(request).split(',')[0] } }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-unsatisfiable-length', async (request, forward) =>
    (isBlobGet(request) && rangeOf(request) !== '' ? withHeaders(await forward(), { 'content-range': undefined }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range-invalid', (request) =>
    (isBlobGet(request) && rangeOf(request) === 'bytes=50-10' ? reply(206, { 'content-range': 'bytes 50-10/100' }) : undefined), 'warn');
  await expectStatus(t, blobs, 'blobs.pull.range', (request, forward) =>
    (isBlobGet(request) && /^bytes=(\d+)-\1$/.test(rangeOf(request)) ? forward({ headers: { ...request.headers, range: '' } }) : undefined), 'warn');
});

t.test('referrers lists answered the way the referrers.ts mutants did', async (t) => {
  const isReferrers = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname.includes('/referrers/');
  await expectStatus(t, referrers, 'referrers.list.unfiltered-header', async (request, forward) =>
    (isReferrers(request) && !request.url.searchParams.has('artifactType') ? withHeaders(await forward(), { 'oci-filters-applied': 'artifactType' }) : undefined), 'warn');
  await expectStatus(t, referrers, 'referrers.list.no-link-when-complete', async (request, forward) =>
    (isReferrers(request) ? withHeaders(await forward(), { link: `<${request.url.pathname}?last=zzz>; rel="next"` }) : undefined), 'warn');
  await expectStatus(t, referrers, 'referrers.filter.paged', (request, forward) => {
    if (!isReferrers(request) || !request.url.searchParams.has('last')) return undefined;
    const query = new URLSearchParams(request.url.searchParams);
    query.delete('artifactType');
    return forward({ path: `${request.url.pathname}?${query.toString()}` });
  }, 'fail');
});

t.test('an empty ETag warns blobs.pull.header-syntax and manifests.pull.header-syntax', async (t) => {
  const hook: TamperHook = async (request, forward) => (request.method === 'GET' || request.method === 'HEAD' ? withHeaders(await forward(), { etag: '' }) : undefined);
  await expectStatus(t, blobs, 'blobs.pull.header-syntax', hook, 'warn');
  await expectStatus(t, manifests, 'manifests.pull.header-syntax', hook, 'warn');
});

t.test('tag lists answered the way the tags.ts mutants did', async (t) => {
  const isList = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname.endsWith('/tags/list');
  await expectStatus(t, tags, 'tags.list.n', (request) =>
    (isList(request) && request.url.searchParams.get('n') === '10' ? errorReply(400, 'UNSUPPORTED') : undefined), 'fail');
  await expectStatus(t, tags, 'tags.list.n-invalid', (request) =>
    (isList(request) && request.url.searchParams.get('n') === 'abc' ? reply(200, {}, { name: 'x', tags: [] }) : undefined), 'fail');
  await expectStatus(t, tags, 'tags.list.link-keeps-n', async (request, forward) => {
    if (!isList(request)) return undefined;
    const response = await forward();
    const link = response.headers.link;
    return link === undefined ? response : withHeaders(response, { link: link.replace(/n=\d+&/, '') });
  }, 'warn');
  await expectStatus(t, tags, 'tags.list.no-link-when-complete', async (request, forward) => {
    if (!isList(request)) return undefined;
    const response = await forward();
    return response.headers.link === undefined ? withHeaders(response, { link: `<${request.url.pathname}?last=zzz>; rel="next"` }) : response;
  }, 'warn');
});

t.test('a registry that pages tags/list without n: its Links are followed, and a Link that breaks the listing fails', async (t) => {
  const registry = { tagsPageSize: 5 };
  const isList = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname.endsWith('/tags/list');
  const passing = await tampered(t, () => undefined, tags, ['tags.list.all', 'tags.list.order', 'tags.list.paging'], { registry });
  for (const id of ['tags.list.all', 'tags.list.order', 'tags.list.paging']) t.equal(passing.get(id)?.status, 'pass', `${id} pages of 5: ${describeResult(passing, id)}`);
  t.match(passing.get('tags.list.all')?.message, /3 pages without n/);
  // The tags.ts mutant: the Link of a page asked without n carries n=undefined, which is refused.
  const results = await tampered(t, async (request, forward) => {
    if (!isList(request) || request.url.searchParams.has('n')) return undefined;
    const response = await forward();
    const link = response.headers.link;
    return link === undefined ? response : withHeaders(response, { link: link.replace('?', '?n=undefined&') });
  }, tags, ['tags.list.all'], { registry });
  t.equal(results.get('tags.list.all')?.status, 'fail', describeResult(results, 'tags.list.all'));
});

t.test('manifest pushes answered the way the manifest mutants did', async (t) => {
  const isPut = (request: TamperRequest): boolean => request.method === 'PUT' && request.path.includes('/manifests/');
  await expectStatus(t, manifests, 'manifests.push.content-type-parameters', (request) =>
    (isPut(request) && String(request.headers['content-type']).includes(';') ? errorReply(400, 'MANIFEST_INVALID') : undefined), 'warn');
  await expectStatus(t, manifests, 'manifests.push.non-distributable', (request) =>
    (isPut(request) && request.body.includes('"urls"') ? errorReply(400, 'MANIFEST_BLOB_UNKNOWN') : undefined), 'warn');
  // A lost update: every third tag pushed at once is answered 201 and never stored.
  let count = 0;
  await expectStatus(t, manifests, 'manifests.push.concurrent-tags', (request) =>
    (isPut(request) && request.path.includes('/manifests/at-once-') && (count += 1) % 3 === 0 ? reply(201) : undefined), 'fail');
});

t.test('the version header dropped skips base.api-version-header, emptied warns it', async (t) => {
  const isBase = (request: TamperRequest): boolean => request.url.pathname === '/v2/';
  await expectStatus(t, base, 'base.api-version-header', async (request, forward) =>
    (isBase(request) ? withHeaders(await forward(), { 'docker-distribution-api-version': undefined }) : undefined), 'skip');
  await expectStatus(t, base, 'base.api-version-header', async (request, forward) =>
    (isBase(request) ? withHeaders(await forward(), { 'docker-distribution-api-version': '' }) : undefined), 'warn');
});

t.test('a 416 for an out-of-order chunk with Range: 0-NaN warns blobs.upload.out-of-order-range', async (t) => {
  await expectStatus(t, uploads, 'blobs.upload.out-of-order-range', async (request, forward) => {
    if (request.method !== 'PATCH') return undefined;
    const response = await forward();
    return response.status === 416 ? withHeaders(response, { range: '0-NaN' }) : response;
  }, 'warn');
});
