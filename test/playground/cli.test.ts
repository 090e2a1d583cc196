/**
 * `touchstone play` (playground/cli.ts): it prints where the page is and how to reach the same
 * registry from outside; --root keeps the store in that directory (and leaves it there); bad
 * flags and a port in use are usage errors with a way out, exit code 2 through `touchstone`.
 * The command itself, started as a user would, serves the page and stops on SIGTERM, and writes
 * nowhere but its store: every walkthrough, a lesson and a GC leave its working directory, TMPDIR
 * and HOME empty.
 */
import t, { type Test } from 'tap';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPlay } from '../../playground/cli.ts';
import { main } from '../../cli/touchstone.ts';
import { bodyBytes, captureFrom, resolveRequest } from '../../playground/web/template.js';
import type { WalkthroughView } from '../../playground/walkthroughs/index.ts';
import { call } from '../helpers/registry.ts';
import { childEnv, tempDir } from '../helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '../..');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

t.test('prints the page, the store and how to reach the registry from outside', async (t) => {
  const out = new Sink();
  const playground = await startPlay(['--port', '0'], out);
  t.teardown(() => playground.close());
  const host = new URL(playground.url).host;
  t.match(out.text, `touchstone playground: ${playground.url}/`);
  t.match(out.text, '(temporary, removed on exit)');
  t.match(out.text, `docker://${host}/outside/image:TAG`);
  t.match(host, /^127\.0\.0\.1:\d+$/, 'bound to 127.0.0.1 by default');
});

t.test('--root keeps the store there; --gc-grace sets the grace period', async (t) => {
  const dir = await tempDir(t, 'touchstone-play-root-');
  const out = new Sink();
  const playground = await startPlay(['--port', '0', '--root', dir, '--gc-grace', '90'], out);
  t.equal(playground.root, dir);
  t.equal(playground.registry.config.gc.graceMs, 90_000);
  t.notMatch(out.text, 'temporary');
  await playground.close();
  t.ok((await stat(join(dir, 'repositories'))).isDirectory(), 'the store stays after close');
});

t.test('usage errors', async (t) => {
  await t.rejects(startPlay(['--port', 'abc'], new Sink()), { message: '--port needs a port number, got abc' });
  await t.rejects(startPlay(['--port', '0', '--gc-grace', 'soon'], new Sink()), { message: /--gc-grace needs a number of seconds/ });
  const busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => busy.close(() => done())));
  const port = (busy.address() as { port: number }).port;
  await t.rejects(startPlay(['--port', String(port)], new Sink()), { message: `port ${port} is in use: choose another with --port (0 takes any free port)` });
  const saved = process.stderr.write;
  const err = new Sink();
  process.stderr.write = err.write.bind(err) as typeof process.stderr.write;
  try {
    t.equal(await main(['play', '--nope']), 2, 'touchstone play with an unknown flag exits 2');
  } finally {
    process.stderr.write = saved;
  }
  t.match(err.text, 'usage: touchstone play');
});

t.test('npx touchstone play: serves the page, stops on SIGTERM', async (t) => {
  const play = await spawnPlay(t, [], ROOT);
  if (!t.ok(play.url, 'it started', { stderr: play.stderr() })) return;
  t.equal((await call(play.url!, 'GET', '/')).status, 200, 'the page');
  t.equal((await call(play.url!, 'GET', '/v2/')).status, 200, 'the registry');
  const store = /store: (\S+)/.exec(play.stderr())?.[1] as string;
  play.child.kill('SIGTERM');
  const [code] = await once(play.child, 'exit');
  t.equal(code, 0, 'exits 0 on SIGTERM');
  await t.rejects(stat(store), 'and removes its temporary store');
});

/** Starts `touchstone play` as a user would, with `args`, in `cwd`; its URL once it listens. */
async function spawnPlay(t: Test, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string | undefined; stderr: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/touchstone.js'), 'play', '--port', '0', ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/playground: (http:\S+)\//.test(stderr) && child.exitCode === null && Date.now() < deadline) await sleep(50);
  return { child, url: /playground: (http:\S+)\//.exec(stderr)?.[1], stderr: () => stderr };
}

/** Every step of a walkthrough, sent the way the page sends it; the statuses. */
async function walk(url: string, view: WalkthroughView): Promise<number[]> {
  let vars: Record<string, string> = {};
  const statuses: number[] = [];
  for (const step of view.steps) {
    const request = resolveRequest(step.request, vars);
    const body = ['GET', 'HEAD'].includes(request.method) ? undefined : bodyBytes(request.body);
    const response = await fetch(new URL(request.path, url), { method: request.method, headers: request.headers, body });
    await response.arrayBuffer();
    statuses.push(response.status);
    vars = captureFrom(step.capture, (name) => response.headers.get(name), vars);
  }
  return statuses;
}

t.test('writes nowhere but its store: walkthroughs, a lesson and GC leave cwd, TMPDIR and HOME empty', async (t) => {
  const [cwd, tmp, home, root] = [await tempDir(t, 'play-cwd-'), await tempDir(t, 'play-tmp-'), await tempDir(t, 'play-home-'), await tempDir(t, 'play-root-')];
  // tsx's compile cache would be the only thing in TMPDIR: it is tsx's, not the playground's.
  const play = await spawnPlay(t, ['--root', root], cwd, { TMPDIR: tmp, HOME: home, TSX_DISABLE_CACHE: '1' });
  if (!t.ok(play.url, 'it started', { stderr: play.stderr() })) return;
  const url = play.url!;
  const json = async (path: string, init?: RequestInit): Promise<unknown> => (await fetch(`${url}${path}`, init)).json();
  const state = (await json('/_play/api/state')) as { walkthroughs: { id: string }[] };
  for (const { id } of state.walkthroughs) {
    const view = (await json(`/_play/api/walkthrough?id=${id}`)) as WalkthroughView;
    const statuses = await walk(url, view);
    t.ok(view.steps.every((step, i) => step.expect.includes(statuses[i] as number)), `${id} ran: ${statuses.join(' ')}`);
  }
  const post = (path: string, body: unknown) => json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/_play/api/faults', { fault: 'chunk-out-of-order-accepted', on: true });
  const lesson = (await post('/_play/api/lessons/run', { fault: 'chunk-out-of-order-accepted' })) as { results: { status: string }[] };
  t.ok(lesson.results.some((result) => result.status === 'fail'), 'the lesson ran its checks');
  const orphan = Buffer.from('a blob no manifest refers to');
  const digest = `sha256:${createHash('sha256').update(orphan).digest('hex')}`;
  t.equal((await fetch(`${url}/v2/outside/orphan/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: orphan })).status, 201, 'an orphan blob pushed');
  const gc = (await post('/_play/api/gc/run', { advanceSeconds: 7200 })) as { items: { digest: string; went: boolean; asPlanned: boolean }[] };
  t.ok(gc.items.some((item) => item.digest === digest && item.went) && gc.items.every((item) => item.asPlanned), 'GC ran and collected the orphan, as planned');
  play.child.kill('SIGTERM');
  t.equal((await once(play.child, 'exit'))[0], 0, 'exits 0 on SIGTERM');
  for (const [name, dir] of [['the working directory', cwd], ['TMPDIR', tmp], ['HOME', home]] as const) t.same(await readdir(dir), [], `nothing written in ${name}`);
  t.ok((await readdir(join(root, 'repositories'))).includes('learn%2Fchunked'), 'what the walkthroughs pushed is in the store');
});
