/**
 * The short version of `npm run torture`'s hostile scenario (torture/hostile.ts): 5,000 generated
 * hostile requests over raw TCP answer no 5xx and leave the registry alive, answering GET /v2/ with
 * 200. The generator is reproducible from its seed and covers every kind of hostility it names.
 */
import t from 'tap';
import { content, imageConfig } from '../../conformance/content.ts';
import { hostileRequest, type Targets } from '../../torture/hostile-requests.ts';
import { runHostile } from '../../torture/hostile.ts';
import { childEnv } from '../helpers/tools.ts';

const targets: Targets = {
  names: ['hostile/seed'],
  tags: ['latest'],
  digests: [`sha256:${'a'.repeat(64)}`],
  sessions: ['/v2/hostile/seed/blobs/uploads/0f0e'],
  config: imageConfig('test'),
  layer: content('test layer'),
};

t.test('the generator: same seed, same bytes; every kind of hostility appears', async (t) => {
  t.same(hostileRequest(42, 7, targets).bytes, hostileRequest(42, 7, targets).bytes, 'request 7 of seed 42 is always the same');
  t.notSame(hostileRequest(42, 7, targets).bytes, hostileRequest(43, 7, targets).bytes, 'another seed, another request');
  const labels = new Set<string>();
  for (let i = 0; i < 3000; i++) for (const label of hostileRequest(1, i, targets).label.split(' ')) labels.add(label);
  for (const kind of ['route', 'bad', 'absolute', 'overlong', 'percent', 'raw', 'bad-name', 'bad-ref', 'odd-method', 'odd-version', 'many-headers', 'huge-header', 'bad-header', 'bare-lf',
    'body-manifest', 'body-garbage', 'body-truncated', 'body-latin1', 'body-nested', 'body-types', 'body-huge', 'body-index', 'body-chunk',
    'framing-length', 'framing-chunked', 'framing-lie', 'framing-badLength', 'framing-te', 'framing-both', 'framing-none']) {
    t.ok(labels.has(kind), `${kind} among 3,000 requests`);
  }
});

t.test('5,000 hostile requests: no 5xx, the registry survives', async (t) => {
  const { figures, line, samples } = await runHostile({ requests: 5_000, connections: 16, seed: 5, env: childEnv() });
  t.comment(line);
  t.equal(Object.values(figures.answers).reduce((a, b) => a + b, 0) + figures.closedAfterFramed + figures.closedAfterHalfClose + figures.timedOut, 5_000, 'every request accounted for');
  t.ok((figures.answers['4xx'] ?? 0) > 2_500, 'most hostile requests answered 4xx');
  t.ok((figures.answers['2xx'] ?? 0) > 0, 'valid requests mixed in reach the handlers');
  t.equal(figures.alive, true, 'the registry process is alive');
  t.equal(figures.baseStatus, 200, 'GET /v2/ answers 200 afterwards');
  t.equal(figures.fiveXx, 0, '5xx answers', { samples: samples.slice(0, 5) });
});
