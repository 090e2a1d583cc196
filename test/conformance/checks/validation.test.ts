/**
 * The validation checks (conformance/checks/validation.ts) against the reference registry — every
 * one passes — against the reference with the faults invalid-digest-500 (CNCF Distribution 2.8.2)
 * and error-codes-nonstandard, and behind a tampering proxy answering 500 or 2xx to invalid input,
 * resolving a percent-encoded "../", normalizing capital digests or sending other error bodies, to
 * prove each check fails, warns or skips as designed.
 */
import t, { type Test } from 'tap';
import validation from '../../../conformance/checks/validation.ts';
import type { FaultName } from '../../../reference/faults/catalog.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, reply, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ALL = validation.map((c) => c.id);

const tampered = (t: Test, hook: TamperHook, ids: readonly string[], faults: readonly FaultName[] = []) =>
  tamperedChecks(t, hook, validation, ids, { registry: { faults } });

const isManifestPut = (r: TamperRequest): boolean => r.method === 'PUT' && r.url.pathname.includes('/manifests/');
const isUploadClose = (r: TamperRequest): boolean => r.method === 'PUT' && r.url.pathname.includes('/blobs/uploads/');

t.test('every validation check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  t.ok(validation.length >= 9, 'the validation checks are all there');
  const results = await runChecks(t, registry.url, validation, ALL);
  for (const c of validation) {
    t.equal(results.get(c.id)?.status, 'pass', describeResult(results, c.id));
    t.match(c.id, /^validation\.[a-z]+\.[a-z0-9-]+$/, 'id in the validation area');
  }
  t.match(results.get('validation.errors.envelope')?.message, /^[1-9]\d* JSON error bodies of \d+ requests checked$/);
});

t.test('error codes outside the closed set (fault error-codes-nonstandard) fail the envelope and the code checks', async (t) => {
  const results = await tampered(t, () => undefined, ALL, ['error-codes-nonstandard']);
  t.equal(results.get('validation.errors.envelope')?.status, 'fail', describeResult(results, 'validation.errors.envelope'));
  t.match(results.get('validation.errors.envelope')?.message, /error code "(NOT_FOUND|BAD_REQUEST)" is not one of the spec's codes/);
  for (const id of ['validation.name.invalid-code', 'validation.tag.invalid-code', 'validation.manifest.invalid-body']) {
    t.equal(results.get(id)?.status, 'warn', describeResult(results, id));
    t.match(results.get(id)?.message, /error code "BAD_REQUEST" is not one of the spec's codes/);
  }
  t.equal(results.get('validation.upload.digest-malformed')?.status, 'fail', describeResult(results, 'validation.upload.digest-malformed'));
  for (const id of ['validation.name.invalid', 'validation.tag.invalid', 'validation.digest.blob-paths', 'validation.digest.manifest-paths']) {
    t.equal(results.get(id)?.status, 'pass', `${id} looks at statuses only: ${describeResult(results, id)}`);
  }
});

t.test('500 to an invalid digest in a manifest path (fault invalid-digest-500, Distribution 2.8.2) fails validation.digest.manifest-paths', async (t) => {
  const results = await tampered(t, () => undefined, ['validation.digest.manifest-paths', 'validation.digest.blob-paths'], ['invalid-digest-500']);
  t.equal(results.get('validation.digest.manifest-paths')?.status, 'fail', describeResult(results, 'validation.digest.manifest-paths'));
  t.match(results.get('validation.digest.manifest-paths')?.message, /manifest GET of a digest with an encoded part that is not hex \(sha256:XYZ\): expected status 400 or 404, got 500/);
  t.equal(results.get('validation.digest.blob-paths')?.status, 'pass');
});

t.test('500 to invalid names fails validation.name.invalid', async (t) => {
  const results = await tampered(t, (request) => (request.url.pathname.includes('..%2F') ? reply(500, {}, 'internal error') : undefined), ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'fail', describeResult(results, 'validation.name.invalid'));
  t.match(results.get('validation.name.invalid')?.message, /tags\/list with a name containing a percent-encoded "\.\.\/" .*: expected status 400 or 404, got 500/);
});

t.test('a registry resolving a percent-encoded "../" opens sessions elsewhere and fails validation.name.invalid', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!request.url.pathname.includes('..%2F')) return undefined;
    const resolved = new URL(decodeURIComponent(request.url.pathname), 'http://registry.invalid').pathname;
    return forward({ path: resolved });
  }, ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'fail', describeResult(results, 'validation.name.invalid'));
  t.match(results.get('validation.name.invalid')?.message, /upload POST with a name containing a percent-encoded "\.\.\/" .*got 202/);
});

