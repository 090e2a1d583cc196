/**
 * GC explained (playground/gc-explain.ts) on a prepared store: a tagged image with a signature, a
 * tagged index and its child pushed by digest, an untagged manifest with a layer of its own and a
 * referrer, an orphan blob. Within the grace period everything stays, as young; past it the plan
 * keeps exactly what tags reach — each with the chain back to its tag — and collecting with the
 * same options removes exactly what the plan said would go. With a GC fault of the catalog on,
 * the plan stays right and the collection's damage shows as items that went against the plan.
 */
import t, { type Test } from 'tap';
import { explainGc, runGc, type ExplainedItem } from '../../playground/gc-explain.ts';
import { DEFAULT_GC_GRACE_MS } from '../../reference/registry.ts';
import { call, startTestRegistry } from '../helpers/registry.ts';
import { artifact, config, emptyConfig, imageManifest, indexManifest, layer, pushBlob, pushManifest, type Content } from '../helpers/oci.ts';
import type { FaultName } from '../../reference/faults/catalog.ts';

const PAST_GRACE = DEFAULT_GC_GRACE_MS / 1000 + 60;

async function prepared(t: Test, faults: FaultName[] = []) {
  const registry = await startTestRegistry(t, { gcDeleteUntagged: true, faults });
  const repo = 'gc/explained';
  const push = async (blobs: Content[]) => {
    for (const blob of blobs) await pushBlob(registry.url, repo, blob);
  };
  const [c1, l1, l2, l3, c3, l4] = [config('c1'), layer('l1'), layer('l2'), layer('l3'), config('c3'), layer('l4')];
  const orphan = layer('orphan');
  await push([c1, l1, l2, l3, c3, l4, orphan, emptyConfig]);
  const tagged = imageManifest(c1, [l1, l2]);
  const untagged = imageManifest(c1, [l3]);
  const child = imageManifest(c3, [l4]);
  const index = indexManifest([child]);
  const signature = artifact(tagged, 'application/vnd.example.signature.v1');
  const strayReferrer = artifact(untagged, 'application/vnd.example.signature.v1');
  await pushManifest(registry.url, repo, 'v1', tagged);
  await pushManifest(registry.url, repo, untagged.digest, untagged);
  await pushManifest(registry.url, repo, child.digest, child);
  await pushManifest(registry.url, repo, 'multi', index);
  await pushManifest(registry.url, repo, signature.digest, signature);
  await pushManifest(registry.url, repo, strayReferrer.digest, strayReferrer);
  return { registry, repo, c1, l1, l2, l3, c3, l4, orphan, tagged, untagged, child, index, signature, strayReferrer };
}

function find(items: readonly ExplainedItem[], content: Content): ExplainedItem {
  const item = items.find((i) => i.digest === content.digest);
  if (!item) throw new Error(`${content.digest} not in the plan`);
  return item;
}

t.test('within the grace period everything stays, as young', async (t) => {
  const s = await prepared(t);
  const plan = await explainGc(s.registry.store, DEFAULT_GC_GRACE_MS, { advanceSeconds: 0, deleteUntagged: true });
  t.equal(plan.items.length, 14, 'every manifest (6) and blob (8) of the repository');
  t.ok(plan.items.every((item) => item.keep), 'nothing goes');
  t.equal(find(plan.items, s.orphan).rule, 'young');
  t.match(find(plan.items, s.orphan).why, /younger than the grace period \(1 h\)/);
  t.equal(find(plan.items, s.untagged).rule, 'young', 'an untagged manifest just pushed is young too');
  t.same(plan.uploads, [], 'no upload session open');
});

