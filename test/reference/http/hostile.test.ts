/**
 * Hostile input gets a 4xx with the spec's error envelope, never a 5xx: request targets the router
 * cannot parse (absolute-form with a bad authority, authority-like targets, percent-encoding that
 * does not decode) and manifests that are not UTF-8 (RFC 8259 §8.1: JSON exchanged between systems
 * MUST be UTF-8), CONNECT (answered, not dropped) and protocol upgrades (ignored).
 */
import t from 'tap';
import { OCI_MANIFEST } from '../../../spec/media-types.ts';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { rawRequest } from '../../helpers/raw.ts';
import { requireTool, run } from '../../helpers/tools.ts';
import { config, content, imageManifest, layer, pushBlob } from '../../helpers/oci.ts';

t.test('request targets that are not paths answer 400, and the registry keeps serving', async (t) => {
  const registry = await startTestRegistry(t);
  const targets = ['//a:99999/v2/', '//[', 'http://:80/v2/', 'http://[/v2/', '//a:99999/v2/x/blobs/uploads/', '/v2/a/%E0%A4%A/tags/list', '/v2/%/manifests/latest'];
  for (const target of targets) {
    const reply = await rawRequest(registry.url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.ok(reply, `${target}: an answer`);
    if (!reply) continue;
    t.equal(reply.status, 400, `${target}: 400, not ${reply.status}`);
    const envelope = JSON.parse(reply.body.toString('utf8')) as { errors: { code: string }[] };
    t.equal(envelope.errors[0]?.code, 'UNSUPPORTED', `${target}: a code of the spec's closed set`);
  }
  t.equal((await call(registry.url, 'GET', '/v2/')).status, 200, 'still serving');
});

t.test('a manifest that is not valid UTF-8 is refused: 400 MANIFEST_INVALID', async (t) => {
  const registry = await startTestRegistry(t);
  const name = 'hostile/utf8';
  const cfg = config('utf8');
  const blob = layer('utf8');
  for (const b of [cfg, blob]) await pushBlob(registry.url, name, b);
  const valid = imageManifest(cfg, [blob], { annotations: { note: 'caf\u00e9' } });
  // The same manifest with "é" as the Latin-1 byte 0xE9: a lone continuation start, not UTF-8.
  const latin1 = Buffer.from(Buffer.from(valid.bytes).toString('utf8'), 'latin1');
  const reply = await call(registry.url, 'PUT', `/v2/${name}/manifests/latin1`, { body: latin1, headers: { 'Content-Type': OCI_MANIFEST } });
  t.equal(reply.status, 400);
  t.equal(reply.json<{ errors: { code: string }[] }>().errors[0]?.code, 'MANIFEST_INVALID');
  const overlong = content(Buffer.concat([Buffer.from('{"schemaVersion":2,"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), OCI_MANIFEST);
  t.equal((await call(registry.url, 'PUT', `/v2/${name}/manifests/overlong`, { body: overlong.bytes, headers: { 'Content-Type': OCI_MANIFEST } })).status, 400, 'an overlong encoding too');
  t.equal((await call(registry.url, 'PUT', `/v2/${name}/manifests/utf8`, { body: valid.bytes, headers: { 'Content-Type': OCI_MANIFEST } })).status, 201, 'the same manifest in UTF-8 is accepted');
});

t.test('CONNECT gets 405, not a dropped connection; Upgrade requests are answered over HTTP/1.1 (RFC 9110 §7.8)', async (t) => {
  const registry = await startTestRegistry(t);
  const ask = async (head: string, body = ''): Promise<{ status: number; code?: string; body: string } | undefined> => {
    const reply = await rawRequest(registry.url, head, body);
    if (!reply) return undefined;
    const text = reply.body.toString('utf8');
    const code = text.startsWith('{"errors"') ? (JSON.parse(text) as { errors: { code: string }[] }).errors[0]?.code : undefined;
    return { status: reply.status, code, body: text };
  };
  const h2c = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n';
  t.match(await ask(`GET /v2/ HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`), { status: 200, body: '{}' }, 'GET /v2/ asking for h2c: the HTTP/1.1 answer');
  t.match(await ask('GET /v2/none/tags/list HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'), { status: 404, code: 'NAME_UNKNOWN' }, 'a WebSocket handshake is routed like any request');
  t.match(await ask('CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n'), { status: 405, code: 'UNSUPPORTED' }, 'CONNECT: 405');
  t.match(await ask(`POST /v2/x/blobs/uploads/ HTTP/1.1\r\nHost: x\r\n${h2c}Content-Length: 5\r\n\r\n`, 'hello'), { status: 202 }, 'an upgrade with a body: the upload starts');
  t.equal((await call(registry.url, 'GET', '/v2/')).status, 200, 'still serving');
  if (!(await requireTool(t, 'curl', 'curl'))) return;
  const curl = await run('curl', ['-sS', '--http2', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `${registry.url}/v2/`]);
  t.equal(curl.stdout, '200 1.1', `curl --http2 on http:// gets its answer over HTTP/1.1 (${curl.stderr.trim()})`);
});
