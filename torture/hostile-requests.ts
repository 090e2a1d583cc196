/**
 * The hostile request generator: request number i of seed s is always the same bytes. It mixes
 * requests that reach the registry's handlers (valid names, tags, digests and upload sessions that
 * exist) with everything a hostile or broken client sends: unparsable request targets (`//a:99999/v2/`,
 * `//[`, `http://:80/v2/`, `http://[/v2/`), absolute-form, overlong and %-garbage targets, path
 * traversal, odd methods and versions, bad Content-Length and Content-Range, conflicting
 * Transfer-Encoding, very many or huge header fields, and bodies that are garbage, truncated,
 * not UTF-8, deeply nested JSON, or shorter than their declared length.
 */
import { descriptor, imageManifest, type Content } from '../conformance/content.ts';
import { MANIFEST_TYPES, OCI_INDEX, OCI_MANIFEST } from '../spec/media-types.ts';
import { Random } from './random.ts';
import type { RawRequest } from './raw.ts';

/** What the generator may aim at: content and sessions that exist on the registry. */
export interface Targets {
  readonly names: readonly string[];
  readonly tags: readonly string[];
  readonly digests: readonly string[];
  /** Upload session paths (/v2/<name>/blobs/uploads/<id>) opened beforehand. */
  readonly sessions: readonly string[];
  readonly config: Content;
  readonly layer: Content;
}

export interface HostileRequest extends RawRequest {
  /** What kind of request it is, for reports. */
  readonly label: string;
}

const BAD_NAMES = ['UPPER/case', 'a//b', '-a', 'a-', '..', 'a/../b', '%2e%2e', '..%2f..%2fetc', 'a'.repeat(300), `ok/${'x'.repeat(250)}`, 'a b', 'a%00b', '%C3%A9', 'a/./b', '_', 'a__b', '%ff'];
const BAD_REFS = ['.INVALID_MANIFEST_NAME', 'sha256:abc', `sha256:${'G'.repeat(64)}`, 'md5:abcd', 'sha256:', ':', 'x'.repeat(129), '-x', '%', '%2F', '..', 'sha512:00', `sha256:${'A'.repeat(64)}`, 'a%00', 'latest%20'];
const BAD_TARGETS = [
  '//a:99999/v2/', '//[', 'http://:80/v2/', 'http://[/v2/', 'http://127.0.0.1/v2/', 'http://u:p@h/v2/', 'https://x/v2/', 'http://a:99999/v2/',
  '*', '/%', '/%zz', '/v2/%', '/v2/%ff%fe/manifests/x', '/v2/../../etc/passwd', '/v2/a/..%2f..%2fetc/passwd/manifests/latest',
  '/v2/%2e%2e/%2e%2e/blobs/uploads/', '/v2/./x/manifests/y', '/v2/a%2fb/manifests/x', '/v2/a/manifests/x%00', '\\v2\\', '/v2/#frag',
  '?', '/v2/?x=%', '/v2/_catalog', '/v2/_catalog?n=-1', '/v1/', '/', '/v2', '/v2//', '/v2/a/tags/list?n=abc', '/v2/a/tags/list?n=99999999999999999999',
  '/v2/a/tags/list?last=%ff', '/_touchstone/gc?advance=-1', '/_touchstone/gc?advance=1e400', '/v2/a/blobs/uploads/?mount=x&from=..%2f..',
  '/v2/a/referrers/sha256:x?artifactType=%', 'v2/', '//', '/v2/a/manifests/', '/v2/a/blobs/', '/v2/a/blobs/uploads/../../x',
];
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
const ODD_METHODS = ['OPTIONS', 'TRACE', 'PROPFIND', 'get', 'FOO', 'G\u0000T', 'PUT ', 'M-SEARCH', 'CONNECT'];
const CONTENT_RANGES = ['0-0', '-5-10', '10-5', `0-${'9'.repeat(25)}`, 'bytes 0-1/2', '0-', '-', 'a-b', '0-1,2-3', `${2 ** 53}-${2 ** 53 + 10}`, ' 0 - 1 ', '00-01'];
const BAD_LENGTHS = ['-1', 'abc', '1e3', '99999999999999999999', '0x10', ' 5', '1, 2', '+3', ''];
const TRANSFER_ENCODINGS = ['chunked, chunked', 'gzip, chunked', 'identity', 'xchunked', 'chunked;q=1', 'CHUNKED', 'chunked\u0000'];

function hex(rng: Random, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += '0123456789abcdef'[rng.int(16)];
  return out;
}

/** Large bodies, built once: a manifest nested `depth` arrays deep, one listing one layer `count` times. */
const built = new Map<string, Buffer>();
function once(key: string, build: () => string): Buffer {
  let body = built.get(key);
  if (!body) {
    body = Buffer.from(build());
    built.set(key, body);
  }
  return body;
}

function nested(depth: number): Buffer {
  return once(`nested ${depth}`, () => `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${'['.repeat(depth)}${']'.repeat(depth)}}`);
}

