/**
 * The upload checks (conformance/checks/uploads.ts) against the reference registry — every one
 * passes, also when session Locations carry query parameters or are absolute — and against the
 * reference behind a tampering proxy, to prove each check fails (or warns, or skips) for the
 * misbehaviour it is about.
 */
import t, { type Test } from 'tap';
import { runCheck } from '../../../conformance/checks/runner.ts';
import uploads from '../../../conformance/checks/uploads.ts';
import { ALL_CAPABILITIES } from '../../../conformance/config.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { checkContext, describeResult, findCheck, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { errorReply, reply, startTamperProxy, withHeaders, type TamperHook } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[]) => tamperedChecks(t, hook, uploads, ids);

const isUpload = (path: string): boolean => /\/blobs\/uploads\//.test(path);

t.test('every upload check passes against the reference registry', async (t) => {
  const registry = await startTestRegistry(t);
  const ctx = checkContext(t, registry.url);
  t.ok(uploads.length >= 15, 'the upload checks are all there');
  for (const c of uploads) {
    const result = await runCheck(c, ctx);
    t.equal(result.status, 'pass', `${c.id}: ${result.message}`);
    t.match(c.id, /^blobs\.upload\.[a-z0-9-]+$/, 'id in the blobs.upload area');
  }
});

t.test('query parameters and absolute URLs in session Locations are kept', async (t) => {
  const registry = await startTestRegistry(t);
  let proxyUrl = '';
  // Like Distribution's _state: sessions only work with the token the Location carried.
  const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
    const session = isUpload(request.url.pathname) && !request.url.pathname.endsWith('/uploads/');
    if (session && request.url.searchParams.get('token') !== 'kept') return errorReply(404, 'BLOB_UPLOAD_UNKNOWN');
    const response = await forward();
    const location = response.headers.location;
    if (location !== undefined && isUpload(location)) return withHeaders(response, { location: `${proxyUrl}${location}?token=kept` });
    return response;
  });
  proxyUrl = proxy.url;
  const ctx = checkContext(t, proxy.url);
  for (const c of uploads) {
    const result = await runCheck(c, ctx);
    t.equal(result.status, 'pass', `${c.id}: ${result.message}`);
  }
  t.ok(proxy.requests.some((r) => r.url.searchParams.get('token') === 'kept' && r.url.searchParams.has('digest')), 'PUT kept the token next to digest');
});

t.test('a registry answering 202 to an out-of-order chunk fails blobs.upload.chunked-out-of-order', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'PATCH' && response.status === 416) return reply(202, { location: request.path, range: '0-0' });
    return undefined;
  }, ['blobs.upload.chunked-out-of-order', 'blobs.upload.chunked']);
  t.equal(results.get('blobs.upload.chunked-out-of-order')?.status, 'fail', describeResult(results, 'blobs.upload.chunked-out-of-order'));
  t.match(results.get('blobs.upload.chunked-out-of-order')?.message, /expected status 416, got 202/);
  t.ok((results.get('blobs.upload.chunked-out-of-order')?.exchanges?.length ?? 0) > 0, 'the failing exchanges are kept');
  t.equal(results.get('blobs.upload.chunked')?.status, 'pass', 'in-order chunks still pass');
});

t.test('PATCH answers without Range fail the chunked checks', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (request.method !== 'PATCH') return undefined;
    return withHeaders(await forward(), { range: undefined });
  }, ['blobs.upload.chunked', 'blobs.upload.chunked-last-in-put', 'blobs.upload.streamed']);
  t.equal(results.get('blobs.upload.chunked')?.status, 'fail', describeResult(results, 'blobs.upload.chunked'));
  t.match(results.get('blobs.upload.chunked')?.message, /Range: 0-1023, got none/);
  t.equal(results.get('blobs.upload.chunked-last-in-put')?.status, 'fail');
  t.equal(results.get('blobs.upload.streamed')?.status, 'pass', 'a streamed PATCH is not held to Range');
});

t.test('POST answers without Location, or with the same one twice, fail blobs.upload.post-session', async (t) => {
  let results = await tampered(t, async (request, forward) => {
    if (request.method !== 'POST') return undefined;
    return withHeaders(await forward(), { location: undefined });
  }, ['blobs.upload.post-session', 'blobs.upload.monolithic']);
  t.equal(results.get('blobs.upload.post-session')?.status, 'fail', describeResult(results, 'blobs.upload.post-session'));
  t.match(results.get('blobs.upload.post-session')?.message, /without Location/);
  t.equal(results.get('blobs.upload.monolithic')?.status, 'fail');

  let first: string | undefined;
  results = await tampered(t, async (request, forward) => {
    if (request.method !== 'POST') return undefined;
    const response = await forward();
    first ??= response.headers.location;
    return withHeaders(response, { location: first });
  }, ['blobs.upload.post-session']);
  t.match(results.get('blobs.upload.post-session')?.message, /same upload Location/);
});

