/**
 * The upload integrity checks against the reference registry, and behind a tampering proxy that
 * answers the way the store/uploads.ts mutants did: a single POST with the wrong body stored
 * (201, then served under the claimed digest), and a session taken through another repository's
 * URL (204 to its status); and sessions fed in turn whose later chunks meet no running hash
 * (the store/digest.ts and store/uploads.ts mutants: 500, or a digest refused as wrong).
 */
import t from 'tap';
import integrity from '../../../conformance/checks/upload-integrity.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { reply } from '../../helpers/tamper-proxy.ts';

const MISMATCH = 'blobs.upload.single-post-digest-mismatch';
const OTHER = 'blobs.upload.session-other-repository';
const INTERLEAVED = 'blobs.upload.interleaved-sessions';

t.test('the reference passes all three', async (t) => {
  const results = await tampered(t, () => undefined, integrity, [MISMATCH, OTHER, INTERLEAVED]);
  for (const id of [MISMATCH, OTHER, INTERLEAVED]) t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
});

t.test('a wrong body stored under the claimed digest fails', async (t) => {
  const results = await tampered(t, (request) => {
    if (request.method === 'POST' && request.url.searchParams.has('digest')) return reply(201, { location: '/v2/x/blobs/y' });
    return request.method === 'GET' && request.url.pathname.includes('/blobs/sha256:') ? reply(200, {}, 'stored anyway') : undefined;
  }, integrity, [MISMATCH]);
  t.equal(results.get(MISMATCH)?.status, 'fail', describeResult(results, MISMATCH));
});

t.test('a session answered through another repository\'s URL fails', async (t) => {
  const results = await tampered(t, (request) => (request.method === 'GET' && request.url.pathname.includes('-other/blobs/uploads/') ? reply(204, { range: '0-299' }) : undefined), integrity, [OTHER]);
  t.equal(results.get(OTHER)?.status, 'fail', describeResult(results, OTHER));
  t.match(results.get(OTHER)?.message, /GET of the session's URL under/);
});

t.test('sessions fed in turn: a later chunk answered 500, or a correct digest refused, fails', async (t) => {
  const later = (request: { method: string; headers: Record<string, unknown> }): boolean => request.method === 'PATCH' && String(request.headers['content-range'] ?? '').startsWith('1024-');
  let results = await tampered(t, (request) => (later(request) ? reply(500) : undefined), integrity, [INTERLEAVED]);
  t.equal(results.get(INTERLEAVED)?.status, 'fail', describeResult(results, INTERLEAVED));
  t.match(results.get(INTERLEAVED)?.message, /session 1 of 12, chunk 2: PATCH Content-Range 1024-2047: expected status 202, got 500/);
  let closes = 0;
  results = await tampered(t, (request) => (request.method === 'PUT' && request.url.searchParams.has('digest') && ++closes === 5 ? reply(400, {}, { errors: [{ code: 'DIGEST_INVALID', message: 'upload has another digest' }] }) : undefined), integrity, [INTERLEAVED]);
  t.equal(results.get(INTERLEAVED)?.status, 'fail', describeResult(results, INTERLEAVED));
  t.match(results.get(INTERLEAVED)?.message, /closing session 5 of 12, fed in turn with the others: expected status 201, got 400/);
});