function repeatedLayer(targets: Targets, count: number): Buffer {
  const layer = descriptor(targets.layer);
  return once(`layers ${targets.layer.digest} ${count}`, () => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(targets.config), layers: Array(count).fill(layer) }));
}

/** Request number `index` of `seed`. */
export function hostileRequest(seed: number, index: number, targets: Targets): HostileRequest {
  const rng = new Random(seed * 1_000_003 + index);
  const labels: string[] = [];
  const name = rng.chance(0.8) ? rng.pick(targets.names) : (labels.push('bad-name'), rng.pick(BAD_NAMES));
  const ref = (): string => {
    const roll = rng.next();
    if (roll < 0.35) return rng.pick(targets.tags);
    if (roll < 0.7) return rng.pick(targets.digests);
    if (roll < 0.8) return `sha256:${hex(rng, 64)}`;
    labels.push('bad-ref');
    return rng.pick(BAD_REFS);
  };

  // The request target.
  let target: string;
  const shape = rng.weighted({ route: 70, bad: 14, absolute: 4, overlong: 2, percent: 5, raw: 5 });
  if (shape === 'route') {
    const routes: Array<() => string> = [
      () => '/v2/',
      () => `/v2/${name}/tags/list${rng.chance(0.3) ? `?n=${rng.pick(['0', '1', '-1', 'x', '1000000'])}&last=${ref()}` : ''}`,
      () => `/v2/${name}/manifests/${ref()}`,
      () => `/v2/${name}/manifests/${ref()}`,
      () => `/v2/${name}/blobs/${ref()}`,
      () => `/v2/${name}/blobs/uploads/`,
      () => `/v2/${name}/blobs/uploads/?digest=${ref()}`,
      () => `/v2/${name}/blobs/uploads/?mount=${ref()}&from=${rng.pick(targets.names)}`,
      () => `${rng.pick(targets.sessions)}${rng.chance(0.5) ? `?digest=${ref()}` : ''}`,
      () => `/v2/${name}/blobs/uploads/${rng.chance(0.5) ? hex(rng, 32) : ref()}`,
      () => `/v2/${name}/referrers/${ref()}${rng.chance(0.3) ? '?artifactType=application/x' : ''}`,
    ];
    target = rng.chance(0.005) ? `/_touchstone/gc${rng.chance(0.5) ? '?advance=1' : ''}` : rng.pick(routes)();
  } else if (shape === 'bad') {
    target = rng.pick(BAD_TARGETS);
  } else if (shape === 'absolute') {
    target = `${rng.pick(['http://127.0.0.1', 'http://registry.invalid:5000', 'http://[::1]', 'http://a:b@c'])}/v2/${name}/manifests/${ref()}`;
  } else if (shape === 'overlong') {
    target = `/v2/${'a/'.repeat(rng.pick([2_000, 9_000, 40_000]))}manifests/x`;
  } else if (shape === 'percent') {
    const garbage = Array.from({ length: rng.between(1, 6) }, () => rng.pick(['%', '%z', '%zz', '%00', '%ff', '%2f', '%2e%2e', '%c0%af', '%25', `%${hex(rng, 2)}`])).join('');
    target = rng.pick([`/v2/${garbage}/manifests/x`, `/v2/${name}/manifests/${garbage}`, `/v2/${name}/blobs/uploads/${garbage}`, `/v2/${name}/tags/list?last=${garbage}`]);
  } else {
    target = `/v2/${name}/${Buffer.from(rng.bytes(rng.between(1, 8))).toString('latin1')}/manifests/x`;
  }
  labels.push(shape);

  const method = rng.chance(0.93) ? rng.pick(METHODS) : (labels.push('odd-method'), rng.pick(ODD_METHODS));
  const version = rng.chance(0.96) ? 'HTTP/1.1' : (labels.push('odd-version'), rng.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x', '', 'http/1.1']));

  // The body.
  let body: Buffer = Buffer.alloc(0);
  const bodyKind = method === 'GET' || method === 'HEAD' ? (rng.chance(0.05) ? 'garbage' : 'none') : rng.weighted({ none: 20, manifest: 20, garbage: 15, truncated: 10, latin1: 8, nested: 2, types: 8, huge: 1, index: 6, chunk: 6 });
  const manifest = (): Buffer => imageManifest(targets.config, [targets.layer], { annotations: { n: String(index) } }).bytes;
  if (bodyKind === 'manifest') body = manifest();
  else if (bodyKind === 'garbage') body = rng.bytes(rng.between(1, 4096));
  else if (bodyKind === 'truncated') body = manifest().subarray(0, rng.between(1, 200));
  else if (bodyKind === 'latin1') body = Buffer.concat([manifest().subarray(0, -1), Buffer.from(',"annotations":{"x":"\xe9\xff\xfe"}}', 'latin1')]);
  else if (bodyKind === 'nested') body = nested(rng.pick([1_000, 50_000, 500_000]));
  else if (bodyKind === 'huge') body = repeatedLayer(targets, rng.pick([1_000, 25_000]));
  else if (bodyKind === 'index') body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: rng.pick(targets.digests), size: rng.pick([-1, 0, 2 ** 60, 10]) }] }));
  else if (bodyKind === 'types') body = Buffer.from(JSON.stringify(rng.pick([{ schemaVersion: 'x' }, { schemaVersion: 2, layers: 'x' }, { schemaVersion: 2, config: null }, [], 'x', 1e400, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { digest: 1, size: 'x' }, layers: [null] }, { subject: { digest: '../../x' } }])));
  else if (bodyKind === 'chunk') body = rng.bytes(rng.between(1, 64 * 1024));
  if (bodyKind !== 'none') labels.push(`body-${bodyKind}`);

  // Header fields and framing.
  const lines: string[] = [];
  if (rng.chance(0.97)) lines.push(`Host: ${rng.chance(0.95) ? '127.0.0.1' : rng.pick(['', '[', 'a:99999', 'x'.repeat(300), 'h\u0000'])}`);
  if (body.length > 0 || rng.chance(0.2)) lines.push(`Content-Type: ${rng.chance(0.85) ? rng.pick(MANIFEST_TYPES) : rng.pick(['application/octet-stream', '', 'x', 'application/json; charset=latin1', `a/${'b'.repeat(2000)}`])}`);
  if (rng.chance(0.15)) lines.push(`Content-Range: ${rng.pick(CONTENT_RANGES)}`);
  if (rng.chance(0.05)) lines.push(`Accept: ${rng.pick(['*/*', '', ',,,', 'x'.repeat(5000)])}`);
  if (rng.chance(0.03)) lines.push(`Authorization: ${rng.pick(['Basic !!!', 'Bearer', 'Basic', 'x'])}`);
  if (rng.chance(0.03)) lines.push('Expect: 100-continue');
  if (rng.chance(0.02)) {
    labels.push('many-headers');
    for (let n = rng.pick([200, 1_000, 3_000]); n > 0; n--) lines.push(`X-H${n}: ${n}`);
  }
  if (rng.chance(0.01)) (labels.push('huge-header'), lines.push(`X-Big: ${'b'.repeat(rng.pick([10_000, 70_000]))}`));
  if (rng.chance(0.02)) (labels.push('bad-header'), lines.push(rng.pick(['NoColon', 'Bad Name: x', ' folded: x', 'X: a\rb', ': empty', 'X-Nul: a\u0000b'])));

  const framing = rng.weighted({ length: 70, chunked: 10, lie: 6, badLength: 5, te: 5, both: 2, none: 2 });
  let wire: Buffer = body;
  // Only Content-Length or chunked framing says where the request ends; any other ends with a
  // half-close, so the registry is never left waiting for bytes the generator will not send.
  const framed = framing === 'length' || framing === 'chunked';
  let reusable = framed;
  if (framing === 'length') {
    if (body.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH') lines.push(`Content-Length: ${body.length}`);
  } else if (framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    wire = Buffer.concat([...(body.length > 0 ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : []), Buffer.from('0\r\n\r\n')]);
  } else if (framing === 'lie') {
    // Declares more than it sends: only the half-close tells the registry no more is coming.
    lines.push(`Content-Length: ${body.length + rng.pick([1, 1000, 4 * 1024 * 1024, 2 ** 40])}`);
  } else if (framing === 'badLength') {
    lines.push(`Content-Length: ${rng.pick(BAD_LENGTHS)}`);
    if (rng.chance(0.3)) lines.push(`Content-Length: ${body.length + 1}`);
  } else if (framing === 'te') {
    lines.push(`Transfer-Encoding: ${rng.pick(TRANSFER_ENCODINGS)}`);
    if (rng.chance(0.5)) wire = Buffer.concat([Buffer.from(rng.pick(['zz\r\n', '-1\r\n', 'ffffffffffffffff\r\n', '5\r\nab'])), body]);
  } else if (framing === 'both') {
    lines.push('Transfer-Encoding: chunked', `Content-Length: ${body.length}`);
  }
  labels.push(`framing-${framing}`);
  // Any deviation in the request line or header fields may leave the connection in an unknown state.
  if (labels.some((l) => ['bad', 'raw', 'overlong', 'odd-method', 'odd-version', 'many-headers', 'huge-header', 'bad-header'].includes(l))) reusable = false;

  const lineBreak = rng.chance(0.01) ? (labels.push('bare-lf'), '\n') : '\r\n';
  const start = Buffer.from(`${method} ${target}${version === '' ? '' : ` ${version}`}${lineBreak}${lines.map((l) => `${l}${lineBreak}`).join('')}${lineBreak}`, 'latin1');
  return { bytes: Buffer.concat([start, wire]), head: method === 'HEAD', halfClose: !framed, reusable, label: labels.join(' ') };
}
