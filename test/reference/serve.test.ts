/**
 * `touchstone serve` as an operator meets it: it prints its configuration on start; SIGTERM drains
 * (no new connection, the request in flight finishes, one line says so, exit 0); abandoned upload
 * sessions expire by default, with no GC configured; the request log counts the bytes of request
 * bodies; `gc` and `scrub` refuse a --root that holds no store instead of creating one.
 */
import t, { type Test } from 'tap';
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dir } from 'tmp-promise';
import { OCI_MANIFEST } from '../../spec/media-types.ts';
import { childEnv } from '../helpers/tools.ts';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { openSocket, readReply } from '../helpers/raw.ts';
import { config, imageManifest, pushBlob, sha256 } from '../helpers/oci.ts';

const ROOT = resolve(import.meta.dirname, '../..');

async function startServe(t: Test, args: string[] = []) {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-serve-' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/touchstone.ts', 'serve', '--port', '0', '--root', tmp.path, '--quiet', ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await tmp.cleanup();
  });
  const deadline = Date.now() + 30_000;
  while (!/\n {2}pages:/.test(stderr) && Date.now() < deadline && child.exitCode === null) await sleep(20);
  const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`serve did not start: ${stderr}`);
  return { child, url, stderr: () => stderr };
}

t.test('serve prints its configuration on start', async (t) => {
  const serve = await startServe(t, ['--gc-interval', '600', '--max-uploads', '8', '--referrers-page-size', '5']);
  const text = serve.stderr();
  t.match(text, /deletes: manifests, tags, blobs/);
  t.match(text, /gc: on demand \(POST \/_touchstone\/gc\) and every 600 s; grace 3600 s; untagged manifests kept/);
  t.match(text, /uploads: idle sessions expire after 3600 s; at most 8 at once; blobs up to 64 GiB/);
  t.match(text, /limits: idle connections closed after 60 s; manifests in memory up to 64 MiB/);
  t.match(text, /pages: tags 1000, referrers 5/);
});

t.test('SIGTERM drains: the upload in flight finishes, then one line, exit 0', async (t) => {
  const serve = await startServe(t);
  const session = (await call(serve.url, 'POST', '/v2/drain/repo/blobs/uploads/')).header('location') ?? '';
  const whole = Buffer.alloc(200_000, 3);
  const socket = await openSocket(serve.url);
  t.teardown(() => socket.destroy());
  socket.write(`PATCH ${session} HTTP/1.1\r\nHost: x\r\nContent-Length: ${whole.length}\r\n\r\n`);
  socket.write(whole.subarray(0, 100_000));
  await sleep(200);
  const exited = once(serve.child, 'exit');
  serve.child.kill('SIGTERM');
  await sleep(300);
  const refused = await call(serve.url, 'GET', '/v2/').then((r) => r.status, (error: NodeJS.ErrnoException) => error.code ?? 'error');
  t.not(refused, 200, `no new request is served while draining (${refused})`);
  socket.write(whole.subarray(100_000));
  const reply = await readReply(socket);
  t.equal(reply?.status, 202, 'the PATCH in flight was let finish');
  t.equal(reply?.headers.range, `0-${whole.length - 1}`, 'with every byte');
  const [code] = (await exited) as [number | null];
  t.equal(code, 0, 'exit 0');
  t.match(serve.stderr(), /stopped on SIGTERM: 1 requests in flight finished, 0 cut after \d+ ms/, 'one line saying so');
});

t.test('abandoned upload sessions expire by default, with no GC configured', async (t) => {
  const registry = await startTestRegistry(t, { uploadExpiryMs: 200 });
  const session = (await call(registry.url, 'POST', '/v2/expiry/repo/blobs/uploads/')).header('location') ?? '';
  t.equal((await call(registry.url, 'GET', session)).status, 204, 'a fresh session');
  let status = 204;
  for (let i = 0; i < 100 && status === 204; i++) {
    await sleep(20);
    status = (await call(registry.url, 'GET', session)).status;
  }
  t.equal(status, 404, 'gone once idle past the expiry');
});

t.test('the request log counts the bytes of request bodies', async (t) => {
  const registry = await startTestRegistry(t);
  const cfg = config('log');
  await pushBlob(registry.url, 'log/repo', cfg);
  const manifest = imageManifest(cfg, []);
  await call(registry.url, 'PUT', '/v2/log/repo/manifests/v1', { body: manifest.bytes, headers: { 'Content-Type': OCI_MANIFEST } });
  const session = (await call(registry.url, 'POST', '/v2/log/repo/blobs/uploads/')).header('location') ?? '';
  const blob = Buffer.alloc(300_000, 9);
  await call(registry.url, 'PATCH', session, { body: blob });
  await call(registry.url, 'PUT', `${session}?digest=${sha256(blob)}`);
  await sleep(50);
  const put = registry.logs.find((e) => e.method === 'PUT' && e.path.endsWith('/manifests/v1'));
  const patch = registry.logs.find((e) => e.method === 'PATCH');
  t.ok(put && put.bytesIn >= manifest.bytes.length, `manifest PUT: ${put?.bytesIn} bytes in, the body is ${manifest.bytes.length}`);
  t.ok(patch && patch.bytesIn >= blob.length, `PATCH: ${patch?.bytesIn} bytes in, the body is ${blob.length}`);
});

t.test('gc and scrub refuse a --root that holds no store, and create nothing', async (t) => {
  const tmp = await dir({ unsafeCleanup: true });
  t.teardown(() => tmp.cleanup());
  const missing = join(tmp.path, 'no-such-store');
  for (const command of ['gc', 'scrub']) {
    const run = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(process.execPath, ['--import', 'tsx', 'cli/touchstone.ts', command, '--root', missing], { cwd: ROOT, env: childEnv(), timeout: 60_000 }, (error, _stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
      });
    });
    t.equal(run.code, 2, `${command}: exit 2`);
    t.match(run.stderr, /holds no touchstone store/, `${command}: says why`);
    t.equal(await stat(missing).then(() => true, () => false), false, `${command}: created nothing`);
  }
});