t.test('an overlong name may be accepted on writes, never answered 5xx', async (t) => {
  const overlong = (request: TamperRequest): boolean => /a{200}/.test(request.url.pathname);
  let results = await tampered(t, (request) => (overlong(request) && request.method === 'POST' ? reply(202, { location: '/v2/somewhere/blobs/uploads/x' }) : undefined), ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'pass', describeResult(results, 'validation.name.invalid'));
  results = await tampered(t, (request) => (overlong(request) ? reply(500) : undefined), ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'fail', describeResult(results, 'validation.name.invalid'));
  t.match(results.get('validation.name.invalid')?.message, /with a name of 257 characters: expected status 400 or 404 or 414, got 500/);
});

t.test('a valid name of many short components answered 5xx fails validation.name.invalid (a store that hits its file-name limit)', async (t) => {
  const many = (request: TamperRequest): boolean => /(a\/){40}/.test(request.url.pathname);
  let results = await tampered(t, (request) => (many(request) ? reply(500) : undefined), ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'fail', describeResult(results, 'validation.name.invalid'));
  t.match(results.get('validation.name.invalid')?.message, /with a name of \d+ characters in \d+ components: expected status 400 or 404 or 414, got 500/);
  results = await tampered(t, (request) => (many(request) ? errorReply(400, 'NAME_INVALID') : undefined), ['validation.name.invalid']);
  t.equal(results.get('validation.name.invalid')?.status, 'pass', describeResult(results, 'validation.name.invalid'));
});

t.test('another code than NAME_INVALID for an invalid name warns on validation.name.invalid-code', async (t) => {
  const results = await tampered(t, (request) => (request.url.pathname.includes('-UPPER/') ? errorReply(400, 'NAME_UNKNOWN') : undefined), ['validation.name.invalid-code', 'validation.name.invalid']);
  t.equal(results.get('validation.name.invalid-code')?.status, 'warn', describeResult(results, 'validation.name.invalid-code'));
  t.match(results.get('validation.name.invalid-code')?.message, /name containing capitals .*expected error code NAME_INVALID, got NAME_UNKNOWN/);
  t.equal(results.get('validation.name.invalid')?.status, 'pass');
});

t.test('a manifest stored under an invalid tag fails validation.tag.invalid', async (t) => {
  const results = await tampered(t, (request) => (isManifestPut(request) && request.url.pathname.endsWith('/manifests/.hidden') ? reply(201, { location: request.url.pathname }) : undefined), ['validation.tag.invalid', 'validation.tag.invalid-code']);
  t.equal(results.get('validation.tag.invalid')?.status, 'fail', describeResult(results, 'validation.tag.invalid'));
  t.match(results.get('validation.tag.invalid')?.message, /tag with a leading "\." \(\.hidden\): expected status 400 or 404, got 201/);
  t.equal(results.get('validation.tag.invalid-code')?.status, 'warn');
});

t.test('TAG_INVALID (outside the closed set) for an invalid tag warns on validation.tag.invalid-code; a 404 (end-7 failure) passes', async (t) => {
  const invalidTag = (request: TamperRequest): boolean => isManifestPut(request) && /\/manifests\/(t{129}|\.hidden|-dash|a\+b)$/.test(request.url.pathname);
  let results = await tampered(t, (request) => (invalidTag(request) ? errorReply(400, 'TAG_INVALID') : undefined), ['validation.tag.invalid-code', 'validation.tag.invalid']);
  t.equal(results.get('validation.tag.invalid-code')?.status, 'warn', describeResult(results, 'validation.tag.invalid-code'));
  t.match(results.get('validation.tag.invalid-code')?.message, /error code "TAG_INVALID" is not one of the spec's codes/);
  t.equal(results.get('validation.tag.invalid')?.status, 'pass');
  results = await tampered(t, (request) => (invalidTag(request) ? reply(404, { 'content-type': 'text/plain' }, '404 page not found') : undefined), ['validation.tag.invalid-code', 'validation.tag.invalid']);
  t.equal(results.get('validation.tag.invalid-code')?.status, 'pass', `a router refusing invalid tags with 404 (CNCF Distribution 2.8.2) is within end-7's failures: ${describeResult(results, 'validation.tag.invalid-code')}`);
  t.equal(results.get('validation.tag.invalid')?.status, 'pass', 'a router refusing invalid tags with 404 is allowed at MUST level');
});

t.test('a registry serving content under capital-hex digests fails the digest path checks', async (t) => {
  const results = await tampered(t, (request, forward) => {
    const match = /^(.*\/(?:blobs|manifests)\/sha256:)([A-F0-9]{64})$/.exec(request.url.pathname);
    return match ? forward({ path: `${match[1]}${(match[2] ?? '').toLowerCase()}` }) : undefined;
  }, ['validation.digest.blob-paths', 'validation.digest.manifest-paths']);
  t.equal(results.get('validation.digest.blob-paths')?.status, 'fail', describeResult(results, 'validation.digest.blob-paths'));
  t.match(results.get('validation.digest.blob-paths')?.message, /blob GET of a digest with capital hex .*: expected status 400 or 404, got 200/);
  t.equal(results.get('validation.digest.manifest-paths')?.status, 'fail', describeResult(results, 'validation.digest.manifest-paths'));
  t.match(results.get('validation.digest.manifest-paths')?.message, /manifest GET of a digest with capital hex/);
});

t.test('500 to a malformed blob digest fails validation.digest.blob-paths', async (t) => {
  const results = await tampered(t, (request) => (request.url.pathname.endsWith('/blobs/sha256') ? reply(500) : undefined), ['validation.digest.blob-paths']);
  t.equal(results.get('validation.digest.blob-paths')?.status, 'fail', describeResult(results, 'validation.digest.blob-paths'));
  t.match(results.get('validation.digest.blob-paths')?.message, /blob GET of a digest with no ":<encoded>" part .*got 500/);
});

t.test('a malformed ?digest= accepted, or refused with another code, fails validation.upload.digest-malformed', async (t) => {
  let results = await tampered(t, (request) => (isUploadClose(request) && request.url.searchParams.get('digest') === 'sha256' ? reply(201, { location: request.url.pathname }) : undefined), ['validation.upload.digest-malformed']);
  t.equal(results.get('validation.upload.digest-malformed')?.status, 'fail', describeResult(results, 'validation.upload.digest-malformed'));
  t.match(results.get('validation.upload.digest-malformed')?.message, /\?digest= with no ":<encoded>" part \(sha256\): expected status 400, got 201/);
  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    return isUploadClose(request) && response.status === 400 ? errorReply(400, 'BLOB_UPLOAD_INVALID') : response;
  }, ['validation.upload.digest-malformed']);
  t.equal(results.get('validation.upload.digest-malformed')?.status, 'fail');
  t.match(results.get('validation.upload.digest-malformed')?.message, /expected error code DIGEST_INVALID, got BLOB_UPLOAD_INVALID/);
});

