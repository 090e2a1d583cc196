/**
 * `touchstone bench` end to end against the reference registry in-process, with tiny sizes and
 * counts: every workload measured with every answer checked and everything deleted afterwards;
 * wrong bytes (the registry faults blob-body-corrupted and blob-body-truncated) reported by kind,
 * first, with exit 1; optional features a registry lacks reported unsupported, not failed;
 * Bearer auth; the regression gate; the volume refusal; usage and harness errors. No figure is
 * asserted: speeds are the benchmark's output, never a test's expectation.
 */
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestRegistry, call } from '../helpers/registry.ts';
import { errorReply, reply, startTamperProxy } from '../helpers/tamper-proxy.ts';
import { runBench, SMALL } from '../helpers/bench.ts';
import { WORKLOADS } from '../../bench/workloads/index.ts';
import type { BenchResult } from '../../bench/result.ts';

t.test('every workload against the reference: measured, every answer checked, everything deleted', async (t) => {
  const registry = await startTestRegistry(t);
  const run = await runBench(t, ['--url', registry.url, ...SMALL, '--pid', `A=${process.pid}`]);
  t.equal(run.code, 0, run.stderr);
  const result = run.result as BenchResult;
  t.same(result.errors, [], 'no wrong answer');
  t.equal(result.verdict.status, 'ok');
  for (const workload of WORKLOADS) {
    const cells = result.cells.filter((c) => c.workload === workload.name);
    t.equal(cells.length, workload.sized ? 4 : 2, `${workload.name}: one cell per size and concurrency`);
    for (const cell of cells) {
      const [measured] = cell.runs;
      t.equal(cell.status, 'measured', `${workload.name} ${cell.size} c${cell.concurrency}: ${cell.reason ?? ''}`);
      t.ok(measured !== undefined && measured.ops > 0 && measured.ops <= 4, `${workload.name}: between 1 and --count operations (${measured?.ops})`);
      t.ok((measured?.registryMemory?.sampledMaxMb ?? 0) > 0, `${workload.name}: the registry's memory is sampled (--pid)`);
    }
  }
  const perOp = (workload: string, size: number | null) => {
    const m = result.cells.find((c) => c.workload === workload && c.size === size && c.concurrency === 1)?.runs[0];
    return m ? m.requests / m.ops : NaN;
  };
  t.equal(perOp('push-chunked', 70 * 1024), 5, 'a 70 KiB chunked push: POST, three 32 KiB PATCHes, PUT');
  t.equal(perOp('push-streamed', 3 * 1024), 3, 'a streamed push: POST, PATCH, PUT');
  t.equal(perOp('push-post', 3 * 1024), 1, 'a single POST');
  t.equal(perOp('tags-list', null), 4, '25 tags, 7 a page: four pages');
  const [info] = result.registries;
  t.ok(info !== undefined && info.checked > 0 && info.deleted === info.checked && info.left === 0, `everything pushed was pulled back and deleted (${JSON.stringify(info)})`);
  const prefix = `${result.settings.namespace}/${result.runId}`;
  const tags = await call(registry.url, 'GET', `/v2/${prefix}/tags/tags/list`);
  t.ok(tags.status === 404 || (tags.json<{ tags: string[] | null }>().tags ?? []).length === 0, 'the tagged repository is empty afterwards');
  t.ok(registry.logs.some((l) => l.method === 'DELETE' && l.path.includes('/blobs/sha256:')), 'blobs are deleted');
  t.match(run.stdout, /workload\s+size\s+c\s+registry\s+op\/s\s+MB\/s\s+p50 ms/, 'the summary table');
  t.match(run.stdout, /OK: every answer checked, no error/);
  t.match(run.stderr, /\[1\/\d+\] A push-monolithic 3 KiB c1 rep 1/, 'a progress line per cell when not on a terminal');
});

for (const [fault, kind] of [['blob-body-corrupted', 'digest mismatch'], ['blob-body-truncated', 'short body']] as const) {
  t.test(`a registry serving wrong blob bytes (${fault}): "${kind}" errors, shown first, exit 1`, async (t) => {
    const registry = await startTestRegistry(t, { faults: [fault] });
    const run = await runBench(t, ['--url', registry.url, ...SMALL, '--workloads', 'pull,mixed', '--sizes', '3KiB', '--concurrency', '2']);
    t.equal(run.code, 1);
    const result = run.result as BenchResult;
    t.equal(result.verdict.status, 'errors');
    const pull = result.errors.find((e) => e.workload === 'pull' && e.kind === kind);
    t.ok(pull !== undefined && pull.count > 0, `pulls counted as "${kind}": ${JSON.stringify(result.errors)}`);
    t.ok(result.errors.some((e) => e.workload === 'setup' && e.kind === `pull-back: ${kind}`), 'the end-of-run pull-back finds it too');
    t.match(run.stdout, new RegExp(`^\\nERRORS \\(wrong answers, by kind\\)\\n  A  pull  ${kind}: \\d+`), 'errors come first');
    t.match(run.stdout, /FAILED: \d+ wrong answers? \(A\)/);
  });
}