t.test('a 201 whose Location does not serve the blob fails blobs.upload.monolithic', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (request.method !== 'PUT') return undefined;
    const response = await forward();
    return response.status === 201 ? withHeaders(response, { location: '/v2/nowhere/blobs/sha256:0000' }) : response;
  }, ['blobs.upload.monolithic']);
  t.equal(results.get('blobs.upload.monolithic')?.status, 'fail', describeResult(results, 'blobs.upload.monolithic'));
  t.match(results.get('blobs.upload.monolithic')?.message, /GET the Location \/v2\/nowhere.*expected status 200, got 400/);
});

t.test('a wrong Docker-Content-Digest on a 201 fails blobs.upload.monolithic', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (request.method !== 'PUT') return undefined;
    return withHeaders(await forward(), { 'docker-content-digest': `sha256:${'a'.repeat(64)}` });
  }, ['blobs.upload.monolithic']);
  t.match(results.get('blobs.upload.monolithic')?.message, /Docker-Content-Digest .* does not name the content/);
});

t.test('single POST: 202 is a skip with the reason, a broken 201 a warning', async (t) => {
  // Like Distribution 2.8.2: ?digest= ignored, a session opened instead.
  let results = await tampered(t, async (request, forward) => {
    if (request.method === 'POST' && request.url.searchParams.has('digest')) return forward({ path: request.url.pathname, body: Buffer.alloc(0) });
    return undefined;
  }, ['blobs.upload.single-post']);
  t.equal(results.get('blobs.upload.single-post')?.status, 'skip');
  t.match(results.get('blobs.upload.single-post')?.message, /does not support single-POST uploads \(answered 202/);

  results = await tampered(t, (request) => {
    if (request.method === 'POST' && request.url.searchParams.has('digest')) return reply(201, { location: `/v2/x/blobs/${request.url.searchParams.get('digest')}` });
    return undefined;
  }, ['blobs.upload.single-post']);
  t.equal(results.get('blobs.upload.single-post')?.status, 'warn', describeResult(results, 'blobs.upload.single-post'));
});

t.test('a streamed PATCH refused warns (non-normative SHOULD)', async (t) => {
  const results = await tampered(t, (request) => {
    if (request.method === 'PATCH' && request.headers['content-range'] === undefined && request.headers['transfer-encoding'] === undefined) {
      return errorReply(400, 'BLOB_UPLOAD_INVALID');
    }
    return undefined;
  }, ['blobs.upload.streamed', 'blobs.upload.streamed-chunked-encoding']);
  t.equal(results.get('blobs.upload.streamed')?.status, 'warn', describeResult(results, 'blobs.upload.streamed'));
  t.equal(results.get('blobs.upload.streamed')?.nonNormative, true);
  t.equal(results.get('blobs.upload.streamed-chunked-encoding')?.status, 'pass');
});

t.test('a PATCH with Transfer-Encoding: chunked refused warns', async (t) => {
  const results = await tampered(t, (request) => {
    if (request.method === 'PATCH' && request.headers['transfer-encoding'] !== undefined) return reply(411);
    return undefined;
  }, ['blobs.upload.streamed-chunked-encoding', 'blobs.upload.streamed']);
  t.equal(results.get('blobs.upload.streamed-chunked-encoding')?.status, 'warn', describeResult(results, 'blobs.upload.streamed-chunked-encoding'));
  t.match(results.get('blobs.upload.streamed-chunked-encoding')?.message, /got 411/);
  t.equal(results.get('blobs.upload.streamed')?.status, 'pass');
});

t.test('upload status by a stale Location (Distribution 2.8.2) fails blobs.upload.status', async (t) => {
  // Every session Location carries the size it was issued at; a GET with an older one is 404.
  const received = (range: string | undefined): number => Number(/^0-(\d+)$/.exec(range ?? '')?.[1] ?? -1) + 1;
  const results = await tampered(t, async (request, forward) => {
    if (!isUpload(request.url.pathname)) return undefined;
    const response = await forward();
    const at = request.url.searchParams.get('at');
    if (request.method === 'GET' && at !== null && response.status === 204 && String(received(response.headers.range)) !== at) {
      return errorReply(404, 'BLOB_UPLOAD_UNKNOWN');
    }
    const location = response.headers.location;
    if (location === undefined || !isUpload(location)) return response;
    return withHeaders(response, { location: `${location}?at=${request.method === 'POST' ? 0 : received(response.headers.range)}` });
  }, ['blobs.upload.status']);
  t.equal(results.get('blobs.upload.status')?.status, 'fail', describeResult(results, 'blobs.upload.status'));
  t.match(results.get('blobs.upload.status')?.message, /Location of the POST: expected status 204, got 404/);
});

t.test('upload status without Range fails blobs.upload.status', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    if (request.method !== 'GET' || !isUpload(request.path)) return undefined;
    return withHeaders(await forward(), { range: undefined });
  }, ['blobs.upload.status']);
  t.equal(results.get('blobs.upload.status')?.status, 'fail', describeResult(results, 'blobs.upload.status'));
});

