/**
 * The short version of `npm run torture`'s kills scenario (torture/kills.ts): 3 SIGKILL cycles
 * under 4 concurrent writers. After each restart: no acknowledged write lost, scrub clean, every
 * repository directory a valid OCI layout (oci-image-tool), no temporary file left inside a
 * repository, and no answer other than the one the protocol promises.
 */
import t from 'tap';
import { runKills } from '../../torture/kills.ts';
import { childEnv, requireTool } from '../helpers/tools.ts';

t.test('3 SIGKILL cycles under concurrent writers', async (t) => {
  if (!(await requireTool(t, 'oci-image-tool', 'oci-image-tool'))) return;
  const { figures, line, samples } = await runKills({ cycles: 3, writers: 4, newRepos: 3, killAfterMs: [300, 1500], seed: 11, env: childEnv() });
  t.comment(line);
  t.equal(figures.restarted, 3, 'the registry restarted on the same root after every kill', { samples });
  t.ok(figures.acknowledged > 0, `writes acknowledged before the kills (${figures.acknowledged})`);
  t.equal(figures.lost, 0, 'acknowledged writes lost', { samples });
  t.equal(figures.unexpected, 0, 'unexpected answers', { samples });
  t.equal(figures.scrubClean, 3, 'touchstone scrub clean after every restart');
  t.equal(figures.invalidLayouts, 0, 'repository directories that are not valid OCI layouts');
  t.equal(figures.strayTempFiles, 0, 'temporary files left inside repositories');
});
