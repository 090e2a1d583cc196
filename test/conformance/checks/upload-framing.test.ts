/**
 * The upload framing checks against the reference registry, and behind a tampering proxy that
 * answers the way the mutants that revealed them did: a malformed Content-Range answered 500 (the
 * range parsed without its grammar test), and the last chunk of a closing PUT in chunked transfer
 * coding ignored (the PUT taken for a close without a body: 400 DIGEST_INVALID), and a chunk
 * shorter than its Content-Range taken (202, as CNCF Distribution 2.8.2 does) or answered 500 (the
 * store/uploads.ts mutants with an empty error kind).
 */
import t from 'tap';
import framing from '../../../conformance/checks/upload-framing.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { errorReply, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const RANGE = 'blobs.upload.content-range-malformed';
const CHUNKED = 'blobs.upload.last-chunk-chunked-encoding';
const SHORT = 'blobs.upload.chunk-length-mismatch';
const isUpload = (method: string) => (request: TamperRequest): boolean => request.method === method && request.url.pathname.includes('/blobs/uploads/');

t.test('the reference passes all three', async (t) => {
  const results = await tampered(t, () => undefined, framing, [RANGE, CHUNKED, SHORT]);
  for (const id of [RANGE, CHUNKED, SHORT]) t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
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

t.test('a chunk shorter than its Content-Range taken, or answered 500, warns', async (t) => {
  // Taken as the bytes it carries: the proxy drops the Content-Range, so the reference streams it in.
  const short = (request: TamperRequest): boolean => {
    const range = /^(\d+)-(\d+)$/.exec(String(request.headers['content-range']));
    return isUpload('PATCH')(request) && range !== null && Number(range[2]) - Number(range[1]) + 1 !== request.body.length;
  };
  let results = await tampered(t, (request, forward) => (short(request) ? forward({ headers: { ...request.headers, 'content-range': undefined, 'content-length': String(request.body.length), 'transfer-encoding': undefined } }) : undefined), framing, [SHORT]);
  t.equal(results.get(SHORT)?.status, 'warn', describeResult(results, SHORT));
  t.match(results.get(SHORT)?.message, /with Content-Length 200 and 200 bytes: expected status 400 or 416, got 202/);
  results = await tampered(t, (request) => (short(request) && request.headers['transfer-encoding'] !== undefined ? errorReply(500, 'UNKNOWN') : undefined), framing, [SHORT]);
  t.equal(results.get(SHORT)?.status, 'warn', describeResult(results, SHORT));
  t.match(results.get(SHORT)?.message, /with 200 bytes in chunked transfer coding: expected status 400 or 416, got 500/);
  // Refused, but the session kept the bytes of the refused chunk.
  results = await tampered(t, async (request, forward) => {
    if (!short(request)) return undefined;
    await forward({ headers: { ...request.headers, 'content-range': undefined, 'content-length': String(request.body.length), 'transfer-encoding': undefined } });
    return errorReply(400, 'BLOB_UPLOAD_INVALID');
  }, framing, [SHORT]);
  t.equal(results.get(SHORT)?.status, 'warn', describeResult(results, SHORT));
  t.match(results.get(SHORT)?.message, /GET <location> after the refused PATCH .*expected header Range: 0-1023, got "0-1223"/);
});
