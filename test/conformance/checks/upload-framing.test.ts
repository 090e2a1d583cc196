/**
 * The upload framing checks against the reference registry, and behind a tampering proxy that
 * answers the way the mutants that revealed them did: a malformed Content-Range answered 500 (the
 * range parsed without its grammar test), and the last chunk of a closing PUT in chunked transfer
 * coding ignored (the PUT taken for a close without a body: 400 DIGEST_INVALID).
 */
import t from 'tap';
import framing from '../../../conformance/checks/upload-framing.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { errorReply, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const RANGE = 'blobs.upload.content-range-malformed';
const CHUNKED = 'blobs.upload.last-chunk-chunked-encoding';
const isUpload = (method: string) => (request: TamperRequest): boolean => request.method === method && request.url.pathname.includes('/blobs/uploads/');

t.test('the reference passes both', async (t) => {
  const results = await tampered(t, () => undefined, framing, [RANGE, CHUNKED]);
  for (const id of [RANGE, CHUNKED]) t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
});

t.test('a malformed Content-Range answered 500 fails', async (t) => {
  const results = await tampered(t, (request) => (isUpload('PATCH')(request) && String(request.headers['content-range']).includes('/') ? errorReply(500, 'UNKNOWN') : undefined), framing, [RANGE]);
  t.equal(results.get(RANGE)?.status, 'fail', describeResult(results, RANGE));
  t.match(results.get(RANGE)?.message, /the HTTP response form/);
});

t.test('a chunked closing PUT taken for a close without its last chunk fails', async (t) => {
  const results = await tampered(t, (request) => (isUpload('PUT')(request) && request.headers['transfer-encoding'] !== undefined ? errorReply(400, 'DIGEST_INVALID') : undefined), framing, [CHUNKED]);
  t.equal(results.get(CHUNKED)?.status, 'fail', describeResult(results, CHUNKED));
});
