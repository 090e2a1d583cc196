/**
 * The capture layer around the reference registry (playground/capture.ts, installed through
 * startRegistry's `wrap`): every exchange is recorded with the request's headers as sent, the
 * response's status and headers as the client got them (after the fault layer), each body's size
 * and at most its first 16 KiB — a 3 MiB blob pushed and pulled costs no more — and the
 * registry's own log line. The request log summarizes each with its spec endpoint id, section and
 * client, and shows binary bodies shortened.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { BODY_KEEP_BYTES, ExchangeTap, type CapturedExchange } from '../../playground/capture.ts';
import { RequestLogBook, summarize } from '../../playground/request-log.ts';
import { bodyView } from '../../playground/body-view.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { content, sha256 } from '../helpers/oci.ts';
import type { FaultName } from '../../reference/faults/catalog.ts';

async function tapped(t: Test, faults: FaultName[] = []) {
  const exchanges: CapturedExchange[] = [];
  const tap = new ExchangeTap((exchange) => exchanges.push(exchange));
  const registry = await startTestRegistry(t, { wrap: tap.wrap, log: tap.log, faults });
  /** The exchanges published so far, once `count` of them are. */
  const settled = async (count: number): Promise<CapturedExchange[]> => {
    for (let i = 0; i < 200 && exchanges.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    return exchanges;
  };
  return { registry, exchanges, settled };
}

