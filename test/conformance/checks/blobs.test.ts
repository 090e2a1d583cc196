/**
 * The blob pull checks (conformance/checks/blobs.ts) against the reference registry — every one
 * passes — and against the reference behind a tampering proxy that corrupts bytes, drops headers,
 * ignores Range or serves blobs from any repository, to prove each check fails, warns or skips.
 */
import t, { type Test } from 'tap';
import { runCheck } from '../../../conformance/checks/runner.ts';
import blobs from '../../../conformance/checks/blobs.ts';
import { content } from '../../../conformance/content.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { checkContext, describeResult, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, reply, withHeaders, type TamperHook } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[]) => tamperedChecks(t, hook, blobs, ids);

/** GET or HEAD of a blob (not an upload). */
const isBlobRead = (method: string, path: string): boolean => (method === 'GET' || method === 'HEAD') && /\/blobs\/sha(256|512):/.test(path);

t.test('every blob pull check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  const ctx = checkContext(t, registry.url);
  t.ok(blobs.length >= 8, 'the pull checks are all there');
  for (const c of blobs) {
    const result = await runCheck(c, ctx);
    t.equal(result.status, 'pass', `${c.id}: ${result.message}`);
    t.match(c.id, /^blobs\.pull\.[a-z0-9-]+$/, 'id in the blobs.pull area');
  }
});

t.test('corrupted bytes fail blobs.pull.get', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'GET' && isBlobRead(request.method, request.path) && response.status === 200) {
      const body = Buffer.from(response.body);
      body[0] = (body[0] ?? 0) ^ 0xff;
      return { ...response, body };
    }
    return response;
  }, ['blobs.pull.get']);
  t.equal(results.get('blobs.pull.get')?.status, 'fail', describeResult(results, 'blobs.pull.get'));
  t.match(results.get('blobs.pull.get')?.message, /body differs/);
});

t.test('a Docker-Content-Digest naming other content fails blobs.pull.get and blobs.pull.head', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobRead(request.method, request.path)) return undefined;
    return withHeaders(await forward(), { 'docker-content-digest': content('other').digest });
  }, ['blobs.pull.get', 'blobs.pull.head']);
  t.equal(results.get('blobs.pull.get')?.status, 'fail', describeResult(results, 'blobs.pull.get'));
  t.equal(results.get('blobs.pull.head')?.status, 'fail', describeResult(results, 'blobs.pull.head'));
  t.match(results.get('blobs.pull.head')?.message, /does not name the content/);
});

t.test('HEAD answering 404 or a wrong Content-Length fails blobs.pull.head', async (t) => {
  let results = await tampered(t, (request) => (request.method === 'HEAD' ? errorReply(404, 'BLOB_UNKNOWN') : undefined), ['blobs.pull.head']);
  t.equal(results.get('blobs.pull.head')?.status, 'fail', describeResult(results, 'blobs.pull.head'));
  t.match(results.get('blobs.pull.head')?.message, /HEAD blob: expected status 200, got 404/);
  results = await tampered(t, async (request, forward) => {
    if (request.method !== 'HEAD') return undefined;
    return withHeaders(await forward(), { 'content-length': '7' });
  }, ['blobs.pull.head']);
  t.match(results.get('blobs.pull.head')?.message, /Content-Length 7, expected 1024/);
});

t.test('dropping Docker-Content-Digest warns on blobs.pull.headers only', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobRead(request.method, request.path)) return undefined;
    return withHeaders(await forward(), { 'docker-content-digest': undefined });
  }, ['blobs.pull.headers', 'blobs.pull.get', 'blobs.pull.head']);
  t.equal(results.get('blobs.pull.headers')?.status, 'warn', describeResult(results, 'blobs.pull.headers'));
  t.match(results.get('blobs.pull.headers')?.message, /without Docker-Content-Digest/);
  t.equal(results.get('blobs.pull.get')?.status, 'pass', 'the header is a SHOULD in v1.1.1');
  t.equal(results.get('blobs.pull.head')?.status, 'pass');
});

t.test('a registry serving unknown blobs fails blobs.pull.unknown', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (isBlobRead(request.method, request.path) && response.status === 404) return reply(200, {}, 'surprise');
    return response;
  }, ['blobs.pull.unknown']);
  t.equal(results.get('blobs.pull.unknown')?.status, 'fail', describeResult(results, 'blobs.pull.unknown'));
  t.match(results.get('blobs.pull.unknown')?.message, /GET of an unknown blob: expected status 404, got 200/);
});

