/**
 * The curl reproduction scripts (conformance/client/curl.ts). By hand-built exchanges: each
 * Location a later request used (relative, absolute, with a query) is captured from the replay's
 * answer and the suite's `?digest=` / `&digest=` kept; the run id becomes $RUN; bodies not kept
 * are zeros said so; credentials are never written. Run with bash against a recording server:
 * hostile header values, bodies, titles and Locations arrive byte-exact and run nothing. End to
 * end: a real upload-push-pull-delete sequence recorded by RegistryClient replays against the
 * reference registry with every status as recorded, also behind a proxy whose session Locations
 * are absolute and carry a per-proxy token; replayed against a registry with a fault, the step
 * where it misbehaves is flagged.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { curlScript } from '../../../conformance/client/curl.ts';
import type { Exchange } from '../../../conformance/client/exchange.ts';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { OCTET, openUpload, patchChunk, putClose, withDigest } from '../../../conformance/client/protocol.ts';
import { EMPTY_CONFIG, imageManifest, randomBlob, type Content } from '../../../conformance/content.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { errorReply, startTamperProxy, withHeaders } from '../../helpers/tamper-proxy.ts';
import { requireTool, run, tempDir, type RunResult } from '../../helpers/tools.ts';

const BASE = 'http://127.0.0.1:5000';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const SCRIPT_TIMEOUT_MS = 60_000;

function exchange(fields: Partial<Exchange> & Pick<Exchange, 'method' | 'url' | 'status'>): Exchange {
  return { requestHeaders: {}, requestBody: undefined, responseHeaders: {}, responseBody: { size: 0, base64: undefined }, ms: 1, ...fields };
}

function bodyOf(text: string | Uint8Array): Exchange['requestBody'] {
  const bytes = Buffer.from(text);
  return { size: bytes.length, base64: bytes.toString('base64') };
}

/** The script line sending request `n` (1-based). */
function stepLine(script: string, n: number): string {
  return script.split('\n').find((line) => line.startsWith(`step ${n} `)) ?? `(no step ${n})`;
}

/** The lines before step `n` since the previous step (its comments and body preparation). */
function linesBefore(script: string, n: number): string[] {
  const lines = script.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`step ${n} `));
  const previous = lines.findIndex((line) => line.startsWith(`step ${n - 1} `));
  return lines.slice(previous + 1, at);
}

interface StepReport {
  readonly n: number;
  readonly method: string;
  readonly path: string;
  readonly got: number;
  readonly recorded: number;
  readonly differs: boolean;
}

const STEP_REPORT = /^# (\d+): (\S+) (.*): got (\d{3}) \(recorded (\d{3})\)( DIFFERS)?$/;

function stepReports(stdout: string): StepReport[] {
  return stdout.split('\n').flatMap((line) => {
    const m = STEP_REPORT.exec(line);
    return m ? [{ n: Number(m[1]), method: m[2] ?? '', path: m[3] ?? '', got: Number(m[4]), recorded: Number(m[5]), differs: m[6] !== undefined }] : [];
  });
}

/** Writes the script to a temp dir and runs it with bash there; false when curl or bash is missing. */
async function runScript(t: Test, script: string, env: Record<string, string>): Promise<{ result: RunResult; dir: string } | undefined> {
  if (!(await requireTool(t, 'curl', 'curl')) || !(await requireTool(t, 'bash', 'bash'))) return undefined;
  const dir = await tempDir(t, 'touchstone-curl-');
  const file = join(dir, 'repro.sh');
  await writeFile(file, script);
  const result = await run('bash', [file], { cwd: dir, env, timeoutMs: SCRIPT_TIMEOUT_MS });
  t.notOk(result.timedOut, 'the script ends within its timeout', { stderr: result.stderr });
  return { result, dir };
}

