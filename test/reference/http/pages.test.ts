/**
 * Page sizes: referrers come 20 to a page by default, so a subject with a few dozen referrers spans
 * pages and clients' paging is exercised; tags/list never answers more than the page size, with `n`
 * absent or larger, and says so with a Link (spec "Listing tags": "the presence of the Link header
 * communicates to the client that the entire result set has not been returned").
 */
import t from 'tap';
import { call, startTestRegistry } from '../../helpers/registry.ts';
import { artifact, config, imageManifest, layer, pushBlob, emptyConfig } from '../../helpers/oci.ts';

const name = 'pages/repo';

function linkOf(header: string | undefined): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(header ?? '')?.[1];
}

t.test('a subject with 45 referrers spans three pages by default; every referrer is listed once', async (t) => {
  const registry = await startTestRegistry(t);
  const cfg = config('pages');
  const blob = layer('pages');
  for (const b of [cfg, blob, emptyConfig]) await pushBlob(registry.url, name, b);
  const subject = imageManifest(cfg, [blob]);
  await call(registry.url, 'PUT', `/v2/${name}/manifests/subject`, { body: subject.bytes, headers: { 'Content-Type': subject.mediaType } });
  const pushed = new Set<string>();
  for (let i = 0; i < 45; i++) {
    const referrer = artifact(subject, 'application/vnd.example.sig', { n: String(i) });
    await call(registry.url, 'PUT', `/v2/${name}/manifests/${referrer.digest}`, { body: referrer.bytes, headers: { 'Content-Type': referrer.mediaType } });
    pushed.add(referrer.digest);
  }
  const seen: string[] = [];
  const sizes: number[] = [];
  let next: string | undefined = `/v2/${name}/referrers/${subject.digest}`;
  for (let page = 0; next !== undefined && page < 10; page++) {
    const reply = await call(registry.url, 'GET', next);
    const manifests = reply.json<{ manifests: { digest: string }[] }>().manifests;
    sizes.push(manifests.length);
    seen.push(...manifests.map((m) => m.digest));
    next = linkOf(reply.header('link'));
  }
  t.same(sizes, [20, 20, 5], 'pages of 20');
  t.same(new Set(seen), pushed, 'every referrer');
  t.equal(seen.length, pushed.size, 'none twice');
});

t.test('tags/list pages at the registry page size with n absent or larger', async (t) => {
  const registry = await startTestRegistry(t, { tagsPageSize: 4 });
  const cfg = config('tags-pages');
  await pushBlob(registry.url, name, cfg);
  const manifest = imageManifest(cfg, []);
  const tags = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  for (const tag of tags) await call(registry.url, 'PUT', `/v2/${name}/manifests/${tag}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });

  const first = await call(registry.url, 'GET', `/v2/${name}/tags/list`);
  t.same(first.json<{ tags: string[] }>().tags, ['a', 'b', 'c', 'd'], 'no n: one page of 4');
  t.equal(linkOf(first.header('link')), `/v2/${name}/tags/list?last=d`, 'and a Link to the rest');
  const rest = await call(registry.url, 'GET', linkOf(first.header('link')) ?? '');
  t.same(rest.json<{ tags: string[] }>().tags, ['e', 'f', 'g']);
  t.equal(rest.header('link'), undefined, 'no Link on the last page');

  const large = await call(registry.url, 'GET', `/v2/${name}/tags/list?n=10`);
  t.same(large.json<{ tags: string[] }>().tags, ['a', 'b', 'c', 'd'], 'n above the page size: capped');
  t.equal(linkOf(large.header('link')), `/v2/${name}/tags/list?n=10&last=d`, 'the Link keeps the n asked for');
  const small = await call(registry.url, 'GET', `/v2/${name}/tags/list?n=2&last=b`);
  t.same(small.json<{ tags: string[] }>().tags, ['c', 'd'], 'n below the page size is honoured');
});
