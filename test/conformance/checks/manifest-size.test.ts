/**
 * The manifest size checks against the reference registry, and behind a tampering proxy that
 * answers the way a registry with a lower limit, a crash, or a leak would: the 4 MB manifest
 * refused, an oversized one answered 500, 400 or accepted, one of exactly 4 MiB answered 500 (the
 * http/manifests.ts mutant that never finishes reading a body of exactly the limit hangs instead),
 * and every push after the broken-off ones answered 429 (the mutants that never give back what a
 * broken-off PUT held).
 */
import t, { type Test } from 'tap';
import manifestSize from '../../../conformance/checks/manifest-size.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { errorReply, reply, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[]) => tamperedChecks(t, hook, manifestSize, ids);
const isManifestPut = (request: TamperRequest): boolean => request.method === 'PUT' && /\/manifests\/[^/]+$/.test(request.url.pathname);

function expectStatus(t: Test, results: Awaited<ReturnType<typeof runChecks>>, id: string, status: string, message?: RegExp): void {
  t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
  if (message) t.match(results.get(id)?.message, message, `${id} message`);
}

t.test('the reference passes every manifest size check', async (t) => {
  const registry = await startTestRegistry(t);
  const results = await runChecks(t, registry.url, manifestSize);
  for (const check of manifestSize) expectStatus(t, results, check.id, 'pass');
});

t.test('a 4 MB manifest refused warns on manifests.push.large', async (t) => {
  const results = await tampered(t, (request) => {
    if (isManifestPut(request) && request.body.length > 1024 * 1024) return errorReply(413, 'SIZE_INVALID');
    return undefined;
  }, ['manifests.push.large', 'manifests.push.too-large']);
  expectStatus(t, results, 'manifests.push.large', 'warn', /PUT a manifest of 4190208 bytes: expected status 201, got 413/);
  expectStatus(t, results, 'manifests.push.too-large', 'pass');
});

t.test('an oversized manifest: 500 or 400 warns, 201 skips on manifests.push.too-large', async (t) => {
  const id = 'manifests.push.too-large';
  const big = (request: TamperRequest): boolean => isManifestPut(request) && request.body.length > 4.5 * 1024 * 1024;
  let results = await tampered(t, (request) => (big(request) ? reply(500, { 'content-type': 'text/plain' }, 'out of memory') : undefined), [id]);
  expectStatus(t, results, id, 'warn', /a server error \(500\) for an oversized manifest, expected 413/);

  results = await tampered(t, (request) => (big(request) ? errorReply(400, 'MANIFEST_INVALID') : undefined), [id]);
  expectStatus(t, results, id, 'warn', /PUT a manifest of 5242880 bytes: expected status 413, got 400/);

  results = await tampered(t, (request) => (big(request) ? reply(201, { location: '/v2/x/manifests/latest' }) : undefined), [id]);
  expectStatus(t, results, id, 'skip', /accepted a manifest of 5242880 bytes: its limit, if it enforces one, is higher/);

  // A registry that only refuses by Content-Length: the same body in chunked transfer coding is taken.
  const streamed = (request: TamperRequest): boolean => big(request) && request.headers['content-length'] === undefined;
  results = await tampered(t, (request) => (streamed(request) ? reply(201, { location: '/v2/x/manifests/oversized-streamed' }) : undefined), [id]);
  expectStatus(t, results, id, 'warn', /in chunked transfer coding \(no Content-Length\), after the same body with one got 413: expected status 413, got 201/);

  // The answer cut short: the connection closes before the body its Content-Length announced.
  results = await tampered(t, (request) => (big(request) ? { ...reply(413, { 'content-type': 'text/plain' }, 'too big'), declaredLength: 100 } : undefined), [id]);
  expectStatus(t, results, id, 'warn', /the connection closed before a complete answer \(expected 413\)/);
});

t.test('a manifest of exactly 4 MiB: 413 passes with a note, 500 warns on manifests.push.large', async (t) => {
  const id = 'manifests.push.large';
  const exact = (request: TamperRequest): boolean => isManifestPut(request) && request.body.length === 4 * 1024 * 1024;
  let results = await tampered(t, (request) => (exact(request) ? errorReply(413, 'SIZE_INVALID') : undefined), [id]);
  expectStatus(t, results, id, 'pass', /exactly 4 MiB is refused with 413/);
  results = await tampered(t, (request) => (exact(request) ? reply(500) : undefined), [id]);
  expectStatus(t, results, id, 'warn', /PUT a manifest of exactly 4194304 bytes \(4 MiB\): expected status 201 or 413, got 500/);
});

t.test('429 to every push after manifest PUTs broke off warns on manifests.push.after-broken-off', async (t) => {
  const id = 'manifests.push.after-broken-off';
  const after = (request: TamperRequest): boolean => isManifestPut(request) && request.url.pathname.endsWith('/manifests/after');
  let results = await tampered(t, (request) => (after(request) ? errorReply(429, 'TOOMANYREQUESTS', { 'retry-after': '1' }) : undefined), [id]);
  expectStatus(t, results, id, 'warn', /after 20 PUTs announcing it broke off \(429 on all 5 attempts, 500 ms apart\): expected status 201, got 429/);
  // A registry still releasing them: 429 twice, then 201.
  let refused = 0;
  results = await tampered(t, (request) => (after(request) && refused++ < 2 ? errorReply(429, 'TOOMANYREQUESTS') : undefined), [id]);
  expectStatus(t, results, id, 'pass');
  t.equal(refused, 3, 'two 429s, then the push went through');
});

t.test('a descriptor of the wrong size answered 500, or refused with another code, fails manifests.push.descriptor-size-mismatch', async (t) => {
  const id = 'manifests.push.descriptor-size-mismatch';
  const wrong = (request: TamperRequest): boolean => isManifestPut(request) && /\/manifests\/wrong-(layer|child)$/.test(request.url.pathname);
  let results = await tampered(t, (request) => (wrong(request) ? reply(500) : undefined), [id]);
  expectStatus(t, results, id, 'fail', /descriptor of a layer says \d+ bytes, one more than it has: expected status 201 or 400, got 500/);
  results = await tampered(t, (request) => (wrong(request) && request.url.pathname.endsWith('child') ? errorReply(400, 'DIGEST_INVALID') : undefined), [id]);
  expectStatus(t, results, id, 'fail', /an index child has the wrong size: expected error code MANIFEST_INVALID or MANIFEST_BLOB_UNKNOWN, got DIGEST_INVALID/);
  results = await tampered(t, (request) => (wrong(request) ? reply(201, { location: '/v2/x/manifests/y' }) : undefined), [id]);
  expectStatus(t, results, id, 'pass');
});
