/**
 * The line between a registry that breaks off its answers and a harness that cannot reach it.
 * An answer that began (status line received) and ended short of its Content-Length or last chunk
 * (RFC 9112 §6.3), or bytes that are not HTTP, are the registry's failure: a BrokenResponse (a
 * CheckFailure) with the exchange and the bytes received. Nothing answering at all — refused,
 * a connection closed before any byte — stays a HarnessError. End to end, through a registry that
 * sends half of each blob body and then closes the connection, the run reports registry failures
 * and exits 1, not 2; a connection refused still exits 2.
 */
import t, { type Test } from 'tap';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { BrokenResponse, CheckFailure, HarnessError } from '../../../conformance/client/errors.ts';
import { main } from '../../../conformance/cli.ts';
import type { Report } from '../../../conformance/report/types.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { startTamperProxy } from '../../helpers/tamper-proxy.ts';
import { tempDir } from '../../helpers/tools.ts';

/** A TCP server that writes `answer` to each connection once the request arrives, then closes it. */
async function rawServer(t: Test, answer: string | undefined): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      if (answer === undefined) socket.destroy();
      else socket.write(answer, () => setTimeout(() => socket.destroy(), 20));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(t: Test, answer: string | undefined): Promise<unknown> {
  const client = new RegistryClient({ baseUrl: await rawServer(t, answer) });
  t.teardown(() => client.close());
  return client.request('GET', '/v2/r/blobs/sha256:abc').then(() => undefined, (error: unknown) => error);
}

t.test('a body cut short of its Content-Length is the registry\'s: BrokenResponse with the exchange and the bytes received', async (t) => {
  const error = await failure(t, `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n${'x'.repeat(50)}`);
  t.ok(error instanceof BrokenResponse && error instanceof CheckFailure, `a CheckFailure: ${String(error)}`);
  const broken = error as BrokenResponse;
  t.match(broken.message, /^GET \/v2\/r\/blobs\/sha256:abc → 200: the answer broke off after 50 of the 100 bytes its Content-Length announced: other side closed \(UND_ERR_SOCKET\); an incomplete message \(RFC 9112 §6\.3\)$/);
  t.equal(broken.exchange?.status, 200);
  t.equal(broken.exchange?.responseBody.size, 50, 'the bytes received are recorded');
  t.equal(Buffer.from(broken.exchange?.responseBody.base64 ?? '', 'base64').toString(), 'x'.repeat(50));
  t.match(broken.exchange?.incomplete, /broke off after 50 of the 100 bytes/);
});

t.test('a chunked body without its last chunk is the registry\'s', async (t) => {
  const error = await failure(t, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  t.ok(error instanceof BrokenResponse, String(error));
  t.match((error as Error).message, /→ 200: the answer broke off after 5 bytes, before the last chunk/);
});

t.test('bytes that are not an HTTP response are the registry\'s', async (t) => {
  const error = await failure(t, 'HTTQ/1.1 200 OK\r\n\r\n');
  t.ok(error instanceof BrokenResponse, String(error));
  t.match((error as Error).message, /^GET \/v2\/r\/blobs\/sha256:abc: not an HTTP response: Response does not match the HTTP\/1\.1 protocol/);
  t.equal((error as BrokenResponse).exchange?.status, 0, 'recorded, with no status');
});

t.test('no answer at all stays the harness\'s: closed before any byte, refused', async (t) => {
  const closed = await failure(t, undefined);
  t.ok(closed instanceof HarnessError, `closed unanswered: ${String(closed)}`);
  const client = new RegistryClient({ baseUrl: 'http://127.0.0.1:1' });
  t.teardown(() => client.close());
  const refused = await client.request('GET', '/v2/').then(() => undefined, (error: unknown) => error);
  t.ok(refused instanceof HarnessError, `refused: ${String(refused)}`);
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

t.test('a registry sending half of each blob body then closing: registry failures, exit 1, not harness errors', async (t) => {
  const registry = await startTestRegistry(t);
  const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
    if (request.method !== 'GET' || !/\/blobs\/[a-z0-9]+:/.test(request.url.pathname)) return undefined;
    const response = await forward();
    if (response.status !== 200 || response.body.length < 2) return response;
    return { ...response, body: response.body.subarray(0, response.body.length >> 1), declaredLength: response.body.length };
  });
  const dir = await tempDir(t);
  const json = join(dir, 'report.json');
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['--url', proxy.url, '--only', 'blobs', '--only', 'manifests.push', '--only', 'property.blobs', '--runs', '3', '--time-budget', '5', '--json', json, '--quiet'], { env: {}, stdout, stderr });
  const report = JSON.parse(await readFile(json, 'utf8')) as Report;
  const errors = report.results.filter((r) => r.status === 'error');
  t.same(errors.map((r) => `${r.id}: ${r.message}`), [], 'no harness error');
  t.equal(code, 1, 'exit 1: the registry failed');
  t.notMatch(stderr.text, /harness error/);
  const broken = report.results.filter((r) => r.status === 'fail' && /the answer broke off after \d+ of the \d+ bytes its Content-Length announced/.test(r.message));
  t.ok(broken.length >= 5, `${broken.length} checks fail on the broken-off answers: ${broken.map((r) => r.id).join(', ')}`);
  const get = broken.find((r) => r.id === 'blobs.pull.get');
  t.ok(get, 'blobs.pull.get fails');
  const exchange = get?.exchanges?.find((e) => e.incomplete !== undefined);
  t.ok(exchange && exchange.responseBody.size > 0 && exchange.responseBody.size < Number(exchange.responseHeaders['content-length']), 'its exchange holds the bytes received, fewer than announced');
  t.match(report.results.find((r) => r.id === 'property.blobs'), { status: 'fail', message: /broke off/ }, 'the property fails too, not errs');
});

t.test('a connection refused at the start still exits 2', async (t) => {
  const stderr = new Sink();
  const code = await main(['--url', 'http://127.0.0.1:1', '--no-properties'], { env: {}, stdout: new Sink(), stderr });
  t.equal(code, 2);
  t.match(stderr.text, /^harness error: GET http:\/\/127\.0\.0\.1:1\/v2\/: .*ECONNREFUSED/);
});