t.test('a 3 MiB blob pushed and pulled: sizes exact, at most 16 KiB of each body kept', async (t) => {
  const { registry, settled } = await tapped(t);
  const blob = randomBytes(3 * 1024 * 1024);
  const digest = sha256(blob);
  const opened = await request(`${registry.url}/v2/cap/big/blobs/uploads/`, { method: 'POST', headers: { 'X-Mixed-Case': 'Kept' } });
  await opened.body.dump();
  const location = String(opened.headers.location);
  const put = await request(`${registry.url}${location}?digest=${digest}`, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
  await put.body.dump();
  t.equal(put.statusCode, 201);
  const pulled = await request(`${registry.url}/v2/cap/big/blobs/${digest}`);
  t.equal(sha256(Buffer.from(await pulled.body.arrayBuffer())), digest, 'the client got the whole blob');
  const [post, upload, get] = await settled(3);

  t.equal(post!.method, 'POST');
  t.ok(post!.requestHeaders.some(([name, value]) => name === 'X-Mixed-Case' && value === 'Kept'), 'request headers in the case the client sent them');
  t.equal(post!.status, 202);
  t.ok(post!.responseHeaders.some(([name, value]) => name === 'Location' && value === location), 'the Location header as sent');

  t.equal(upload!.requestBody.size, blob.length, 'the upload: every byte counted');
  t.equal(upload!.requestBody.kept.length, BODY_KEEP_BYTES, 'its first 16 KiB kept, no more');
  t.ok(upload!.requestBody.kept.equals(blob.subarray(0, BODY_KEEP_BYTES)), 'the right bytes');
  t.equal(upload!.status, 201);
  t.ok(upload!.registry && upload!.registry.bytesIn >= blob.length, 'joined to the registry\'s own log line (bytes on the wire)');
  t.equal(upload!.registry?.method, 'PUT');

  t.equal(get!.responseBody.size, blob.length, 'the download: every byte counted');
  t.equal(get!.responseBody.kept.length, BODY_KEEP_BYTES, 'its first 16 KiB kept');
  t.ok(get!.responseHeaders.some(([name, value]) => name === 'Docker-Content-Digest' && value === digest));
  t.ok(get!.complete, 'the response was complete');
  t.same([post, upload, get].map((e) => e!.id), [1, 2, 3], 'ids in order');

  const view = bodyView(get!.responseBody.kept, get!.responseBody.size);
  t.equal(view.kind, 'binary', 'shown as binary');
  t.equal(view.shown, 64, 'shortened to its first 64 bytes');
  t.equal(view.text, blob.subarray(0, 64).toString('hex').replace(/(..)(?!$)/g, '$1 '));
});

t.test('what the client got, after the fault layer, and answers the registry never saw', async (t) => {
  const { registry, settled } = await tapped(t, ['manifest-content-type-wrong', 'invalid-digest-500']);
  const config = content('{}', 'application/vnd.oci.empty.v1+json');
  await (await request(`${registry.url}/v2/cap/faulty/blobs/uploads/?digest=${config.digest}`, { method: 'POST', body: config.bytes })).body.dump();
  const manifest = content(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: [] }));
  await (await request(`${registry.url}/v2/cap/faulty/manifests/v1`, { method: 'PUT', body: manifest.bytes, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).body.dump();
  await (await request(`${registry.url}/v2/cap/faulty/manifests/v1`)).body.dump();
  await (await request(`${registry.url}/v2/cap/faulty/manifests/sha256:nothex`)).body.dump();
  await (await request(`${registry.url}/v2/cap/faulty/manifests/nope`)).body.dump();
  const [, , pulled, broken, unknown] = await settled(5);
  t.ok(pulled!.responseHeaders.some(([name, value]) => name.toLowerCase() === 'content-type' && value === 'application/json'), 'the Content-Type the fault layer put there');
  t.equal(pulled!.responseBody.kept.toString(), manifest.bytes.toString(), 'the body as served');
  t.equal(broken!.status, 500, 'a fault that answers by itself');
  t.equal(broken!.registry, undefined, 'the registry never saw it: no log line of its own');
  t.equal(unknown!.status, 404);
  t.ok(unknown!.registry, 'the next request is joined to its own line');
  const view = bodyView(unknown!.responseBody.kept, unknown!.responseBody.size);
  t.equal(view.kind, 'json');
  t.match(view.text, /"code": "MANIFEST_UNKNOWN"/, 'JSON bodies pretty-printed');
});

t.test('the log summarizes: endpoint ids refined by the query, sections, clients', async (t) => {
  const exchange = (method: string, target: string, headers: [string, string][] = []): CapturedExchange => ({
    id: 1, startedAt: new Date(0).toISOString(), method, target, requestHeaders: headers, requestBody: { size: 0, kept: Buffer.alloc(0) },
    status: 200, responseHeaders: [], responseBody: { size: 0, kept: Buffer.alloc(0) }, ms: 1, complete: true,
  });
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['GET', '/v2/', 'end-1', 'Determining support'],
    ['GET', '/v2/a/b/tags/list', 'end-8a', 'Listing Tags'],
    ['GET', '/v2/a/b/tags/list?n=2&last=x', 'end-8b', 'Listing Tags'],
    ['GET', `/v2/a/referrers/sha256:${'a'.repeat(64)}`, 'end-12a', 'Listing Referrers'],
    ['GET', `/v2/a/referrers/sha256:${'a'.repeat(64)}?artifactType=x%2Fy`, 'end-12b', 'Listing Referrers'],
    ['POST', '/v2/a/blobs/uploads/?digest=sha256:x', 'end-4b', 'Pushing a blob monolithically'],
    ['POST', '/v2/a/blobs/uploads/?mount=sha256:x&from=b', 'end-11', 'Mounting a blob from another repository'],
    ['PATCH', '/v2/a/blobs/uploads/123e4567-e89b-12d3-a456-426614174000', 'end-5', 'Pushing a blob in chunks'],
    ['DELETE', '/v2/a/blobs/uploads/123e4567-e89b-12d3-a456-426614174000', 'end-14', 'Cancel a blob upload'],
    ['POST', '/_touchstone/gc?advance=1', undefined, 'garbage collection (the reference registry\'s own trigger, outside the spec)'],
    ['GET', '/favicon.ico', undefined, undefined],
    ['GET', '//a:99999/v2/', undefined, undefined],
  ];
  for (const [method, target, endpoint, section] of cases) {
    const summary = summarize(exchange(method, target));
    t.equal(summary.endpoint, endpoint, `${method} ${target}: ${endpoint}`);
    t.equal(summary.section, section);
  }
  t.equal(summarize(exchange('GET', '/v2/', [['User-Agent', 'skopeo/1.9.3 (linux)']])).client, 'skopeo/1.9.3');
  t.equal(summarize(exchange('GET', '/v2/', [['sec-fetch-site', 'same-origin'], ['sec-fetch-mode', 'cors']])).client, 'page');
  t.equal(summarize(exchange('GET', '/v2/', [['sec-fetch-site', 'none'], ['sec-fetch-mode', 'navigate']])).client, 'browser');
  t.equal(summarize(exchange('GET', '/v2/')).client, 'unknown');

  const book = new RequestLogBook(2);
  const seen: number[] = [];
  book.onEntry((summary) => seen.push(summary.id));
  for (const id of [1, 2, 3]) book.add({ ...exchange('GET', '/v2/'), id });
  t.same(seen, [1, 2, 3], 'listeners told of each entry');
  t.same(book.recent().map((s) => s.id), [2, 3], 'bounded: the oldest dropped');
  t.equal(book.detail(1), undefined);
  t.equal(book.detail(3)?.responseBody.kind, 'empty');
});

t.test('bodies: text cut at the bound, binary told apart', async (t) => {
  t.same(bodyView(Buffer.from('hello'), 5), { size: 5, shown: 5, kind: 'text', text: 'hello' });
  t.equal(bodyView(Buffer.from('{"a":'), 100).kind, 'text', 'JSON cut short is text');
  t.equal(bodyView(Buffer.from('é'.repeat(10)).subarray(0, 5), 100).kind, 'text', 'a character cut at the bound is still text');
  t.equal(bodyView(Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 4).kind, 'binary');
  t.equal(bodyView(Buffer.alloc(0), 0).kind, 'empty');
});
