/**
 * The short version of `npm run torture`'s stalls scenario (torture/stalls.ts): 30 stalled manifest
 * uploads (4 MiB − 1 declared, all but the last byte sent) and 50 idle connections keep the
 * registry's peak RSS under 200 MiB; with a 2 s idle timeout (`serve --idle-timeout 2`) the registry
 * closes every one of them within 6 s. GET /v2/ latency is reported, never asserted here.
 */
import t from 'tap';
import { runStalls } from '../../torture/stalls.ts';
import { childEnv } from '../helpers/tools.ts';

t.test('30 stalled uploads and 50 idle connections: peak RSS under 200 MiB', async (t) => {
  const { figures, line } = await runStalls({ stalled: 30, idle: 50, probes: 20, holdSeconds: 1, env: childEnv() });
  t.comment(line);
  t.equal(figures.probesFailed, 0, 'GET /v2/ answered 200 throughout');
  t.ok(figures.peakRssMiB > figures.baselineRssMiB, `RSS was sampled (${figures.baselineRssMiB.toFixed(1)} → ${figures.peakRssMiB.toFixed(1)} MiB)`);
  t.ok(figures.peakRssMiB < 200, `peak RSS ${figures.peakRssMiB.toFixed(1)} MiB < 200 MiB`);
});

t.test('with --idle-timeout 2, every stalled and idle connection is closed within 6 s', async (t) => {
  const { figures, line } = await runStalls({ stalled: 30, idle: 50, probes: 5, holdSeconds: 6, env: childEnv(), serveArgs: ['--idle-timeout', '2'] });
  t.comment(line);
  t.equal(figures.stalledClosed, 30, 'stalled manifest uploads closed');
  t.equal(figures.idleClosed, 50, 'idle connections closed');
});