t.test('a Location captured from the POST is used by the PATCH and the PUT, ?digest= kept', async (t) => {
  const session1 = `${BASE}/v2/conformance/run1-1/blobs/uploads/1e2d`;
  const session2 = `${BASE}/v2/conformance/run1-1/blobs/uploads/9f8c`;
  const script = curlScript(
    [
      exchange({ method: 'POST', url: `${BASE}/v2/conformance/run1-1/blobs/uploads/`, status: 202, responseHeaders: { location: '/v2/conformance/run1-1/blobs/uploads/1e2d' } }),
      exchange({ method: 'PATCH', url: session1, status: 202, requestBody: bodyOf('0123456789'), responseHeaders: { location: session2 } }),
      exchange({ method: 'PUT', url: withDigest(session2, DIGEST), status: 201, requestHeaders: { 'Content-Length': '0' } }),
    ],
    BASE,
    'uploads',
  );
  const lines = script.split('\n');
  t.equal(lines[lines.indexOf(stepLine(script, 1)) + 1], `keep LOC1 "$REGISTRY"'/v2/conformance/run1-1/blobs/uploads/1e2d'`, 'the POST\'s relative Location is captured (the recorded one as fallback)');
  t.match(stepLine(script, 2), /^step 2 PATCH 202 "\$LOC1" /, 'the PATCH goes to the captured session');
  t.equal(lines[lines.indexOf(stepLine(script, 2)) + 1], `keep LOC2 "$REGISTRY"'/v2/conformance/run1-1/blobs/uploads/9f8c'`, 'the PATCH\'s absolute Location is captured');
  t.match(stepLine(script, 3), `step 3 PUT 201 "$(query "$LOC2" 'digest=sha256%3A${'ab'.repeat(32)}')"`, 'the PUT goes to the second session with its ?digest=');
  for (const n of [2, 3]) t.notMatch(stepLine(script, n), /1e2d|9f8c/, `step ${n} carries no recorded session id`);
  t.notMatch(stepLine(script, 1), /^keep|LOC/, 'the POST itself is sent to its literal URL');
  t.notMatch(script, /keep LOC3/, 'a Location no later request uses is not captured');
});

t.test('a query in the Location is kept, also when URLSearchParams re-encoded it', async (t) => {
  const withState = `${BASE}/v2/conformance/run1-2/blobs/uploads/s1?_state=abc%3D%3D&token=t`;
  const rawEquals = `${BASE}/v2/conformance/run1-2/blobs/uploads/s2?_state=a=b`;
  const script = curlScript(
    [
      exchange({ method: 'POST', url: `${BASE}/v2/conformance/run1-2/blobs/uploads/`, status: 202, responseHeaders: { location: withState } }),
      exchange({ method: 'PATCH', url: withState, status: 202, requestBody: bodyOf('x'), responseHeaders: { location: rawEquals } }),
      exchange({ method: 'PUT', url: withDigest(rawEquals, DIGEST), status: 201 }),
    ],
    BASE,
    'queries',
  );
  t.match(stepLine(script, 2), /^step 2 PATCH 202 "\$LOC1" /, 'the Location with its query is used as received');
  t.not(withDigest(rawEquals, DIGEST).startsWith(rawEquals), true, 'the suite\'s URL does not start with the raw Location');
  t.match(stepLine(script, 3), `"$(query "$LOC2" 'digest=sha256%3A`, 'the appended digest is recognized parameter by parameter');
  t.match(script, /^query\(\) \{\n {2}case \$1 in \*\\\?\*\) printf '%s&%s'/m, 'query() uses & when the replayed Location has a query');
});

t.test('a relative Location without a slash resolves against the registry URL, as the client does', async (t) => {
  const client = new RegistryClient({ baseUrl: `${BASE}/` });
  const session = client.resolve('uploads/u9?x=1');
  const script = curlScript(
    [
      exchange({ method: 'POST', url: `${BASE}/v2/r/blobs/uploads/`, status: 202, responseHeaders: { location: 'uploads/u9?x=1' } }),
      exchange({ method: 'PUT', url: withDigest(session, DIGEST), status: 201 }),
    ],
    `${BASE}/`,
    'relative',
  );
  t.match(stepLine(script, 2), /^step 2 PUT 201 "\$\(query "\$LOC1" 'digest=/, 'the PUT uses the captured Location');
  t.match(script, /\*\) location=\$REGISTRY\/\$location ;;/, 'keep() resolves it against $REGISTRY/');
  await client.close();
});

