/**
 * `touchstone play` (playground/cli.ts): it prints where the page is and how to reach the same
 * registry from outside; --root keeps the store in that directory (and leaves it there); bad
 * flags and a port in use are usage errors with a way out, exit code 2 through `touchstone`.
 * The command itself, started as a user would, serves the page and stops on SIGTERM.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPlay } from '../../playground/cli.ts';
import { main } from '../../cli/touchstone.ts';
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
  const child = spawn(process.execPath, ['bin/touchstone.js', 'play', '--port', '0'], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/playground: (http:\S+)\//.test(stderr) && child.exitCode === null && Date.now() < deadline) await sleep(50);
  const url = /playground: (http:\S+)\//.exec(stderr)?.[1];
  if (!t.ok(url, 'it started', { stderr })) return;
  t.equal((await call(url!, 'GET', '/')).status, 200, 'the page');
  t.equal((await call(url!, 'GET', '/v2/')).status, 200, 'the registry');
  const store = /store: (\S+)/.exec(stderr)?.[1] as string;
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0, 'exits 0 on SIGTERM');
  await t.rejects(stat(store), 'and removes its temporary store');
});
