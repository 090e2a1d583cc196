/**
 * validation.json.content-type against the reference registry, and behind a tampering proxy that
 * answers the way the respond.ts mutant did: JSON answers with an empty Content-Type, or none.
 */
import t from 'tap';
import contentTypes from '../../../conformance/checks/content-types.ts';
import { describeResult, tampered } from '../../helpers/checks.ts';
import { withHeaders, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const ID = 'validation.json.content-type';
const isGet = (request: TamperRequest): boolean => request.method === 'GET';

t.test('the reference labels its JSON', async (t) => {
  const results = await tampered(t, () => undefined, contentTypes, [ID]);
  t.equal(results.get(ID)?.status, 'pass', describeResult(results, ID));
});

t.test('an empty or missing label on the tags list or an error envelope warns', async (t) => {
  for (const [label, path] of [['', '/tags/list'], [undefined, '/manifests/never-pushed']] as const) {
    const results = await tampered(t, async (request, forward) => (isGet(request) && request.url.pathname.endsWith(path) ? withHeaders(await forward(), { 'content-type': label }) : undefined), contentTypes, [ID]);
    t.equal(results.get(ID)?.status, 'warn', `${path}: ${describeResult(results, ID)}`);
    t.match(results.get(ID)?.message, /not application\/json/);
  }
});
