/**
 * validation.errors.every-answer: it judges the answers the checks before it received. Against the
 * reference registry after the upload checks, and behind a tampering proxy that answers the way
 * the errors.ts mutants did: one flow's error (an upload PUT without ?digest=) with an empty code,
 * or with a body that is JSON but no envelope.
 */
import t from 'tap';
import uploads from '../../../conformance/checks/uploads.ts';
import envelope from '../../../conformance/checks/error-envelope.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { reply, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ID = 'validation.errors.every-answer';
const CHECKS = [...uploads, ...envelope];
const IDS = [...uploads.map((c) => c.id), ID];
const isPutWithoutDigest = (request: TamperRequest): boolean => request.method === 'PUT' && request.url.pathname.includes('/blobs/uploads/') && !request.url.searchParams.has('digest');

t.test('the reference answers every error with the envelope', async (t) => {
  const results = await tampered(t, () => undefined, CHECKS, IDS);
  t.equal(results.get(ID)?.status, 'pass', describeResult(results, ID));
  t.match(results.get(ID)?.message, /\d+ JSON error answers checked/);
});

t.test('one flow answering with an empty code, or JSON that is no envelope, fails', async (t) => {
  const hooks: readonly [TamperHook, RegExp][] = [
    [(request) => (isPutWithoutDigest(request) ? reply(400, {}, { errors: [{ code: '', message: 'no digest' }] }) : undefined), /error code "" is not one of the spec's codes/],
    [(request) => (isPutWithoutDigest(request) ? reply(400, {}, { error: 'digest missing' }) : undefined), /not the error envelope/],
  ];
  for (const [hook, message] of hooks) {
    const results = await tampered(t, hook, CHECKS, IDS);
    t.equal(results.get(ID)?.status, 'fail', describeResult(results, ID));
    t.match(results.get(ID)?.message, message);
  }
});
