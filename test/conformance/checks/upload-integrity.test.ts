/**
 * The upload integrity checks against the reference registry, and behind a tampering proxy that
 * answers the way the store/uploads.ts mutants did: a single POST with the wrong body stored
 * (201, then served under the claimed digest), and a session taken through another repository's
 * URL (204 to its status).
 */
import t from 'tap';
import integrity from '../../../conformance/checks/upload-integrity.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { reply } from '../../helpers/tamper-proxy.ts';

const MISMATCH = 'blobs.upload.single-post-digest-mismatch';
const OTHER = 'blobs.upload.session-other-repository';

t.test('the reference passes both', async (t) => {
  const results = await tampered(t, () => undefined, integrity, [MISMATCH, OTHER]);
  for (const id of [MISMATCH, OTHER]) t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
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
