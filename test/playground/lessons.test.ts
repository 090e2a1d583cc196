/**
 * Faults as lessons (playground/lessons.ts): every fault of the catalog is listed with the checks
 * that catch it (docs/fault-detection.json); switched on, a run of those checks against the
 * running registry fails, with the check's citation, the spec sentence it quotes and the exchange
 * that broke the rule; switched off, they pass. GC faults run the GC checks through the
 * registry's own trigger. One run at a time.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FAULT_CATALOG, FaultSet } from '../../reference/faults/catalog.ts';
import { Lessons } from '../../playground/lessons.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/tools.ts';

async function lessons(t: Test, file?: string): Promise<{ faults: FaultSet; lessons: Lessons; logs: { method: string; path: string }[] }> {
  const faults = new FaultSet();
  const registry = await startTestRegistry(t, { faults, gcDeleteUntagged: true });
  return { faults, lessons: await Lessons.load(faults, registry.url, registry.config, file), logs: registry.logs };
}

t.test('every fault of the catalog, with the checks that catch it', async (t) => {
  const { lessons: l, faults } = await lessons(t);
  const list = l.list();
  t.same(list.map((lesson) => lesson.fault), Object.keys(FAULT_CATALOG));
  const chunk = list.find((lesson) => lesson.fault === 'chunk-out-of-order-accepted');
  t.same(chunk?.checks, ['blobs.upload.chunked-out-of-order']);
  t.equal(chunk?.active, false);
  const lost = list.find((lesson) => lesson.fault === 'lost-tag-updates');
  t.ok(lost?.checks.includes('manifests.push.concurrent-tags'), 'a race: the scripted check that pushes tags at once');
  t.match(lost?.property[0]?.replay, /^npx touchstone check --only property\./, 'and the property that finds it, with its replay line');
  t.ok(l.set('chunk-out-of-order-accepted', true));
  t.ok(faults.has('chunk-out-of-order-accepted'), 'switched on in the registry\'s own FaultSet');
  t.notOk(l.set('no-such-fault', true), 'a name outside the catalog is refused');
});

t.test('switched on, its check fails with the rule and the exchange that broke it; off, it passes', async (t) => {
  const { lessons: l, logs } = await lessons(t);
  l.set('chunk-out-of-order-accepted', true);
  const on = await l.run('chunk-out-of-order-accepted');
  t.equal(on.activeDuringRun, true);
  t.equal(on.results.length, 1);
  const [result] = on.results;
  t.equal(result?.id, 'blobs.upload.chunked-out-of-order');
  t.equal(result?.status, 'fail');
  t.match(result?.spec, /^§Pushing a blob in chunks/);
  t.same(result?.sentences.map((s) => s.id), ['chunked.out-of-order'], 'the spec sentence the check quotes');
  const failing = result?.failing === undefined ? undefined : result.exchanges[result.failing];
  t.equal(failing?.method, 'PATCH', 'the exchange that broke the rule');
  t.equal(failing?.status, 202, 'accepted where the spec says 416');
  t.match(failing?.requestHeaders['Content-Range'] ?? failing?.requestHeaders['content-range'], /^\d+-\d+$/);
  t.equal(failing?.requestBody.kind, 'binary', 'the chunk, shortened');
  t.ok(logs.some((entry) => entry.path.startsWith('/v2/lessons/')), 'the checks ran against the registry, under lessons/');

  l.set('chunk-out-of-order-accepted', false);
  const off = await l.run('chunk-out-of-order-accepted');
  t.equal(off.activeDuringRun, false);
  t.same(off.results.map((r) => r.status), ['pass']);
  t.equal(off.results[0]?.failing, undefined);
});

t.test('a GC fault: the GC checks run through the registry\'s own trigger', async (t) => {
  const { lessons: l, logs } = await lessons(t);
  l.set('gc-no-grace', true);
  const run = await l.run('gc-no-grace');
  t.same(run.results.map((r) => r.id).sort(), ['gc.safety.age-from-arrival', 'gc.safety.upload-in-progress', 'gc.safety.young-blob']);
  t.ok(run.results.every((r) => r.status === 'fail'), 'all three fail');
  t.ok(logs.some((entry) => entry.method === 'POST' && entry.path.startsWith('/_touchstone/gc')), 'collections went through POST /_touchstone/gc');
});

t.test('one lesson at a time; none for a fault without scripted checks', async (t) => {
  const { lessons: l } = await lessons(t);
  const first = l.run('chunk-out-of-order-accepted');
  t.ok(l.busy);
  await t.rejects(l.run('chunk-out-of-order-accepted'), { message: 'a lesson is already running' });
  await first;
  t.notOk(l.busy);
});

t.test('a fault only the property layer finds: its replay line, no checks to run', async (t) => {
  // Today every fault has a scripted check; a detection table where one has none, as a new race would.
  const table = JSON.parse(await readFile(new URL('../../docs/fault-detection.json', import.meta.url), 'utf8')) as { rows: { fault: string; scripted: string[] }[] };
  for (const row of table.rows) if (row.fault === 'lost-tag-updates') row.scripted = [];
  const file = join(await tempDir(t), 'fault-detection.json');
  await writeFile(file, JSON.stringify(table));
  const { lessons: l } = await lessons(t, file);
  const lost = l.list().find((lesson) => lesson.fault === 'lost-tag-updates');
  t.same(lost?.checks, [], 'no scripted check');
  t.match(lost?.property[0]?.replay, /^npx touchstone check --only property\./, 'comes with its replay line');
  t.same((await l.run('lost-tag-updates')).results, [], 'a run has nothing to run');
});