t.test('invalid manifest bodies answered 500 or accepted warn on validation.manifest.invalid-body', async (t) => {
  const invalidBody = (request: TamperRequest): boolean => isManifestPut(request) && /\/manifests\/invalid-\d+$/.test(request.url.pathname);
  let results = await tampered(t, (request) => (invalidBody(request) ? reply(500, {}, 'panic: unexpected end of JSON input') : undefined), ['validation.manifest.invalid-body']);
  t.equal(results.get('validation.manifest.invalid-body')?.status, 'warn', describeResult(results, 'validation.manifest.invalid-body'));
  t.match(results.get('validation.manifest.invalid-body')?.message, /manifest PUT of a body with not JSON: expected status 400, got 500/);
  results = await tampered(t, (request) => (invalidBody(request) && request.url.pathname.endsWith('invalid-3') ? reply(201, { location: request.url.pathname }) : undefined), ['validation.manifest.invalid-body']);
  t.equal(results.get('validation.manifest.invalid-body')?.status, 'warn');
  t.match(results.get('validation.manifest.invalid-body')?.message, /body with no config and no layers: expected status 400, got 201/);
  // The manifest-format.ts mutants: each body the validation let through, accepted.
  for (const [needle, why] of [['"urls":[42]', 'urls hold a number'], ['"artifactType":42', 'artifactType that is a number'], ['null', 'JSON null']] as const) {
    results = await tampered(t, (request) => (isManifestPut(request) && request.body.toString('latin1').includes(needle) && /\/manifests\/invalid-\d+$/.test(request.url.pathname) ? reply(201, { location: request.url.pathname }) : undefined), ['validation.manifest.invalid-body']);
    t.equal(results.get('validation.manifest.invalid-body')?.status, 'warn', `${why}: ${describeResult(results, 'validation.manifest.invalid-body')}`);
    t.match(results.get('validation.manifest.invalid-body')?.message, new RegExp(`${why}: expected status 400, got 201`));
  }
});

t.test('JSON 4xx bodies that are not the envelope fail validation.errors.envelope; other formats pass', async (t) => {
  const rewrite4xx = (body: object | string): TamperHook => async (_request, forward) => {
    const response = await forward();
    if (response.status < 400 || response.status >= 500) return response;
    return typeof body === 'string' ? reply(response.status, { 'content-type': 'text/plain' }, body) : reply(response.status, {}, body);
  };
  let results = await tampered(t, rewrite4xx({ error: 'not found' }), ['validation.errors.envelope']);
  t.equal(results.get('validation.errors.envelope')?.status, 'fail', describeResult(results, 'validation.errors.envelope'));
  t.match(results.get('validation.errors.envelope')?.message, /a JSON body that is not the error envelope/);
  results = await tampered(t, rewrite4xx({ errors: [{ message: 'no code' }] }), ['validation.errors.envelope']);
  t.match(results.get('validation.errors.envelope')?.message, /an entry of "errors" without a string "code"/);
  results = await tampered(t, rewrite4xx('not found'), ['validation.errors.envelope']);
  t.equal(results.get('validation.errors.envelope')?.status, 'pass', `"MAY return a body in any format": ${describeResult(results, 'validation.errors.envelope')}`);
  t.match(results.get('validation.errors.envelope')?.message, /^0 JSON error bodies/);
});