t.test('another error code for an unknown blob warns on blobs.pull.unknown-code', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (isBlobRead(request.method, request.path) && response.status === 404) return errorReply(404, 'NAME_UNKNOWN');
    return response;
  }, ['blobs.pull.unknown-code', 'blobs.pull.unknown']);
  t.equal(results.get('blobs.pull.unknown-code')?.status, 'warn', describeResult(results, 'blobs.pull.unknown-code'));
  t.match(results.get('blobs.pull.unknown-code')?.message, /expected error code BLOB_UNKNOWN, got NAME_UNKNOWN/);
  t.equal(results.get('blobs.pull.unknown')?.status, 'pass');
});

t.test('a registry ignoring Range skips the range checks, with the reason', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!isBlobRead(request.method, request.path)) return undefined;
    const headers = { ...request.headers };
    delete headers.range;
    return forward({ headers });
  }, ['blobs.pull.range', 'blobs.pull.range-unsatisfiable']);
  for (const id of ['blobs.pull.range', 'blobs.pull.range-unsatisfiable']) {
    t.equal(results.get(id)?.status, 'skip', describeResult(results, id));
    t.match(results.get(id)?.message, /ignores Range \(answered 200 with the whole blob/);
  }
});

t.test('wrong ranges warn on blobs.pull.range and blobs.pull.range-unsatisfiable', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobRead(request.method, request.path) || request.headers.range === undefined) return undefined;
    const response = await forward();
    if (response.status === 206) return { ...response, body: Buffer.from(response.body.subarray(1)) }; // one byte short
    if (response.status === 416) return reply(206, { 'content-range': 'bytes 0-0/100' }, 'x');
    return response;
  }, ['blobs.pull.range', 'blobs.pull.range-unsatisfiable']);
  t.equal(results.get('blobs.pull.range')?.status, 'warn', describeResult(results, 'blobs.pull.range'));
  t.match(results.get('blobs.pull.range')?.message, /body differs/);
  t.equal(results.get('blobs.pull.range-unsatisfiable')?.status, 'warn', describeResult(results, 'blobs.pull.range-unsatisfiable'));
  t.match(results.get('blobs.pull.range-unsatisfiable')?.message, /expected status 416, got 206/);
});

t.test('a wrong Content-Range warns on blobs.pull.range', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobRead(request.method, request.path) || request.headers.range === undefined) return undefined;
    return withHeaders(await forward(), { 'content-range': 'bytes 0-199/1000' });
  }, ['blobs.pull.range']);
  t.match(results.get('blobs.pull.range')?.message, /Content-Range "bytes 0-199\/1000", expected "bytes 100-299\/1000"/);
});

t.test('a registry serving a blob from any repository fails blobs.pull.repo-isolation', async (t) => {
  // Remembers where each blob was pushed and serves it from there whatever the repository asked.
  const home = new Map<string, string>();
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    const created = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(response.headers.location ?? '');
    if (response.status === 201 && created) home.set(created[2] as string, created[1] as string);
    const read = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(request.url.pathname);
    const owner = read ? home.get(read[2] as string) : undefined;
    if (isBlobRead(request.method, request.path) && response.status === 404 && read && owner !== undefined) {
      return forward({ path: `/v2/${owner}/blobs/${read[2]}` });
    }
    return response;
  }, ['blobs.pull.repo-isolation', 'blobs.pull.get']);
  t.equal(results.get('blobs.pull.repo-isolation')?.status, 'fail', describeResult(results, 'blobs.pull.repo-isolation'));
  t.match(results.get('blobs.pull.repo-isolation')?.message, /pushed only to another repository: expected status 404, got 200/);
  t.equal(results.get('blobs.pull.get')?.status, 'pass');
});

t.test('a 416 with broken framing (CNCF Distribution 2.8.2) warns on blobs.pull.range-unsatisfiable, not error', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (!isBlobRead(request.method, request.path) || request.headers.range === undefined) return undefined;
    const response = await forward();
    if (response.status !== 416) return response;
    return { ...response, headers: { 'content-type': 'text/plain' }, body: Buffer.from('invalid range: failed to overlap'), declaredLength: 100 };
  }, ['blobs.pull.range-unsatisfiable']);
  t.equal(results.get('blobs.pull.range-unsatisfiable')?.status, 'warn', describeResult(results, 'blobs.pull.range-unsatisfiable'));
  t.match(results.get('blobs.pull.range-unsatisfiable')?.message, /broke off its answer/);
});