t.test('wrong answers by kind: a 500, a dropped connection mid-blob, a body that is not JSON', async (t) => {
  const registry = await startTestRegistry(t);
  const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
    const path = request.url.pathname;
    if (request.method === 'GET' && path.includes('/pull/blobs/sha256:')) {
      const answer = await forward();
      return { ...answer, body: answer.body.subarray(0, 1000), declaredLength: answer.body.length };
    }
    if (request.method === 'GET' && path.endsWith('/manifests/latest')) return errorReply(500, 'UNKNOWN');
    if (path.endsWith('/tags/list') && request.url.searchParams.has('n')) return reply(200, { 'content-type': 'application/json' }, 'not json');
    return undefined;
  });
  const run = await runBench(t, ['--url', proxy.url, ...SMALL, '--workloads', 'pull,manifest-get,tags-list', '--sizes', '3KiB', '--concurrency', '1', '--count', '2']);
  t.equal(run.code, 1);
  const kinds = (run.result?.errors ?? []).filter((e) => e.workload !== 'setup').map((e) => `${e.workload}: ${e.kind} × ${e.count}`);
  t.same(kinds, ['pull: short body × 2', 'manifest-get: status 500 × 2', 'tags-list: invalid JSON × 2']);
  t.match(run.stdout, /e\.g\. GET \/v2\/.*\/manifests\/latest: expected 200, got 500/, 'each kind with its first example');
});

t.test('a registry that refuses deletes: what the run pushed is left, and the summary says so', async (t) => {
  const registry = await startTestRegistry(t, { deletes: { manifests: false, tags: false, blobs: false } });
  const run = await runBench(t, ['--url', registry.url, ...SMALL, '--workloads', 'push-post', '--sizes', '3KiB', '--concurrency', '1', '--count', '2']);
  t.equal(run.code, 0, run.stderr);
  const [info] = run.result?.registries ?? [];
  t.ok(info !== undefined && info.deleted === 0 && info.left === info.checked && info.left > 0, JSON.stringify(info));
  t.match(run.stdout, /A: \d+ blobs and manifests pulled back and checked, 0 deleted, \d+ left \([\d.]+ KiB\): deletes refused/);
});

t.test('optional features the registry lacks are unsupported, not errors', async (t) => {
  const registry = await startTestRegistry(t);
  const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
    if (/\/referrers\/sha256:/.test(request.url.pathname)) return reply(404, { 'content-type': 'text/plain' }, '404 page not found');
    if (request.method === 'POST' && (request.url.searchParams.has('digest') || request.url.searchParams.has('mount'))) {
      return forward({ path: request.url.pathname, body: Buffer.alloc(0) });
    }
    return undefined;
  });
  const run = await runBench(t, ['--url', proxy.url, ...SMALL, '--workloads', 'push-post,referrers,mount', '--sizes', '3KiB', '--concurrency', '1']);
  t.equal(run.code, 0, run.stdout);
  const result = run.result as BenchResult;
  for (const workload of ['push-post', 'referrers', 'mount']) {
    const cell = result.cells.find((c) => c.workload === workload);
    t.equal(cell?.status, 'unsupported', `${workload}: ${cell?.reason}`);
  }
  t.match(run.stdout, /push-post\s+3 KiB\s+1\s+A\s+unsupported: push-post: 202 with an upload session/);
  t.ok(proxy.requests.some((r) => r.method === 'DELETE' && r.url.pathname.includes('/blobs/uploads/')), 'the sessions a 202 opened are released');
});

t.test('a registry behind Bearer tokens: the token flow of the suite\'s client', async (t) => {
  const registry = await startTestRegistry(t);
  let issued = 0;
  const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
  const proxy = await startTamperProxy(t, registry.url, (request) => {
    if (request.url.pathname === '/token') {
      if (request.headers.authorization !== basic) return errorReply(401, 'UNAUTHORIZED');
      issued += 1;
      return reply(200, {}, { token: 'tok' });
    }
    if (request.headers.authorization === 'Bearer tok') return undefined;
    return reply(401, { 'WWW-Authenticate': `Bearer realm="${proxy.url}/token",service="bench",scope="registry:catalog:*"` }, { errors: [{ code: 'UNAUTHORIZED', message: 'token' }] });
  });
  const args = [...SMALL, '--workloads', 'push-streamed,pull,manifest-get', '--sizes', '3KiB', '--concurrency', '1'];
  const run = await runBench(t, ['--url', proxy.url, ...args, '--username', 'u', '--password', 'p']);
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.equal(issued, 1, 'one token, then reused');
  t.ok((run.result?.cells ?? []).every((c) => c.status === 'measured' && (c.runs[0]?.ops ?? 0) > 0), 'every cell measured through the proxy');
  const anonymous = await runBench(t, ['--url', proxy.url, ...args]);
  t.equal(anonymous.code, 2, 'without credentials the run cannot start');
  t.match(anonymous.stderr, /GET \/v2\/ answered 401: check --username and --password/);
});