t.test('the run id becomes $RUN in repository names, tags and mount sources, only there', async (t) => {
  const runId = 'tsmx4ab12cd';
  const exchanges = [
    exchange({ method: 'PUT', url: `${BASE}/v2/conformance/${runId}-3/manifests/${runId}-gc-1`, status: 201 }),
    exchange({ method: 'POST', url: `${BASE}/v2/conformance/${runId}-4/blobs/uploads/?mount=${DIGEST}&from=conformance%2F${runId}-3`, status: 201 }),
    exchange({ method: 'GET', url: `${BASE}/v2/conformance/x${runId}-5/tags/list`, status: 404 }),
  ];
  const script = curlScript(exchanges, BASE, 'run id', { runId });
  t.equal(stepLine(script, 1), `step 1 PUT 201 "$REGISTRY"'/v2/conformance/'"$RUN"'-3/manifests/'"$RUN"'-gc-1'`);
  t.equal(stepLine(script, 2), `step 2 POST 201 "$REGISTRY"'/v2/conformance/'"$RUN"'-4/blobs/uploads/?mount=${DIGEST}&from=conformance%2F'"$RUN"'-3'`);
  t.equal(stepLine(script, 3), `step 3 GET 404 "$REGISTRY"'/v2/conformance/x${runId}-5/tags/list'`, 'not inside another name');
  t.match(script, /^RUN=\$\{RUN:-repro\$\(date \+%s\)\$\$\}$/m, 'a fresh RUN by default');
  t.match(script, `RUN=${runId} replays into the recorded ones`, 'the header documents the choice');

  const withoutRunId = curlScript(exchanges, BASE, 'no run id');
  t.equal(stepLine(withoutRunId, 1), `step 1 PUT 201 "$REGISTRY"'/v2/conformance/${runId}-3/manifests/${runId}-gc-1'`, 'existing callers: URLs as recorded');
  t.notMatch(withoutRunId, /^RUN=/m, 'and no RUN variable');
});

t.test('bodies not kept are zeros of the same size, said so next to the request; HEAD is --head', async (t) => {
  const script = curlScript(
    [
      exchange({ method: 'PUT', url: `${BASE}/v2/r/blobs/uploads/u?digest=${DIGEST}`, status: 201, requestBody: { size: 70_000, base64: undefined } }),
      exchange({ method: 'PATCH', url: `${BASE}/v2/r/blobs/uploads/v`, status: 202, requestHeaders: { 'Content-Length': '5000' } }),
      exchange({ method: 'PATCH', url: `${BASE}/v2/r/blobs/uploads/w`, status: 202 }),
      exchange({ method: 'HEAD', url: `${BASE}/v2/r/manifests/latest`, status: 200 }),
    ],
    BASE,
    'bodies',
  );
  const large = linesBefore(script, 1).join('\n');
  t.match(large, '70000 bytes was over 64 KiB and not kept: 70000 zero bytes stand in, so its digest will NOT match');
  t.match(large, 'head -c 70000 /dev/zero > "$TMP/body"');
  t.match(stepLine(script, 1), `--data-binary @"$TMP/body" -H 'Content-Type:'`, 'without curl\'s form Content-Type');
  t.match(linesBefore(script, 2).join('\n'), /5000 bytes was streamed and not recorded: 5000 zero bytes stand in[^\n]*\nhead -c 5000 \/dev\/zero/);
  t.match(linesBefore(script, 3).join('\n'), 'a streamed body of unknown size may have been sent here');
  t.equal(stepLine(script, 4), `step 4 HEAD 200 "$REGISTRY"'/v2/r/manifests/latest'`);
  t.match(script, 'if [ "$method" = HEAD ]; then set -- --head "$@"', 'HEAD is sent with --head, not -X HEAD');
});

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An HTTP server on 127.0.0.1:0 that records requests and answers each with `answer(index)`. */
async function recordingServer(t: Test, answer: (index: number) => { status: number; location?: string }): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { status, location } = answer(received.length);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status, location === undefined ? {} : { location });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