t.test('past the grace period: what tags reach stays, with the chain back to the tag; GC then does exactly that', async (t) => {
  const s = await prepared(t);
  const input = { advanceSeconds: PAST_GRACE, deleteUntagged: true };
  const plan = await explainGc(s.registry.store, DEFAULT_GC_GRACE_MS, input);
  const rule = (c: Content) => find(plan.items, c).rule;
  t.equal(rule(s.tagged), 'tagged');
  t.same(find(plan.items, s.l1).chain.map((c) => c.text), ['config or layer of', 'tagged "v1"']);
  t.equal(find(plan.items, s.l1).chain[0]?.digest, s.tagged.digest, 'each step names what holds it');
  t.equal(rule(s.child), 'child');
  t.same(find(plan.items, s.l4).chain.map((c) => c.text), ['config or layer of', 'child of the index', 'tagged "multi"'], 'a layer of a child of a tagged index');
  t.equal(rule(s.signature), 'referrer');
  t.match(find(plan.items, s.signature).why, /^referrer of sha256:.{12}…, which stays ← tagged "v1"$/);
  t.equal(rule(s.c1), 'blob', 'the config shared by the tagged and the untagged image');
  for (const doomed of [s.untagged, s.strayReferrer, s.l3, s.orphan]) t.notOk(find(plan.items, doomed).keep, `${doomed.digest.slice(0, 16)} goes`);
  t.match(find(plan.items, s.untagged).why, /untagged, older than the grace period/);
  t.match(find(plan.items, s.orphan).why, /no live manifest references it/);

  const outcome = await runGc(s.registry.store, DEFAULT_GC_GRACE_MS, input);
  t.same(outcome.items.filter((i) => !i.asPlanned), [], 'every item as planned');
  t.same(outcome.unplanned, [], 'nothing removed that the plan did not list');
  t.same(outcome.items.filter((i) => i.went).map((i) => i.digest).sort(), [s.untagged, s.strayReferrer, s.l3, s.orphan].map((c) => c.digest).sort());
  t.same(outcome.report.manifestsRemoved.sort(), [s.untagged, s.strayReferrer].map((c) => `${s.repo}@${c.digest}`).sort());
  for (const gone of [s.l3, s.orphan]) t.equal((await call(s.registry.url, 'HEAD', `/v2/${s.repo}/blobs/${gone.digest}`)).status, 404, 'collected blobs are gone');
  for (const kept of [s.l1, s.l2, s.l4, s.c1, s.c3]) t.equal((await call(s.registry.url, 'HEAD', `/v2/${s.repo}/blobs/${kept.digest}`)).status, 200, 'kept blobs pull');
});

t.test('keeping untagged manifests: the plan says why they stay', async (t) => {
  const s = await prepared(t);
  const plan = await explainGc(s.registry.store, DEFAULT_GC_GRACE_MS, { advanceSeconds: PAST_GRACE, deleteUntagged: false });
  t.equal(find(plan.items, s.untagged).rule, 'untagged-kept');
  t.equal(find(plan.items, s.l3).rule, 'blob');
  t.notOk(find(plan.items, s.orphan).keep, 'the orphan blob still goes');
});

t.test('with gc-shared-layers on, the plan stays right and GC\'s damage shows against it', async (t) => {
  const s = await prepared(t, ['gc-shared-layers']);
  t.equal((await call(s.registry.url, 'DELETE', `/v2/${s.repo}/manifests/${s.untagged.digest}`)).status, 202);
  const outcome = await runGc(s.registry.store, DEFAULT_GC_GRACE_MS, { advanceSeconds: PAST_GRACE, deleteUntagged: true });
  const config = outcome.items.find((i) => i.digest === s.c1.digest);
  t.ok(config?.keep, 'the plan keeps the config the tagged image still uses');
  t.ok(config?.went, 'the faulty collector took it with the deleted manifest');
  t.notOk(config?.asPlanned, 'marked as not what the plan said');
  t.equal((await call(s.registry.url, 'GET', `/v2/${s.repo}/blobs/${s.c1.digest}`)).status, 404, 'and the tagged image is broken');
});

t.test('upload sessions: idle ones would expire', async (t) => {
  const registry = await startTestRegistry(t);
  const opened = await call(registry.url, 'POST', '/v2/gc/uploads/blobs/uploads/');
  t.equal(opened.status, 202);
  const now = await explainGc(registry.store, DEFAULT_GC_GRACE_MS, { advanceSeconds: 0, deleteUntagged: false });
  t.same(now.uploads.map((u) => u.goes), [false], 'a fresh session stays');
  const later = await explainGc(registry.store, DEFAULT_GC_GRACE_MS, { advanceSeconds: PAST_GRACE, deleteUntagged: false });
  t.same(later.uploads.map((u) => u.goes), [true], 'past the grace period it would expire');
});