t.test('the regression gate: a better baseline fails the run, a worse one passes', async (t) => {
  const registry = await startTestRegistry(t);
  const args = ['--url', registry.url, ...SMALL, '--workloads', 'manifest-get,pull', '--sizes', '3KiB', '--concurrency', '1'];
  const first = await runBench(t, args);
  t.equal(first.code, 0, first.stderr);
  const scaled = (ops: number, latency: number): BenchResult => {
    const base = first.result as BenchResult;
    return {
      ...base,
      cells: base.cells.map((c) => {
        const s = c.summary;
        if (s === undefined || s.opsPerSec === undefined || s.latencyMs === undefined) return c;
        const o = s.opsPerSec.median * ops;
        return { ...c, summary: { ...s, opsPerSec: { median: o, min: o, max: o }, latencyMs: { ...s.latencyMs, p50: s.latencyMs.p50 * latency } } };
      }),
    };
  };
  const better = join(first.dir, 'better.json');
  await writeFile(better, JSON.stringify(scaled(1e6, 1e-6)));
  const regressed = await runBench(t, [...args, '--baseline', better, '--max-regression', '10']);
  t.equal(regressed.code, 1, 'exit 1');
  t.equal(regressed.result?.verdict.status, 'regression');
  t.equal(regressed.result?.regressions?.length, 4, 'op/s and p50 of both cells');
  t.match(regressed.stdout, /REGRESSION A manifest-get — c1: op\/s \d+ → [\d.]+ \([\d.]+ % worse\)/);
  const worse = join(first.dir, 'worse.json');
  await writeFile(worse, JSON.stringify(scaled(1e-6, 1e6)));
  const held = await runBench(t, [...args, '--baseline', worse]);
  t.equal(held.code, 0, 'exit 0 within the tolerance');
  t.same(held.result?.regressions, []);
  t.match(held.stdout, /baseline: no figure regressed beyond --max-regression/);
  const notResult = join(first.dir, 'other.json');
  await writeFile(notResult, '{"tool":"something else"}');
  t.equal((await runBench(t, [...args, '--baseline', notResult])).code, 2, 'a baseline that is not a bench result is a usage error');
});

t.test('load is bounded: a run that may push more than 1 GiB needs --yes; usage and harness errors exit 2', async (t) => {
  const refused = await runBench(t, ['--url', 'http://127.0.0.1:1', '--sizes', '1GiB', '--concurrency', '1']);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /at most [\d.]+ GiB pushed to each registry/);
  t.match(refused.stderr, /refusing to run: that is more than 1 GiB; add --yes/);
  const unreachable = await runBench(t, ['--url', 'http://127.0.0.1:1', '--workloads', 'manifest-head', '--concurrency', '1']);
  t.equal(unreachable.code, 2);
  t.match(unreachable.stderr, /harness error: GET http:\/\/127\.0\.0\.1:1\/v2\/: .*ECONNREFUSED/);
  for (const [args, message] of [
    [[], /give at least one --url/],
    [['--url', 'ftp://x'], /--url needs an http\(s\) URL/],
    [['--url', 'http://a', '--compare'], /--compare needs at least two --url/],
    [['--url', 'x=http://a', '--url', 'x=http://b'], /share a name/],
    [['--url', 'http://a', '--workloads', 'pull,dance'], /unknown workload "dance"/],
    [['--url', 'http://a', '--sizes', '12 parsecs'], /--sizes needs a size/],
    [['--url', 'http://a', '--concurrency', '0'], /--concurrency needs a whole number from 1 to 256/],
    [['--url', 'http://a', '--duration', 'soon'], /--duration needs seconds/],
    [['--url', 'http://a', '--max-regression', '5'], /--baseline FILE/],
    [['--url', 'http://a', '--pid', 'B=12'], /--pid needs NAME=PID or URL=PID/],
    [['--url', 'http://a', '--pid', `http://a=${2 ** 31}`, '--concurrency', '1', '--workloads', 'mount'], /no such process/],
    [['--url', 'http://a', 'extra'], /unexpected argument extra/],
    [['--url', 'http://a', '--frobnicate'], /Unknown option '--frobnicate'/],
  ] as const) {
    const run = await runBench(t, args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, message);
  }
  const help = await runBench(t, ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /usage: touchstone bench --url/);
});

t.test('an interrupted run reports what ran and exits 2', async (t) => {
  const registry = await startTestRegistry(t);
  const stop = new AbortController();
  stop.abort();
  const run = await runBench(t, ['--url', registry.url, ...SMALL, '--workloads', 'pull'], { signal: stop.signal });
  t.equal(run.code, 2);
  t.equal(run.result?.interrupted, true);
  t.ok(run.result?.cells.every((c) => c.runs.length === 0), 'no cell ran');
});
