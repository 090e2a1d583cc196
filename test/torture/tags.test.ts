/**
 * The short version of `npm run torture`'s tags scenario (torture/tags.ts): 100 concurrent tag
 * updates lose nothing; against the fault lost-tag-updates (index.json rewritten without the lock)
 * the same run reports lost tags, so the figure can fail.
 */
import t from 'tap';
import { runTags } from '../../torture/tags.ts';
import { childEnv } from '../helpers/tools.ts';

t.test('100 concurrent tag updates: every acknowledged tag resolves to its last acknowledged PUT', async (t) => {
  const { figures, line, samples } = await runTags({ updates: 100, concurrency: 20, seed: 9, env: childEnv() });
  t.comment(line);
  t.equal(figures.acknowledged, 100, 'every update acknowledged');
  t.equal(figures.failed, 0, 'failed updates');
  t.equal(figures.lost, 0, 'lost tags', { samples });
  t.equal(figures.unlisted, 0, 'tags missing from tags/list', { samples });
  t.ok(figures.tags > 10 && figures.tags < 100, `distinct and shared tags (${figures.tags})`);
});

t.test('control: a registry that loses concurrent tag updates is caught', async (t) => {
  const { figures, line } = await runTags({ updates: 100, concurrency: 20, seed: 9, env: childEnv(), serveArgs: ['--fault', 'lost-tag-updates'] });
  t.comment(line);
  t.ok(figures.lost + figures.unlisted > 0, `lost tags reported (${figures.lost} lost, ${figures.unlisted} unlisted)`);
});
