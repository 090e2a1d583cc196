/**
 * The playground's server (playground/server.ts, routes.ts): the page and the registry on one
 * origin; the page's own requests never reach the registry or its log, every /v2/ request does;
 * its files are served from playground/web only; Server-Sent Events carry the log, the store's
 * changes and the faults as they happen; the API answers state, walkthroughs, log entries, store
 * views, GC explained and run, faults and lessons, and refuses a change that is not a same-origin
 * JSON POST. A temporary store is removed on close.
 */
import t, { type Test } from 'tap';
import { access } from 'node:fs/promises';
import { request } from 'undici';
import { startPlayground, type Playground } from '../../playground/server.ts';
import { call } from '../helpers/registry.ts';
import { pushBlob, layer } from '../helpers/oci.ts';

async function play(t: Test): Promise<Playground> {
  const playground = await startPlayground();
  t.teardown(() => playground.close());
  return playground;
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call(url, 'POST', path, { body: JSON.stringify(body), headers });

t.test('the page, its files, and nothing else', async (t) => {
  const p = await play(t);
  const page = await call(p.url, 'GET', '/');
  t.equal(page.status, 200);
  t.match(page.header('content-type'), /^text\/html/);
  t.match(page.header('content-security-policy'), /default-src 'self'/, 'nothing from elsewhere');
  t.match(page.body.toString(), /<script type="module" src="\/_play\/web\/app.js">/);
  const script = await call(p.url, 'GET', '/_play/web/app.js');
  t.match(script.header('content-type'), /^text\/javascript/);
  for (const path of ['/_play/web/../server.ts', '/_play/web/%2e%2e%2fserver.ts', '/_play/web/template.d.ts', '/_play/web/', '/_play/nothing']) {
    t.equal((await call(p.url, 'GET', path)).status, 404, `${path}: 404`);
  }
  t.same(p.book.recent(), [], 'none of it reached the registry\'s log');
  t.equal((await call(p.url, 'GET', '/v2/')).status, 200, 'the registry on the same port');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(p.book.recent().map((e) => [e.method, e.target, e.endpoint]), [['GET', '/v2/', 'end-1']], 'and in the log');
});

t.test('state, walkthroughs and the log through the API', async (t) => {
  const p = await play(t);
  const state = (await call(p.url, 'GET', '/_play/api/state')).json<{ url: string; temporary: boolean; gc: { graceSeconds: number; deleteUntagged: boolean }; walkthroughs: unknown[] }>();
  t.equal(state.url, p.url);
  t.equal(state.temporary, true);
  t.same(state.gc, { graceSeconds: 3600, deleteUntagged: true });
  t.equal(state.walkthroughs.length, 12);
  const walk = (await call(p.url, 'GET', '/_play/api/walkthrough?id=chunked')).json<{ repositories: string[]; steps: unknown[] }>();
  t.same(walk.repositories, ['learn/chunked']);
  t.equal(walk.steps.length, 8);
  t.same((await call(p.url, 'GET', '/_play/api/walkthrough?id=chunked')).json<{ repositories: string[] }>().repositories, ['learn/chunked-2'], 'each start gets fresh repositories');
  t.equal((await call(p.url, 'GET', '/_play/api/walkthrough?id=nope')).status, 404);
  t.equal((await call(p.url, 'GET', '/_play/api/walkthrough')).status, 400);

  await call(p.url, 'GET', '/v2/', { headers: { 'User-Agent': 'curl/7.88.1' } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const [entry] = (await call(p.url, 'GET', '/_play/api/log')).json<{ id: number; client: string }[]>();
  t.equal(entry?.client, 'curl/7.88.1');
  const detail = (await call(p.url, 'GET', `/_play/api/log/entry?id=${entry?.id}`)).json<{ requestHeaders: [string, string][]; responseBody: { text: string } }>();
  t.ok(detail.requestHeaders.some(([name, value]) => name === 'User-Agent' && value === 'curl/7.88.1'));
  t.equal(detail.responseBody.text, '{}');
  t.equal((await call(p.url, 'GET', '/_play/api/log/entry?id=999')).status, 404);
  t.equal((await call(p.url, 'GET', '/_play/api/nothing')).status, 404);
});

t.test('the store and GC through the API', async (t) => {
  const p = await play(t);
  const blob = layer('routes');
  await pushBlob(p.url, 'api/store', blob);
  t.same((await call(p.url, 'GET', '/_play/api/store')).json(), [{ name: 'api/store', tags: 0, manifests: 0, blobs: 1 }]);
  const view = await call(p.url, 'GET', '/_play/api/store/repository?name=api/store');
  t.equal(view.json<{ blobs: { digest: string }[] }>().blobs[0]?.digest, blob.digest);
  t.equal((await call(p.url, 'GET', `/_play/api/store/blob?name=api/store&digest=${blob.digest}`)).json<{ content: { text: string } }>().content.text, 'layer routes');
  t.equal((await call(p.url, 'GET', '/_play/api/store/repository?name=api/none')).status, 404);
  t.equal((await call(p.url, 'GET', '/_play/api/store/repository?name=Not..Valid')).status, 400, 'an invalid name: 400');
  t.equal((await call(p.url, 'GET', `/_play/api/store/manifest?name=api/store&digest=${blob.digest}`)).status, 404, 'a blob is not a manifest');
  t.equal((await call(p.url, 'GET', '/_play/api/store/blob?name=api/store&digest=nope')).status, 400);

  const young = (await call(p.url, 'GET', '/_play/api/gc/explain')).json<{ items: { keep: boolean; rule: string }[] }>();
  t.same(young.items.map((i) => [i.keep, i.rule]), [[true, 'young']]);
  t.equal((await call(p.url, 'GET', '/_play/api/gc/explain?advance=-1')).status, 400);
  t.equal((await call(p.url, 'GET', '/_play/api/gc/explain?advance=abc')).status, 400);
  const outcome = (await post(p.url, '/_play/api/gc/run', { advanceSeconds: 3700, deleteUntagged: false })).json<{ items: { went: boolean; asPlanned: boolean }[]; report: { blobsRemoved: string[] } }>();
  t.same(outcome.items.map((i) => [i.went, i.asPlanned]), [[true, true]], 'the orphan went, as planned');
  t.same(outcome.report.blobsRemoved, [`api/store@${blob.digest}`]);
});

t.test('changes only as same-origin JSON POSTs; faults and lessons', async (t) => {
  const p = await play(t);
  const body = { fault: 'chunk-out-of-order-accepted', on: true };
  t.equal((await post(p.url, '/_play/api/faults', body, { 'content-type': 'text/plain' })).status, 415, 'a form post from anywhere is refused');
  t.equal((await post(p.url, '/_play/api/faults', body, { 'content-type': 'application/json', origin: 'http://evil.example' })).status, 403, 'another origin is refused');
  t.equal((await post(p.url, '/_play/api/faults', { fault: 'nope', on: true })).status, 400);
  t.equal((await post(p.url, '/_play/api/faults', { fault: 'auth-pull-can-push', on: true })).status, 400, 'an access-control fault: the playground has no authentication');
  t.equal((await call(p.url, 'POST', '/_play/api/faults', { body: '[1]', headers: { 'content-type': 'application/json' } })).status, 400);
  t.equal((await call(p.url, 'POST', '/_play/api/faults', { body: 'x'.repeat(70_000), headers: { 'content-type': 'application/json' } })).status, 413);
  const origin = new URL(p.url).origin;
  const on = await post(p.url, '/_play/api/faults', body, { 'content-type': 'application/json', origin });
  t.same(on.json(), { active: ['chunk-out-of-order-accepted'] });
  t.ok(p.registry.faults?.has('chunk-out-of-order-accepted'), 'switched on in the running registry');
  t.equal((await call(p.url, 'GET', '/_play/api/lessons')).json<{ lessons: unknown[] }>().lessons.length, 34);

  const [first, second] = await Promise.all([post(p.url, '/_play/api/lessons/run', { fault: 'chunk-out-of-order-accepted' }), post(p.url, '/_play/api/lessons/run', { fault: 'chunk-out-of-order-accepted' })]);
  t.same([first.status, second.status].sort(), [200, 409], 'one lesson at a time');
  const run = (first.status === 200 ? first : second).json<{ results: { status: string }[] }>();
  t.same(run.results.map((r) => r.status), ['fail']);
  t.equal((await post(p.url, '/_play/api/lessons/run', { fault: 'nope' })).status, 400);
  t.equal((await post(p.url, '/_play/api/lessons/run', { fault: 'auth-pull-can-push' })).status, 400);
});

t.test('Server-Sent Events: history and faults on connect, then requests and store changes as they happen', async (t) => {
  const p = await play(t);
  await call(p.url, 'GET', '/v2/');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stream = await request(`${p.url}/_play/events`);
  t.match(stream.headers['content-type'], /^text\/event-stream/);
  let text = '';
  stream.body.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const until = async (pattern: RegExp): Promise<void> => {
    for (let i = 0; i < 500 && !pattern.test(text); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await until(/event: history\ndata: .*\n\n/);
  t.match(text, /event: faults\ndata: \{"active":\[\]\}/);
  t.match(text, /event: history\ndata: \[\{"id":1,[^\n]*"endpoint":"end-1"/, 'the log so far');
  await pushBlob(p.url, 'sse/repo', layer('sse'));
  await until(/"method":"PUT"[^\n]*\n\nevent: store\n[^\n]*\n\n/);
  t.match(text, /event: request\ndata: \{[^\n]*"method":"PUT"[^\n]*"endpoint":"end-6"/, 'each request as it happens');
  t.match(text, /event: store\ndata: \{"reason":"request","repository":"sse\/repo"\}/, 'and that the store changed');
  stream.body.destroy();
});

t.test('a temporary store is removed on close', async (t) => {
  const p = await startPlayground();
  await access(p.root);
  await p.close();
  await t.rejects(access(p.root), 'gone');
});