t.test('hostile header values, bodies, titles and Locations are data: sent byte-exact, never run', async (t) => {
  const hostile = `it's "$(touch pwned)" \`touch pwned\` $HOME \\ ; touch pwned`;
  const body = `{"a":"'; touch pwned; '", "b": "$(touch pwned)"}\n`;
  // A registry-controlled Location with every shell metacharacter curl accepts in a URL.
  const location = `/next/$(touch\${IFS}pwned)'\`touch\${IFS}pwned\`"x;|&<>`;
  const server = await recordingServer(t, (index) => (index === 0 ? { status: 202, location } : { status: 204 }));
  const script = curlScript(
    [
      exchange({ method: 'PUT', url: `${server.url}/v2/r/manifests/t`, status: 202, requestHeaders: { 'Content-Type': 'text/plain', 'X-Hostile': hostile, Authorization: 'Basic c2VjcmV0OnNlY3JldA==' }, requestBody: bodyOf(body), responseHeaders: { location: '/next/recorded' } }),
      exchange({ method: 'GET', url: `${server.url}/next/recorded`, status: 204 }),
    ],
    server.url,
    `title\ntouch pwned\n$(touch pwned)`,
  );
  t.notMatch(script, 'c2VjcmV0', 'the recorded credentials are not in the script');
  const ran = await runScript(t, script, { AUTH: 'Bearer from-the-user' });
  if (ran === undefined) return;
  const { result, dir } = ran;
  t.equal(result.code, 0, 'every status as recorded', { stdout: result.stdout, stderr: result.stderr });
  t.equal(server.received.length, 2, 'two requests arrived');
  const [first, second] = server.received;
  t.equal(first?.headers['x-hostile'], hostile, 'the header value arrived byte-exact');
  t.equal(first?.body.toString('utf8'), body, 'the body arrived byte-exact');
  t.equal(first?.headers['content-type'], 'text/plain');
  t.equal(first?.headers.authorization, 'Bearer from-the-user', '$AUTH stands in for the recorded Authorization');
  t.equal(second?.url, location, 'the second request went to the Location as received');
  t.notOk(second?.headers.authorization, 'no Authorization where none was recorded');
  t.same(await readdir(dir), ['repro.sh'], 'nothing ran: no file was created');
  t.match(result.stdout, /^# 2: GET \/next\/\$\(touch\$\{IFS\}pwned\)'`touch\$\{IFS\}pwned`"x;\|&<>: got 204 \(recorded 204\)$/m, 'the path is printed as data');
});

/** Pushes one image the way the suite does and returns what the sequence needs to know. */
async function recordedSequence(client: RegistryClient, runId: string): Promise<{ repo: string; layer: Content; exchanges: Exchange[] }> {
  const repo = `conformance/${runId}-1`;
  const layer = randomBlob(20);
  const manifest = imageManifest(EMPTY_CONFIG, [layer]);
  const tag = `${runId}-v1`;
  const mark = client.log.mark();
  await client.request('GET', `/v2/${repo}/blobs/${layer.digest}`);
  const session = await openUpload(client, repo);
  const next = await patchChunk(client, session.url, layer.bytes.subarray(0, 10), 0, 'layer');
  await putClose(client, next, layer.digest, { bytes: layer.bytes.subarray(10), start: 10 });
  await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${EMPTY_CONFIG.digest}`, { body: EMPTY_CONFIG.bytes, headers: OCTET });
  await client.request('PUT', `/v2/${repo}/manifests/${tag}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
  await client.request('GET', `/v2/${repo}/tags/list`);
  await client.request('GET', `/v2/${repo}/blobs/${layer.digest}`);
  await client.request('HEAD', `/v2/${repo}/manifests/${tag}`, { headers: { Accept: manifest.mediaType } });
  await client.request('DELETE', `/v2/${repo}/manifests/${manifest.digest}`);
  await client.request('GET', `/v2/${repo}/manifests/${manifest.digest}`, { headers: { Accept: manifest.mediaType } });
  return { repo, layer, exchanges: client.log.since(mark) };
}

/** What the reference registry answers to recordedSequence. */
const SEQUENCE = ['GET 404', 'POST 202', 'PATCH 202', 'PUT 201', 'POST 201', 'PUT 201', 'GET 200', 'GET 200', 'HEAD 200', 'DELETE 202', 'GET 404'];

/** Every step ran, in order, with the recorded status and not flagged; the summary says 0. */
function assertReplayed(t: Test, result: RunResult, exchanges: readonly Exchange[]): StepReport[] {
  const reports = stepReports(result.stdout);
  t.same(reports.map((r) => r.n), exchanges.map((_, i) => i + 1), 'one report per step, in order', { stdout: result.stdout, stderr: result.stderr });
  for (const [i, report] of reports.entries()) {
    t.equal(report.got, exchanges[i]?.status, `step ${report.n} ${report.method} ${report.path}: same status as recorded`);
    t.equal(report.recorded, exchanges[i]?.status, `step ${report.n}: the recorded status is the one of the exchange`);
    t.notOk(report.differs, `step ${report.n} not flagged`);
  }
  t.match(result.stdout, new RegExp(`^# 0 of ${exchanges.length} statuses differ from the recording$`, 'm'), 'the summary says 0 differ');
  t.equal(result.code, 0, 'exit status 0');
  return reports;
}

t.test('end to end: a recorded push, pull and delete replays against the registry with every status', async (t) => {
  const registry = await startTestRegistry(t);
  const client = new RegistryClient({ baseUrl: registry.url });
  t.teardown(() => client.close());
  const runId = 'rec1';
  const { layer, exchanges } = await recordedSequence(client, runId);
  t.same(exchanges.map((e) => `${e.method} ${e.status}`), SEQUENCE, 'the recording is the sequence');
  const script = curlScript(exchanges, registry.url, 'end to end', { runId });
  t.match(stepLine(script, 3), /^step 3 PATCH 202 "\$LOC2" /);
  t.match(stepLine(script, 4), /^step 4 PUT 201 "\$\(query "\$LOC3" 'digest=/);

  const fresh = await runScript(t, script, { RUN: 'fresh1' });
  if (fresh === undefined) return;
  const reports = assertReplayed(t, fresh.result, exchanges);
  const recordedSession = new URL(exchanges[2]?.url ?? '').pathname;
  t.not(reports[2]?.path, recordedSession, 'the PATCH went to the replay\'s own session');
  t.match(reports[2]?.path, /^\/v2\/conformance\/fresh1-1\/blobs\/uploads\//, 'in the repository of RUN');
  const replayed = await client.request('GET', `/v2/conformance/fresh1-1/blobs/${layer.digest}`);
  t.equal(replayed.status, 200, 'the replay pushed the layer into conformance/fresh1-1');
  t.same(replayed.body, Buffer.from(layer.bytes), 'whole and unchanged');

  const byDefault = await runScript(t, script, {});
  if (byDefault !== undefined) assertReplayed(t, byDefault.result, exchanges);

  // Into the recorded repositories, the first GET finds the layer the recorded run pushed.
  const again = await runScript(t, script, { RUN: runId });
  if (again === undefined) return;
  const first = stepReports(again.result.stdout)[0];
  t.same(first && { got: first.got, recorded: first.recorded, differs: first.differs }, { got: 200, recorded: 404, differs: true }, 'RUN=<recorded run id> reuses the old repositories', { stdout: again.result.stdout });
  t.equal(again.result.code, 1, 'exit status 1 when a status differs');
});

t.test('end to end: absolute session Locations with a per-proxy token in their query are followed', async (t) => {
  /** A proxy whose session Locations are absolute and carry a token of its own that sessions require. */
  const tokenProxy = async (token: string) => {
    const registry = await startTestRegistry(t);
    let proxyUrl = '';
    const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
      const session = /\/blobs\/uploads\/[^/]+$/.test(request.url.pathname);
      if (session && request.url.searchParams.get('token') !== token) return errorReply(404, 'BLOB_UPLOAD_UNKNOWN');
      const response = await forward();
      const location = response.headers.location;
      if (location !== undefined && location.includes('/blobs/uploads/')) return withHeaders(response, { location: `${proxyUrl}${location}?token=${token}` });
      return response;
    });
    proxyUrl = proxy.url;
    return proxy.url;
  };
  const recordedUrl = await tokenProxy('recorded');
  const client = new RegistryClient({ baseUrl: recordedUrl });
  t.teardown(() => client.close());
  const { exchanges } = await recordedSequence(client, 'rec2');
  t.same(exchanges.map((e) => `${e.method} ${e.status}`), SEQUENCE, 'the recording through the proxy is the sequence');
  t.match(exchanges[3]?.url, /\?token=recorded&digest=sha256%3A/, 'the suite kept the token and added &digest=');

  const replayUrl = await tokenProxy('replayed');
  const ran = await runScript(t, curlScript(exchanges, recordedUrl, 'tokens', { runId: 'rec2' }), { REGISTRY: replayUrl, RUN: 'fresh2' });
  if (ran === undefined) return;
  const reports = assertReplayed(t, ran.result, exchanges);
  t.match(reports[3]?.path, /\?token=replayed&digest=sha256%3A/, 'the PUT kept the replay\'s token and added &digest=');
});

t.test('end to end: against a registry with a fault, the step where it misbehaves is flagged', async (t) => {
  const correct = await startTestRegistry(t);
  const client = new RegistryClient({ baseUrl: correct.url });
  t.teardown(() => client.close());
  const mark = client.log.mark();
  const session = await openUpload(client, 'conformance/rec3-1');
  const next = await patchChunk(client, session.url, randomBlob(10).bytes, 0, 'first chunk');
  const outOfOrder = await client.request('PATCH', next, { body: randomBlob(10).bytes, headers: { ...OCTET, 'Content-Range': '20-29', 'Content-Length': '10' } });
  t.equal(outOfOrder.status, 416, 'the correct registry refuses the out-of-order chunk');
  const exchanges = client.log.since(mark);

  const faulty = await startTestRegistry(t, { faults: ['chunk-out-of-order-accepted'] });
  const ran = await runScript(t, curlScript(exchanges, correct.url, 'out of order', { runId: 'rec3' }), { REGISTRY: faulty.url, RUN: 'fresh3' });
  if (ran === undefined) return;
  const reports = stepReports(ran.result.stdout);
  t.same(reports.map((r) => [r.n, r.method, r.got, r.recorded, r.differs]), [[1, 'POST', 202, 202, false], [2, 'PATCH', 202, 202, false], [3, 'PATCH', 202, 416, true]], 'the third step is flagged', { stdout: ran.result.stdout });
  t.match(ran.result.stdout, /^# 3: PATCH \/v2\/conformance\/fresh3-1\/blobs\/uploads\/\S+: got 202 \(recorded 416\) DIFFERS$/m);
  t.match(ran.result.stdout, /^# 1 of 3 statuses differ from the recording$/m, 'the summary counts it');
  t.equal(ran.result.code, 1, 'exit status 1');
});

t.test('a Location that is missing, not http(s) or not a URL is not followed: the recorded URL stands in', async (t) => {
  const answers = [{ status: 202, location: 'file:///etc/passwd' }, { status: 202 }, { status: 204 }];
  const server = await recordingServer(t, (index) => answers[index] ?? { status: 500 });
  const script = curlScript(
    [
      exchange({ method: 'POST', url: `${server.url}/v2/r/blobs/uploads/`, status: 202, responseHeaders: { location: '/v2/r/blobs/uploads/a' } }),
      exchange({ method: 'PATCH', url: `${server.url}/v2/r/blobs/uploads/a`, status: 202, requestBody: bodyOf('x'), responseHeaders: { location: `${server.url}/v2/r/blobs/uploads/b` } }),
      exchange({ method: 'PUT', url: withDigest(`${server.url}/v2/r/blobs/uploads/b`, DIGEST), status: 204, responseHeaders: { location: 'http://[not-a-url' } }),
      exchange({ method: 'GET', url: 'http://[not-a-url', status: 0 }),
    ],
    server.url,
    'fallbacks',
  );
  t.notMatch(script, /keep LOC3/, 'an unparsable Location is never captured');
  t.equal(stepLine(script, 4), `step 4 GET 0 'http://[not-a-url'`, 'a URL that does not parse is sent literally');
  const ran = await runScript(t, script, {});
  if (ran === undefined) return;
  t.match(ran.result.stdout, /^# {3}the Location is not an http\(s\) URL: the recorded one is used\n# 2: PATCH \/v2\/r\/blobs\/uploads\/a: got 202/m, 'file: is refused');
  t.match(ran.result.stdout, /^# {3}no Location in the answer: the recorded one is used\n# 3: PUT \/v2\/r\/blobs\/uploads\/b\?digest=/m, 'a missing Location falls back');
  t.same(server.received.map((r) => `${r.method} ${r.url}`), ['POST /v2/r/blobs/uploads/', 'PATCH /v2/r/blobs/uploads/a', `PUT /v2/r/blobs/uploads/b?digest=${encodeURIComponent(DIGEST)}`]);
  t.match(ran.result.stdout, /^# 4: GET http:\/\/\[not-a-url: got 000 \(recorded 0\) DIFFERS$/m, 'curl cannot send it: flagged');
  t.match(ran.result.stdout, /^# 1 of 4 statuses differ from the recording$/m);
});
