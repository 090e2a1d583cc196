/**
 * The suite's HTTP client: every request becomes an exchange record (streamed bodies counted and
 * kept while small, large ones by size only), responses are parsed for headers and JSON, network
 * failures are harness errors, and the two auth flows registries use work: HTTP Basic and Bearer
 * tokens from the realm of a WWW-Authenticate challenge (the distribution token spec).
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { HarnessError } from '../../../conformance/client/errors.ts';
import { BODY_KEEP_BYTES } from '../../../conformance/client/exchange.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

async function serve(t: Test, handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => {
    server.closeAllConnections();
    server.close(() => ok());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(t: Test, baseUrl: string, extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const c = new RegistryClient({ baseUrl, timeoutMs: 5_000, ...extra });
  t.teardown(() => c.close());
  return c;
}

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

t.test('exchanges record requests and responses, streamed bodies included', async (t) => {
  const url = await serve(t, (req, res, body) => {
    res.writeHead(201, { 'Content-Type': 'application/json', Location: '/v2/x/blobs/uploads/1', 'X-Twice': ['a', 'b'] });
    res.end(JSON.stringify({ got: body.length, method: req.method }));
  });
  const c = client(t, `${url}/`);
  t.equal(c.baseUrl, url, 'trailing slash dropped');
  const mark = c.log.mark();
  const reply = await c.request('PATCH', '/v2/x/blobs/uploads/1', { body: pieces('abc', 'defg'), headers: { 'Content-Type': 'application/octet-stream' } });
  t.equal(reply.status, 201);
  t.same(reply.json(), { got: 7, method: 'PATCH' });
  t.equal(reply.header('X-Twice'), 'a, b', 'repeated headers joined');
  t.equal(c.resolve(reply.header('location') ?? ''), `${url}/v2/x/blobs/uploads/1`);
  const [exchange] = c.log.since(mark);
  t.same(exchange?.requestBody, { size: 7, base64: Buffer.from('abcdefg').toString('base64') }, 'a streamed body is counted and kept');
  t.equal(exchange?.requestHeaders['Content-Type'], 'application/octet-stream');
  t.equal(exchange?.responseHeaders.location, '/v2/x/blobs/uploads/1');

  const big = Buffer.alloc(BODY_KEEP_BYTES + 1, 1);
  await c.request('PUT', '/big', { body: pieces(big.toString()) });
  await c.request('PUT', '/big', { body: big });
  const [streamedBig, plainBig] = c.log.since(mark).slice(1);
  t.same(streamedBig?.requestBody, { size: big.length, base64: undefined }, 'a large streamed body by size only');
  t.same(plainBig?.requestBody, { size: big.length, base64: undefined }, 'a large body by size only');
  t.equal((await c.request('GET', `${url}/absolute`)).status, 201, 'absolute URLs are used as they are');
});

t.test('a body that is not JSON parses to undefined', async (t) => {
  const url = await serve(t, (_req, res) => res.end('not json'));
  t.equal((await client(t, url).request('GET', '/')).json(), undefined);
});

t.test('network failures are harness errors, never registry answers', async (t) => {
  const c = client(t, 'http://127.0.0.1:1');
  await t.rejects(c.request('GET', '/v2/'), HarnessError);
  await t.rejects(c.request('GET', '/v2/'), /GET http:\/\/127\.0\.0\.1:1\/v2\/: .*ECONNREFUSED/);
});

t.test('HTTP Basic: answers a Basic challenge once with the credentials', async (t) => {
  let asked = 0;
  const url = await serve(t, (req, res) => {
    asked += 1;
    if (req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`) res.end('ok');
    else {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"' });
      res.end();
    }
  });
  const c = client(t, url, { username: 'u', password: 'p' });
  t.equal((await c.request('GET', '/v2/')).status, 200);
  t.equal(asked, 2, 'challenge, then the retry');
  t.equal((await c.request('GET', '/v2/')).status, 200, 'later requests carry the credentials');
  t.equal(asked, 3);
  const wrong = client(t, url, { username: 'u', password: 'wrong' });
  t.equal((await wrong.request('GET', '/v2/')).status, 401, 'wrong credentials: the 401 comes back, no loop');
  const anonymous = client(t, url);
  t.equal((await anonymous.request('GET', '/v2/')).status, 401, 'no credentials: 401');
  t.equal((await c.request('PATCH', '/v2/x', { body: pieces('a') })).status, 200, 'a streamed body is sent with known credentials');
});

t.test('Bearer: fetches a token from the realm for the challenged scope and reuses it', async (t) => {
  const tokens: string[] = [];
  let realm = '';
  const url = await serve(t, (req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://x');
    if (parsed.pathname === '/token') {
      tokens.push(`${parsed.searchParams.get('service')} ${parsed.searchParams.get('scope')} ${req.headers.authorization ?? 'anonymous'}`);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(parsed.searchParams.get('scope') === 'broken' ? {} : { token: `t-${parsed.searchParams.get('scope')}` }));
      return;
    }
    const scope = parsed.pathname.includes('broken') ? 'broken' : 'repository:x:pull';
    if (req.headers.authorization === `Bearer t-${scope}`) {
      res.end('ok');
      return;
    }
    res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${realm}",service="reg",scope="${scope}"` });
    res.end();
  });
  realm = `${url}/token`;
  const c = client(t, url, { username: 'u', password: 'p' });
  t.equal((await c.request('GET', '/v2/x/tags/list')).status, 200);
  t.equal((await c.request('GET', '/v2/x/tags/list')).status, 200);
  t.same(tokens, [`reg repository:x:pull Basic ${Buffer.from('u:p').toString('base64')}`], 'one token, fetched with the credentials');
  t.equal((await c.request('GET', '/v2/broken')).status, 401, 'a realm that gives no token: the 401 stands');
});

t.test('GET and HEAD follow redirects (a download sent to storage); writes do not', async (t) => {
  const storage = await serve(t, (_req, res) => res.end('blob bytes'));
  const url = await serve(t, (req, res) => {
    res.writeHead(307, { Location: `${storage}/signed?x=1` });
    res.end();
  });
  const c = client(t, url);
  const got = await c.request('GET', '/v2/r/blobs/sha256:abc');
  t.equal(got.status, 200);
  t.equal(got.body.toString(), 'blob bytes', 'the bytes from where the registry sent us');
  t.equal((await c.request('HEAD', '/v2/r/blobs/sha256:abc')).status, 200);
  t.equal((await c.request('PUT', '/v2/r/manifests/x', { body: '{}' })).status, 307, 'a redirected write is the answer');
});

t.test('a sink receives a 2xx body as it streams; the reply keeps none of it, the exchange its size; error bodies stay', async (t) => {
  const big = Buffer.alloc(3 * BODY_KEEP_BYTES + 7, 9);
  const url = await serve(t, (req, res) => {
    if (req.url === '/big') res.end(big);
    else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
  });
  const c = client(t, url);
  const chunks: Buffer[] = [];
  const reply = await c.request('GET', '/big', { sink: (chunk) => chunks.push(Buffer.from(chunk)) });
  t.equal(reply.status, 200);
  t.ok(Buffer.concat(chunks).equals(big), 'the sink got every byte');
  t.equal(reply.body.length, 0, 'the reply keeps none');
  t.same(reply.exchange.responseBody, { size: big.length, base64: undefined });
  const missing = await c.request('GET', '/missing', { sink: () => t.fail('an error body goes to the reply, not the sink') });
  t.equal(missing.status, 404);
  t.match(missing.body.toString(), /BLOB_UNKNOWN/);
});

t.test('a sink receives the body of a 2xx answer as it streams; other answers are buffered', async (t) => {
  const url = await serve(t, (req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[]}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.write(Buffer.alloc(70_000, 1));
    res.end(Buffer.alloc(30_000, 2));
  });
  const c = client(t, url);
  const mark = c.log.mark();
  const chunks: Uint8Array[] = [];
  const reply = await c.request('GET', '/blob', { sink: (chunk) => chunks.push(chunk) });
  t.equal(reply.status, 200);
  t.equal(reply.body.length, 0, 'nothing buffered in the reply');
  const got = Buffer.concat(chunks);
  t.equal(got.length, 100_000, 'every byte reached the sink');
  t.ok(got.subarray(0, 70_000).every((b) => b === 1) && got.subarray(70_000).every((b) => b === 2), 'in order');
  t.same(c.log.since(mark)[0]?.responseBody, { size: 100_000, base64: undefined }, 'the exchange records the size only');
  const sunk: Uint8Array[] = [];
  const missing = await c.request('GET', '/missing', { sink: (chunk) => sunk.push(chunk) });
  t.equal(missing.status, 404);
  t.equal(sunk.length, 0, 'an error body never reaches the sink');
  t.same(missing.json(), { errors: [] }, 'it is buffered as usual');
});
