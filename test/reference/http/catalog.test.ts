/**
 * GET /v2/_catalog of the reference registry (Docker Registry HTTP API V2 "Listing Repositories"):
 * lexical order, n caps the page, last is exclusive, a Link while more remain, a maximum page when
 * n is absent or larger, only repositories that exist, 400 for a malformed n, 405 for writes.
 */
import t from 'tap';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { content } from '../../helpers/oci.ts';
import { main } from '../../../reference/cli.ts';

/** Creates repository `name` by pushing one blob to it (POST with ?digest=, monolithic). */
async function createRepo(base: string, name: string): Promise<void> {
  const blob = content(`blob of ${name}`);
  const reply = await call(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (reply.status !== 201) throw new Error(`setup: push to ${name} answered ${reply.status}`);
}

const NAMES = ['b/two', 'a', 'c', 'a/b', 'a-b', 'z9', 'b/one'];
/** Byte order of NAMES ('-' 0x2d sorts before '/' 0x2f). */
const SORTED = ['a', 'a-b', 'a/b', 'b/one', 'b/two', 'c', 'z9'];

t.test('the catalog lists every repository in lexical order, paged by n and last with a Link', async (t) => {
  const registry = await startTestRegistry(t, { catalogPageSize: 100 });
  const empty = await call(registry.url, 'GET', '/v2/_catalog');
  t.equal(empty.status, 200);
  t.same(empty.json(), { repositories: [] }, 'an empty registry lists no repositories');
  for (const name of NAMES) await createRepo(registry.url, name);

  const all = await call(registry.url, 'GET', '/v2/_catalog');
  t.equal(all.status, 200);
  t.match(all.header('content-type') ?? '', /^application\/json/);
  t.same(all.json(), { repositories: SORTED });
  t.equal(all.header('link'), undefined, 'no Link when everything fits');

  const first = await call(registry.url, 'GET', '/v2/_catalog?n=3');
  t.same(first.json(), { repositories: SORTED.slice(0, 3) });
  t.equal(first.header('link'), '</v2/_catalog?n=3&last=a%2Fb>; rel="next"');
  const second = await call(registry.url, 'GET', '/v2/_catalog?n=3&last=a%2Fb');
  t.same(second.json(), { repositories: SORTED.slice(3, 6) }, 'last is exclusive');
  const third = await call(registry.url, 'GET', '/v2/_catalog?n=3&last=c');
  t.same(third.json(), { repositories: ['z9'] });
  t.equal(third.header('link'), undefined, 'no Link on the last page');
  const exact = await call(registry.url, 'GET', `/v2/_catalog?n=${SORTED.length}`);
  t.equal(exact.header('link'), undefined, 'no Link when the page holds the rest exactly');

  const zero = await call(registry.url, 'GET', '/v2/_catalog?n=0');
  t.same(zero.json(), { repositories: [] });
  t.equal(zero.header('link'), undefined);
  const between = await call(registry.url, 'GET', '/v2/_catalog?last=b');
  t.same(between.json(), { repositories: SORTED.slice(3) }, 'a last that is no repository starts after where it would sort');

  for (const bad of ['-1', 'x', '1.5']) {
    const reply = await call(registry.url, 'GET', `/v2/_catalog?n=${bad}`);
    t.equal(reply.status, 400, `n=${bad}`);
    t.equal(reply.json<{ errors: { code: string }[] }>().errors[0]?.code, 'UNSUPPORTED');
  }
  const post = await call(registry.url, 'POST', '/v2/_catalog');
  t.equal(post.status, 405, 'the catalog is read-only');
});

t.test('a maximum page when n is absent or larger, with a Link to the rest', async (t) => {
  const registry = await startTestRegistry(t, { catalogPageSize: 3 });
  for (const name of NAMES) await createRepo(registry.url, name);
  const absent = await call(registry.url, 'GET', '/v2/_catalog');
  t.same(absent.json(), { repositories: SORTED.slice(0, 3) });
  t.equal(absent.header('link'), '</v2/_catalog?n=3&last=a%2Fb>; rel="next"');
  const larger = await call(registry.url, 'GET', '/v2/_catalog?n=50');
  t.same(larger.json(), { repositories: SORTED.slice(0, 3) }, 'n above the maximum is capped');
  t.equal(larger.header('link'), '</v2/_catalog?n=3&last=a%2Fb>; rel="next"');
  const seen: string[] = [];
  let next: string | undefined = '/v2/_catalog';
  for (let pages = 0; next !== undefined && pages < 10; pages += 1) {
    const reply = await call(registry.url, 'GET', next);
    seen.push(...reply.json<{ repositories: string[] }>().repositories);
    next = /^<([^>]+)>; rel="next"$/.exec(reply.header('link') ?? '')?.[1];
  }
  t.same(seen, SORTED, 'following the Links yields every repository once');
});

t.test('only repositories that exist: not a directory without index.json, kept after its manifests are deleted', async (t) => {
  const { mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const registry = await startTestRegistry(t);
  await createRepo(registry.url, 'kept');
  // A crash during the first write leaves a directory without index.json: no repository.
  await mkdir(join(registry.root, 'repositories', encodeURIComponent('half/made'), 'blobs'), { recursive: true });
  const reply = await call(registry.url, 'GET', '/v2/_catalog');
  t.same(reply.json(), { repositories: ['kept'] });
  const tags = await call(registry.url, 'GET', '/v2/kept/tags/list');
  t.equal(tags.status, 200, 'a listed repository answers tags/list 200');
  const unknown = await call(registry.url, 'GET', '/v2/half/made/tags/list');
  t.equal(unknown.status, 404, 'an unlisted one answers 404');
});

t.test('touchstone serve --catalog-page-size is checked', async (t) => {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    t.equal(await main(['serve', '--catalog-page-size', '0', '--root', '/nonexistent-touchstone']), 2);
    t.equal(await main(['serve', '--catalog-page-size', 'x', '--root', '/nonexistent-touchstone']), 2);
  } finally {
    process.stderr.write = original;
  }
  t.match(writes.join(''), /--catalog-page-size needs a whole number of at least 1/);
});
