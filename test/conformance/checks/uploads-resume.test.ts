/**
 * blobs.upload.resume-after-break against the reference registry, as it is and behind a tampering
 * proxy that answers the way broken registries do: a progress past what the client ever sent, or
 * a session that loses the bytes of the broken chunk but reports them kept.
 */
import t from 'tap';
import resume from '../../../conformance/checks/uploads-resume.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { withHeaders, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ID = 'blobs.upload.resume-after-break';
const isStatus = (request: TamperRequest): boolean => request.method === 'GET' && request.url.pathname.includes('/blobs/uploads/');

t.test('the reference keeps what arrived of a broken PATCH and resumes from its Range', async (t) => {
  const results = await tampered(t, () => undefined, resume, [ID]);
  t.equal(results.get(ID)?.status, 'pass', describeResult(results, ID));
  t.match(results.get(ID)?.message, /progress reported 4096/);
});

t.test('a progress past what the client sent fails', async (t) => {
  const results = await tampered(t, async (request, forward) => (isStatus(request) ? withHeaders(await forward(), { range: '0-3000000' }) : undefined), resume, [ID]);
  t.equal(results.get(ID)?.status, 'fail', describeResult(results, ID));
  t.match(results.get(ID)?.message, /says 3000001 bytes, but the client had sent 4096/);
});

t.test('a progress that counts bytes the session does not hold fails', async (t) => {
  // The status claims 64 KiB more than the session holds: the rest is sent from there, and the
  // assembled blob lacks those bytes.
  const results = await tampered(t, async (request, forward) => {
    if (!isStatus(request)) return undefined;
    const response = await forward();
    const end = /^0-(\d+)$/.exec(String(response.headers.range ?? ''));
    return end ? withHeaders(response, { range: `0-${Number(end[1]) + 65536}` }) : response;
  }, resume, [ID]);
  t.equal(results.get(ID)?.status, 'fail', describeResult(results, ID));
});
