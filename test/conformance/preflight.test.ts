/**
 * A wrong target reads as a wrong target. Before any check, `touchstone check` asks GET /v2/ and
 * stops with a harness error (exit 2, one line saying what answered) when the answer is not a
 * registry's: a plain web server's HTML directory listing (what `python3 -m http.server` serves),
 * its 404 page, a 401 nobody can get past. A --url ending in /v2/ is normalised and said so; a
 * URL with any other path is refused as a usage error.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { main, parseCheckArgs, UsageError } from '../../conformance/cli.ts';
import { startTestRegistry } from '../helpers/registry.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function check(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { env: {}, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface FakeServer {
  readonly url: string;
  readonly requests: string[];
}

/** A web server on 127.0.0.1 port 0 answering every request with `handler`; records "METHOD path". */
async function startServer(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** What `python3 -m http.server` serves for a directory: an HTML listing, 200, for GET and HEAD alike. */
function directoryListing(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const page = `<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<title>Error response</title>\n</head>\n<body>\n<h1>Error response</h1>\n<p>Error code: 501</p>\n<p>Message: Unsupported method ('${req.method}').</p>\n</body>\n</html>\n`;
    res.writeHead(501, { 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
    res.end(page);
    return;
  }
  const page = `<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Directory listing for ${path}</title>\n</head>\n<body>\n<h1>Directory listing for ${path}</h1>\n<hr>\n<ul>\n<li><a href="notes.txt">notes.txt</a></li>\n</ul>\n<hr>\n</body>\n</html>\n`;
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
  res.end(req.method === 'HEAD' ? undefined : page);
}

t.test('a plain web server serving an HTML directory listing: exit 2, one clear line, no check run', async (t) => {
  const server = await startServer(t, directoryListing);
  const run = await check(['--url', server.url]);
  t.equal(run.code, 2, 'a harness error, not a failing registry');
  const lines = run.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line: ${run.stderr}`);
  t.match(lines[0], /^harness error: http:\/\/127\.0\.0\.1:\d+: GET \/v2\/ answered 200 text\/html, an HTML page \("Directory listing for \/v2\/"\): not an OCI registry's API root/);
  t.match(lines[0], /Is --url the registry's address\?$/);
  t.equal(run.stdout, '', 'no progress lines, no summary, no list of check failures');
  t.same(server.requests, ['GET /v2/'], 'it asked GET /v2/ and nothing else');
});

t.test('a web server\'s 404 page at /v2/: exit 2, what answered in one line', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>');
  });
  const run = await check(['--url', server.url, '--no-properties']);
  t.equal(run.code, 2);
  t.match(run.stderr, /^harness error: http:\/\/127\.0\.0\.1:\d+: GET \/v2\/ answered 404 text\/html, an HTML page \("404 Not Found"\): not an OCI registry's API root, which answers 200, or 401 with a WWW-Authenticate challenge \(end-1\)\. Is --url the registry's address\?\n$/);
  t.equal(run.stdout, '');
});

t.test('a 200 of plain text is not a registry; a 200 of {} or of nothing, or with the API version header, is', async (t) => {
  const text = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Hello from the intranet\n');
  });
  const refused = await check(['--url', text.url, '--no-properties']);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /GET \/v2\/ answered 200 text\/plain, "Hello from the intranet": not an OCI registry's API root/);

  for (const [what, headers, body] of [
    ['{} as JSON', { 'Content-Type': 'application/json' }, '{}'],
    ['an empty body', {}, ''],
    ['the API version header', { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Type': 'text/plain' }, 'ok'],
  ] as const) {
    const minimal = await startServer(t, (req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 404, headers);
      res.end(req.url === '/v2/' ? body : '');
    });
    const run = await check(['--url', minimal.url, '--no-properties', '--only', 'base', '--quiet']);
    t.equal(run.code, 0, `${what}: the checks run (${run.stderr})`);
    t.match(run.stdout, /PASS$/m, `${what}: base.v2 passes`);
  }
});

t.test('a 401 no one can get past: asks for credentials, or says they were refused', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"', 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}');
  });
  const anonymous = await check(['--url', server.url, '--no-properties']);
  t.equal(anonymous.code, 2);
  t.match(anonymous.stderr, /^harness error: .*the registry asks for credentials \(GET \/v2\/ answered 401, WWW-Authenticate: Basic realm="registry"\): give --username and --password/);
  const refused = await check(['--url', server.url, '--no-properties', '--username', 'u', '--password', 'wrong']);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /after the suite authenticated with the credentials given: were --username and --password right\?\n$/);
  t.equal(refused.stdout, '');
});

t.test('--url http://HOST/v2/ is normalised to the registry root, and says so', async (t) => {
  const registry = await startTestRegistry(t);
  for (const suffix of ['/v2/', '/v2']) {
    const run = await check(['--url', `${registry.url}${suffix}`, '--no-properties', '--only', 'tags.list.order', '--only', 'base', '--quiet']);
    t.equal(run.code, 0, `${suffix}: the run passes (${run.stderr}${run.stdout})`);
    t.match(run.stderr, `--url: ${registry.url}${suffix} is the API root of ${registry.url}; the suite adds /v2/ to every request itself, so it checks ${registry.url}\n`);
  }
  const paths = registry.logs.map((entry) => entry.path);
  t.ok(paths.length > 0 && paths.every((path) => !path.startsWith('/v2/v2')), `no request under /v2/v2/: ${paths.filter((p) => p.startsWith('/v2/v2')).slice(0, 3).join(', ')}`);
  const fromEnv = parseCheckArgs([], { OCI_ROOT_URL: 'https://r.example:5000/v2/' });
  t.match(fromEnv, { config: { url: 'https://r.example:5000' }, notes: [/^OCI_ROOT_URL: https:\/\/r\.example:5000\/v2\/ is the API root of https:\/\/r\.example:5000/, /^note: OCI_ROOT_URL is deprecated in the official suite/] }, 'OCI_ROOT_URL too, named as such (and the official suite\'s deprecation note)');
  t.throws(() => parseCheckArgs([], { OCI_ROOT_URL: 'https://r.example/registry' }), /^OCI_ROOT_URL is the registry's root/);
});

t.test('a --url with another path, a query or credentials is a usage error that says what to give', async (t) => {
  const cases: [string, RegExp][] = [
    ['http://r.example/registry', /--url is the registry's root, scheme:\/\/host\[:port\]: the spec's endpoints are at \/v2\/ of the host \(end-1\), where clients look for them, so a path \(\/registry\) cannot be part of it/],
    ['http://r.example/v2/myorg/team', /for repositories under myorg\/team\/, use --url http:\/\/r\.example --namespace myorg\/team/],
    ['http://r.example/?x=1', /without a query or fragment/],
    ['http://u:p@r.example', /must not carry credentials: give --username and --password/],
    ['r.example:5000', /needs an http\(s\) URL/],
  ];
  for (const [url, message] of cases) {
    t.throws(() => parseCheckArgs(['--url', url], {}), UsageError, url);
    const run = await check(['--url', url]);
    t.equal(run.code, 2, `${url}: exit 2`);
    t.match(run.stderr, message, `${url}: says why`);
  }
});

t.test('a 5xx at /v2/ stays a harness error', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain' });
    res.end('upstream unavailable');
  });
  const run = await check(['--url', server.url, '--no-properties']);
  t.equal(run.code, 2);
  t.match(run.stderr, /GET \/v2\/ answered 503 text\/plain, "upstream unavailable": the registry is not serving/);
});
