/**
 * The addressing checks against the reference registry, and behind a tampering proxy that answers
 * the way the http/errors.ts and http/router.ts mutants did: a request that addresses no endpoint
 * answered 500 (the error's table entry emptied crashes the answer), or with an error code
 * emptied; a 405 without its Allow header; a broken percent-encoding served as if it decoded.
 */
import t from 'tap';
import addressing from '../../../conformance/checks/addressing.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { errorReply, reply, withHeaders, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ROUTE = 'validation.route.unknown';
const METHOD = 'validation.method.not-allowed';
const TARGET = 'validation.target.percent-encoding';
const NOT_A_PATH = 'validation.target.not-a-path';
const ALL = [ROUTE, METHOD, TARGET, NOT_A_PATH];

const noEndpoint = (request: TamperRequest): boolean => /\/(no-such-endpoint|manifests|more)$/.test(request.url.pathname) && request.method === 'GET';
const otherMethod = (request: TamperRequest): boolean => (request.method === 'POST' || request.method === 'PATCH') && /\/(tags\/list|manifests\/latest)$/.test(request.url.pathname);
const authorityLike = (request: TamperRequest): boolean => request.path.startsWith('//');
const brokenEncoding = (request: TamperRequest): boolean => /%(?![0-9A-Fa-f]{2})/.test(request.path);

t.test('the reference passes all four', async (t) => {
  const results = await tampered(t, () => undefined, addressing, ALL);
  for (const id of ALL) t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
});

t.test('a path that is no endpoint answered 500, 200, or with an empty code warns', async (t) => {
  let results = await tampered(t, (request) => (noEndpoint(request) ? reply(500) : undefined), addressing, [ROUTE]);
  t.equal(results.get(ROUTE)?.status, 'warn', describeResult(results, ROUTE));
  t.match(results.get(ROUTE)?.message, /no-such-endpoint \(no endpoint\): expected status 404, got 500/);
  results = await tampered(t, (request) => (noEndpoint(request) ? reply(200, {}, {}) : undefined), addressing, [ROUTE]);
  t.equal(results.get(ROUTE)?.status, 'warn', describeResult(results, ROUTE));
  results = await tampered(t, (request) => (noEndpoint(request) ? errorReply(404, '') : undefined), addressing, [ROUTE]);
  t.equal(results.get(ROUTE)?.status, 'warn', describeResult(results, ROUTE));
  t.match(results.get(ROUTE)?.message, /error code "" is not one of the spec's codes/);
});

t.test('a method the endpoint does not define: 500, 405 without Allow, or an Allow listing it fails', async (t) => {
  let results = await tampered(t, (request) => (otherMethod(request) ? reply(500) : undefined), addressing, [METHOD]);
  t.equal(results.get(METHOD)?.status, 'fail', describeResult(results, METHOD));
  t.match(results.get(METHOD)?.message, /expected status 404 or 405, got 500/);
  results = await tampered(t, async (request, forward) => (otherMethod(request) ? withHeaders(await forward(), { allow: undefined }) : undefined), addressing, [METHOD]);
  t.equal(results.get(METHOD)?.status, 'fail', describeResult(results, METHOD));
  t.match(results.get(METHOD)?.message, /405 without an Allow header/);
  results = await tampered(t, async (request, forward) => (otherMethod(request) ? withHeaders(await forward(), { allow: 'GET, POST, PATCH' }) : undefined), addressing, [METHOD]);
  t.equal(results.get(METHOD)?.status, 'fail', describeResult(results, METHOD));
  t.match(results.get(METHOD)?.message, /yet its Allow header lists POST/);
  results = await tampered(t, async (request, forward) => (otherMethod(request) ? withHeaders(await forward(), { allow: 'GETHEADPUTDELETE' }) : undefined), addressing, [METHOD]);
  t.equal(results.get(METHOD)?.status, 'fail', describeResult(results, METHOD));
  t.match(results.get(METHOD)?.message, /the Allow header "GETHEADPUTDELETE" does not list GET/);
  // A router matching method and path at once: 404 passes.
  results = await tampered(t, (request) => (otherMethod(request) ? errorReply(404, 'NAME_UNKNOWN') : undefined), addressing, [METHOD]);
  t.equal(results.get(METHOD)?.status, 'pass', describeResult(results, METHOD));
});

t.test('a broken percent-encoding served, or answered 500, fails', async (t) => {
  let results = await tampered(t, (request) => (brokenEncoding(request) ? reply(200, {}, { name: 'x', tags: [] }) : undefined), addressing, [TARGET]);
  t.equal(results.get(TARGET)?.status, 'fail', describeResult(results, TARGET));
  t.match(results.get(TARGET)?.message, /%zz\/tags\/list \(a percent-encoding that does not decode\): expected status 400 or 404, got 200/);
  results = await tampered(t, (request) => (brokenEncoding(request) ? reply(500) : undefined), addressing, [TARGET]);
  t.equal(results.get(TARGET)?.status, 'fail', describeResult(results, TARGET));
  results = await tampered(t, (request) => (brokenEncoding(request) ? errorReply(400, '') : undefined), addressing, [TARGET]);
  t.equal(results.get(TARGET)?.status, 'fail', describeResult(results, TARGET));
});

t.test('an endpoint served under a prefix, or with a segment after it (a route pattern without ^ or $), warns', async (t) => {
  let results = await tampered(t, (request, forward) => (request.url.pathname.startsWith('/touchstone-not-the-api/') ? forward({ path: request.path.slice('/touchstone-not-the-api'.length) }) : undefined), addressing, [ROUTE]);
  t.equal(results.get(ROUTE)?.status, 'warn', describeResult(results, ROUTE));
  t.match(results.get(ROUTE)?.message, /GET \/touchstone-not-the-api\/v2\/ \(no endpoint\): expected status 404, got 200/);
  results = await tampered(t, (request, forward) => (/\/tags\/list\/more$/.test(request.url.pathname) ? forward({ path: request.path.replace(/\/more$/, '') }) : undefined), addressing, [ROUTE]);
  t.equal(results.get(ROUTE)?.status, 'warn', describeResult(results, ROUTE));
  t.match(results.get(ROUTE)?.message, /tags\/list\/more \(no endpoint\): expected status 404, got 200/);
});

t.test('a target that is not a path answered 500 or served fails; 301 and 404 pass', async (t) => {
  let results = await tampered(t, (request) => (authorityLike(request) ? reply(500) : undefined), addressing, [NOT_A_PATH]);
  t.equal(results.get(NOT_A_PATH)?.status, 'fail', describeResult(results, NOT_A_PATH));
  t.match(results.get(NOT_A_PATH)?.message, /GET \/\/registry\.invalid:99999\/v2\/.*expected status 301 or 400 or 404, got 500/);
  results = await tampered(t, (request) => (authorityLike(request) ? reply(200, {}, { name: 'x', tags: [] }) : undefined), addressing, [NOT_A_PATH]);
  t.equal(results.get(NOT_A_PATH)?.status, 'fail', describeResult(results, NOT_A_PATH));
  for (const status of [301, 404]) {
    results = await tampered(t, (request) => (authorityLike(request) ? reply(status, status === 301 ? { location: '/v2/' } : {}) : undefined), addressing, [NOT_A_PATH]);
    t.equal(results.get(NOT_A_PATH)?.status, 'pass', `${status}: ${describeResult(results, NOT_A_PATH)}`);
  }
});
