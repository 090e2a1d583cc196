/**
 * Every walkthrough runs to its end against the reference registry the way the page runs it
 * (playground/web/template.js fills each step from what earlier steps captured; fetch sends it),
 * and every answer is one the step says the spec allows. A walkthrough gets fresh repositories
 * each time it starts. With a fault switched on, the step it concerns shows the deviation. The
 * template helpers on their own: placeholders, "?" joined as "&", Link rel="next", header lines.
 */
import t, { type Test } from 'tap';
import { FaultSet } from '../../reference/faults/catalog.ts';
import { buildWalkthrough, WALKTHROUGHS, type WalkthroughView } from '../../playground/walkthroughs/index.ts';
import { bodyBytes, captureFrom, headerLines, joinQuery, nextLink, parseHeaderLines, resolveRequest, sameRequest } from '../../playground/web/template.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.ts';

const GC = { graceSeconds: 3600, deleteUntagged: true };

/** Runs every step in order; returns each step's status, 0 for one the page could not send (a variable missing). */
async function walk(registry: TestRegistry, view: WalkthroughView): Promise<number[]> {
  let vars: Record<string, string> = {};
  const statuses: number[] = [];
  for (const step of view.steps) {
    const request = resolveRequest(step.request, vars);
    if (request.missing.length > 0) {
      statuses.push(0);
      continue;
    }
    const body = ['GET', 'HEAD'].includes(request.method) ? undefined : bodyBytes(request.body);
    const response = await fetch(new URL(request.path, registry.url), { method: request.method, headers: request.headers, body });
    await response.arrayBuffer();
    statuses.push(response.status);
    vars = captureFrom(step.capture, (name) => response.headers.get(name), vars);
  }
  return statuses;
}

async function registryWithFaults(t: Test): Promise<{ registry: TestRegistry; faults: FaultSet }> {
  const faults = new FaultSet();
  return { registry: await startTestRegistry(t, { faults, gcDeleteUntagged: true }), faults };
}

t.test('every walkthrough runs to its end, every answer one the spec allows', async (t) => {
  const { registry } = await registryWithFaults(t);
  const given = new Set<string>();
  for (const definition of WALKTHROUGHS) {
    const view = await buildWalkthrough(definition, registry.store, given, GC);
    const statuses = await walk(registry, view);
    view.steps.forEach((step, i) => t.ok(step.expect.includes(statuses[i] as number), `${view.id} ${i + 1}. ${step.title}: ${statuses[i]} (allowed: ${step.expect.join(', ')})`));
    t.ok(view.steps.every((step) => step.notice.length > 0), `${view.id}: every step says what to notice`);
    t.ok(view.steps.some((step) => step.sentences.length > 0), `${view.id}: quotes the spec`);
  }
  t.equal(WALKTHROUGHS.length, 12);
});

t.test('the chunked upload: 416 for the chunk out of order, the status that says where to resume', async (t) => {
  const { registry, faults } = await registryWithFaults(t);
  const chunked = WALKTHROUGHS.find((w) => w.id === 'chunked')!;
  const view = await buildWalkthrough(chunked, registry.store, new Set(), GC);
  t.same(await walk(registry, view), [202, 202, 416, 204, 202, 202, 201, 200]);
  t.same(view.steps[2]?.sentences.map((s) => s.id), ['chunked.in-order', 'chunked.out-of-order']);
  t.same(view.steps[2]?.sentences[1]?.checks, ['blobs.upload.chunked-out-of-order'], 'with the check that holds registries to it');
  const again = await buildWalkthrough(chunked, registry.store, new Set(), GC);
  t.same(again.repositories, ['learn/chunked-2'], 'a second run gets a fresh repository');

  faults.set('chunk-out-of-order-accepted', true);
  const faulty = await buildWalkthrough(chunked, registry.store, new Set(), GC);
  const statuses = await walk(registry, faulty);
  t.equal(statuses[2], 202, 'with the fault on, the registry accepts the chunk out of order');
  t.notOk(faulty.steps[2]?.expect.includes(statuses[2] as number), 'and the step shows it as a deviation');
  t.equal(statuses[6], 400, 'the blob closed with the wrong bytes: its digest does not match');
  t.equal(statuses[7], 0, 'so there is no blob to pull');
});

t.test('garbage collection as the registry is configured: untagged manifests kept', async (t) => {
  const registry = await startTestRegistry(t, { gcDeleteUntagged: false });
  const view = await buildWalkthrough(WALKTHROUGHS.find((w) => w.id === 'gc')!, registry.store, new Set(), { graceSeconds: 3600, deleteUntagged: false });
  const statuses = await walk(registry, view);
  t.equal(statuses.at(-1), 200, 'the untagged manifest stays');
  t.same(view.steps.at(-1)?.expect, [200]);
});

t.test('template helpers', async (t) => {
  t.equal(joinQuery('/v2/a/blobs/uploads/x?state=1?digest=sha256:a'), '/v2/a/blobs/uploads/x?state=1&digest=sha256:a', 'a Location with its own query keeps it');
  t.equal(joinQuery('/v2/a/blobs/uploads/x?digest=sha256:a'), '/v2/a/blobs/uploads/x?digest=sha256:a');
  const resolved = resolveRequest({ method: 'PUT', path: '{{upload}}?digest=d', headers: { 'X-A': '{{other}}' } }, { upload: '/u?s=1' });
  t.equal(resolved.path, '/u?s=1&digest=d');
  t.same(resolved.missing, ['other']);
  t.equal(resolved.headers['X-A'], '{{other}}', 'unknown placeholders stay');
  t.equal(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'), '/v2/a/tags/list?n=2&last=b');
  t.equal(nextLink('<https://x/a>; rel="prev", <https://x/b>; rel=next'), 'https://x/b');
  t.equal(nextLink(null), undefined);
  t.same(captureFrom({ upload: 'location', next: 'link' }, (name) => (name === 'location' ? '/u' : null), { old: '1' }), { old: '1', upload: '/u' }, 'nothing captured from an absent header');
  t.same(parseHeaderLines(headerLines({ A: '1', 'Content-Range': '0-9' })), { A: '1', 'Content-Range': '0-9' });
  t.throws(() => parseHeaderLines('no colon here'), { message: 'not a header line: no colon here' });
  t.same(bodyBytes({ base64: Buffer.from([0, 1, 255]).toString('base64') }), new Uint8Array([0, 1, 255]));
  t.equal(bodyBytes(undefined), undefined);
  const written = { method: 'PUT', path: '/u?digest=d', headers: { 'Content-Type': 'application/octet-stream' }, body: { text: 'abc' } };
  t.ok(sameRequest({ ...written, headers: { 'content-type': 'application/octet-stream' } }, written), 'header names in any case');
  t.notOk(sameRequest({ ...written, body: { text: 'abd' } }, written), 'an edited body');
  t.notOk(sameRequest({ ...written, path: '/u?digest=e' }, written), 'an edited path');
  t.notOk(sameRequest({ ...written, method: 'POST' }, written), 'another method');
  t.notOk(sameRequest({ ...written, headers: {} }, written), 'a header taken out');
  t.ok(sameRequest({ method: 'GET', path: '/v2/', headers: {} }, { method: 'GET', path: '/v2/', headers: {}, body: undefined }), 'no body either way');
});