t.test('a DELETE that leaves the session alive warns on blobs.upload.cancel', async (t) => {
  const results = await tampered(t, (request) => {
    if (request.method === 'DELETE' && isUpload(request.path)) return reply(204);
    return undefined;
  }, ['blobs.upload.cancel']);
  t.equal(results.get('blobs.upload.cancel')?.status, 'warn', describeResult(results, 'blobs.upload.cancel'));
  t.match(results.get('blobs.upload.cancel')?.message, /cancelled session: expected status 404, got 204/);
});

t.test('cancel is skipped for spec v1.1.1', async (t) => {
  const registry = await startTestRegistry(t);
  const result = await runCheck(findCheck(uploads, 'blobs.upload.cancel'), checkContext(t, registry.url, { specVersion: 'v1.1.1' }));
  t.equal(result.status, 'skip');
  t.match(result.message, /added after v1\.1\.1/);
});

t.test('blobs.upload.cancel-honoured: a session that survives its 204 warns; no cancel at all skips', async (t) => {
  let results = await tamperedChecks(t, () => undefined, uploads, ['blobs.upload.cancel-honoured'], { registry: { faults: ['cancelled-upload-accepts-data'] }, config: { specVersion: 'v1.1.1' } });
  t.equal(results.get('blobs.upload.cancel-honoured')?.status, 'warn', describeResult(results, 'blobs.upload.cancel-honoured'));
  t.match(results.get('blobs.upload.cancel-honoured')?.message, /DELETE answered 204, but the session still accepts data \(PATCH → 202\)/);
  results = await tampered(t, (request) => (request.method === 'DELETE' && isUpload(request.path) ? errorReply(405, 'UNSUPPORTED') : undefined), ['blobs.upload.cancel-honoured']);
  t.equal(results.get('blobs.upload.cancel-honoured')?.status, 'skip');
  t.match(results.get('blobs.upload.cancel-honoured')?.message, /does not cancel upload sessions \(DELETE answered 405\)/);
});

t.test('a registry accepting any PUT fails the digest checks', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'PUT' && response.status === 400) return reply(201, { location: `${request.url.pathname}` });
    return response;
  }, ['blobs.upload.digest-mismatch', 'blobs.upload.put-without-digest']);
  t.equal(results.get('blobs.upload.digest-mismatch')?.status, 'fail', describeResult(results, 'blobs.upload.digest-mismatch'));
  t.equal(results.get('blobs.upload.put-without-digest')?.status, 'fail', describeResult(results, 'blobs.upload.put-without-digest'));
  t.match(results.get('blobs.upload.digest-mismatch')?.message, /expected status 400, got 201/);
  t.match(results.get('blobs.upload.put-without-digest')?.message, /PUT without \?digest=: expected status 400, got 201/);
});

t.test('a wrong error code for a digest mismatch fails blobs.upload.digest-mismatch', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'PUT' && response.status === 400) return errorReply(400, 'SIZE_INVALID');
    return response;
  }, ['blobs.upload.digest-mismatch']);
  t.match(results.get('blobs.upload.digest-mismatch')?.message, /expected error code DIGEST_INVALID, got SIZE_INVALID/);
});

t.test('sessions that live on after PUT fail blobs.upload.unknown-session', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (isUpload(request.path) && request.method === 'GET' && response.status === 404) return reply(204, { location: request.path, range: '0-255' });
    return response;
  }, ['blobs.upload.unknown-session']);
  t.equal(results.get('blobs.upload.unknown-session')?.status, 'fail', describeResult(results, 'blobs.upload.unknown-session'));
  t.match(results.get('blobs.upload.unknown-session')?.message, /already closed by PUT: expected status 404, got 204/);
});

