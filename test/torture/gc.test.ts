/**
 * The short version of `npm run torture`'s gc scenario (torture/gc.ts): 4 pushers, a window without
 * GC and one with GC every 100 ms (60 s grace): no push fails, no image breaks, and one collection
 * with ?advance= afterwards keeps every image and removes all the garbage. Against the fault
 * gc-no-grace (GC collects young blobs) the same run reports broken pushes. Latency is reported,
 * never asserted here (speed is for `npm run torture` and benchmarks).
 */
import t from 'tap';
import { runGc } from '../../torture/gc.ts';
import { childEnv } from '../helpers/tools.ts';

const SHORT = { pushers: 4, windows: 2, windowMs: 2_000, seed: 3, env: childEnv() } as const;

t.test('GC every 100 ms under 4 pushers breaks nothing', async (t) => {
  const { figures, line, samples } = await runGc(SHORT);
  t.comment(line);
  t.ok(figures.pushes >= 4, `pushes acknowledged (${figures.pushes})`);
  t.ok(figures.gcRuns >= 2, `GC ran while pushers pushed (${figures.gcRuns} runs)`);
  t.equal(figures.failed, 0, 'pushes failed', { samples });
  t.equal(figures.gcFailed, 0, 'GC runs failed');
  t.equal(figures.broken, 0, 'images broken by continuous GC', { samples });
  t.equal(figures.brokenAfterAdvance, 0, 'images broken by the ?advance collection', { samples });
  t.ok(figures.garbage > 0, `garbage was left (${figures.garbage})`);
  t.equal(figures.garbageLeft, 0, 'garbage left after the ?advance collection');
});

t.test('control: GC that ignores the grace period is caught', async (t) => {
  const { figures, line } = await runGc({ ...SHORT, serveArgs: ['--fault', 'gc-no-grace'] });
  t.comment(line);
  t.ok(figures.failed + figures.broken > 0, `pushes failed or images broken (${figures.failed} failed, ${figures.broken} broken)`);
});