t.test('a made-up session accepted fails blobs.upload.unknown-session', async (t) => {
  const issued = new Set<string>();
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (response.headers.location !== undefined) issued.add(response.headers.location);
    if (request.method === 'PATCH' && response.status === 404 && !issued.has(request.path)) return reply(202, { location: request.path, range: '0-15' });
    return response;
  }, ['blobs.upload.unknown-session']);
  t.match(results.get('blobs.upload.unknown-session')?.message, /made-up upload session: expected status 404 or 400, got 202/);
});

t.test('refusing the empty blob fails blobs.upload.empty-blob', async (t) => {
  const results = await tampered(t, (request) => {
    if (request.method === 'PUT' && request.url.searchParams.get('digest') === 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855') return errorReply(400, 'SIZE_INVALID');
    return undefined;
  }, ['blobs.upload.empty-blob']);
  t.equal(results.get('blobs.upload.empty-blob')?.status, 'fail', describeResult(results, 'blobs.upload.empty-blob'));
  t.match(results.get('blobs.upload.empty-blob')?.message, /empty blob> with no body: expected status 201, got 400/);
});

t.test('sha512: refused is a skip; accepted but not served is a failure', async (t) => {
  let results = await tampered(t, (request) => {
    if (request.url.searchParams.get('digest')?.startsWith('sha512:')) return errorReply(400, 'DIGEST_INVALID');
    if (request.url.searchParams.get('digest-algorithm') === 'sha512') return errorReply(400, 'DIGEST_INVALID');
    return undefined;
  }, ['blobs.upload.sha512', 'blobs.upload.digest-algorithm', 'blobs.upload.sha512-identity']);
  t.equal(results.get('blobs.upload.sha512')?.status, 'skip');
  t.equal(results.get('blobs.upload.sha512-identity')?.status, 'skip');
  t.match(results.get('blobs.upload.sha512')?.message, /does not accept sha512 blobs .*answered 400/);
  t.equal(results.get('blobs.upload.digest-algorithm')?.status, 'skip');
  t.match(results.get('blobs.upload.digest-algorithm')?.message, /refuses digest-algorithm=sha512/);

  // Accepted with 201, then only reachable under its sha256 digest.
  results = await tampered(t, (request) => {
    if (request.method === 'GET' && /\/blobs\/sha512:/.test(request.path)) return errorReply(404, 'BLOB_UNKNOWN');
    return undefined;
  }, ['blobs.upload.sha512', 'blobs.upload.digest-algorithm']);
  t.equal(results.get('blobs.upload.sha512')?.status, 'fail', describeResult(results, 'blobs.upload.sha512'));
  t.equal(results.get('blobs.upload.digest-algorithm')?.status, 'warn', describeResult(results, 'blobs.upload.digest-algorithm'));

  // Stored and served under its sha256 alias (CNCF Distribution 2.8.2): a SHOULD-level warning only.
  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    const digest = response.headers['docker-content-digest'];
    if (digest?.startsWith('sha512:')) return withHeaders(response, { 'docker-content-digest': `sha256:${'b'.repeat(64)}` });
    return response;
  }, ['blobs.upload.sha512-identity']);
  t.equal(results.get('blobs.upload.sha512-identity')?.status, 'warn', describeResult(results, 'blobs.upload.sha512-identity'));
  t.match(results.get('blobs.upload.sha512-identity')?.message, /Docker-Content-Digest sha256:b+ instead of the digest the blob was pushed and asked for/);

  // Served, but with wrong bytes.
  results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'GET' && /\/blobs\/sha512:/.test(request.path)) return { ...response, body: Buffer.from(response.body.subarray(1)) };
    return response;
  }, ['blobs.upload.sha512']);
  t.equal(results.get('blobs.upload.sha512')?.status, 'fail', describeResult(results, 'blobs.upload.sha512'));
});

t.test('a registry without sha512 skips the sha512 checks', async (t) => {
  const registry = await startTestRegistry(t);
  const ctx = checkContext(t, registry.url, { capabilities: { ...ALL_CAPABILITIES, sha512: false } });
  for (const id of ['blobs.upload.sha512', 'blobs.upload.sha512-identity', 'blobs.upload.digest-algorithm']) {
    const result = await runCheck(findCheck(uploads, id), ctx);
    t.equal(result.status, 'skip', id);
    t.match(result.message, /without: sha512/);
  }
});
