/**
 * The exchange that broke the rule reaches the result (Result.failingExchange, an index into its
 * exchanges) so the reports can mark it: a scripted check's CheckFailure names it, a property
 * counterexample's failing step names it, and it stays among the kept exchanges even when the
 * check made more requests after it than a result keeps. The JSON report carries it.
 */
import t from 'tap';
import { CheckFailure } from '../../../conformance/client/errors.ts';
import type { Exchange } from '../../../conformance/client/exchange.ts';
import { runCheck } from '../../../conformance/checks/runner.ts';
import type { Check } from '../../../conformance/checks/types.ts';
import { parseCheckArgs } from '../../../conformance/cli.ts';
import type { RunConfig } from '../../../conformance/config.ts';
import { toJson } from '../../../conformance/report/json.ts';
import { runSuite } from '../../../conformance/run.ts';
import { checkContext } from '../../helpers/checks.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { report, result } from '../../helpers/report.ts';

function check(id: string, run: Check['run']): Check {
  return { id, title: id, spec: '§Pulling manifests (end-3)', level: 'MUST', run };
}

t.test('a scripted check: the exchange its CheckFailure names is marked, even far back', async (t) => {
  const registry = await startTestRegistry(t);
  const ctx = checkContext(t, registry.url);
  let named: Exchange | undefined;
  const middle = await runCheck(check('manifests.pull.middle', async ({ client }) => {
    await client.request('GET', '/v2/');
    named = (await client.request('GET', '/v2/nosuch/manifests/latest')).exchange;
    await client.request('GET', '/v2/');
    throw new CheckFailure('expected 200', named);
  }), ctx);
  t.equal(middle.status, 'fail');
  t.equal(middle.exchanges?.length, 3);
  t.equal(middle.failingExchange, 1, 'the second of three');
  t.equal(middle.exchanges?.[1], named);

  const early = await runCheck(check('manifests.pull.early', async ({ client }) => {
    named = (await client.request('GET', '/v2/nosuch/manifests/first')).exchange;
    for (let i = 0; i < 50; i += 1) await client.request('GET', '/v2/');
    throw new CheckFailure('expected 200', named);
  }), ctx);
  t.equal(early.exchanges?.length, 40, 'still bounded');
  t.equal(early.exchanges?.[early.failingExchange ?? -1], named, 'the failing exchange kept though 50 came after it');

  const unnamed = await runCheck(check('manifests.pull.unnamed', async ({ client }) => {
    await client.request('GET', '/v2/');
    throw new CheckFailure('no single exchange to blame');
  }), ctx);
  t.equal(unnamed.status, 'fail');
  t.equal(unnamed.failingExchange, undefined, 'nothing named, nothing marked');
  t.equal(unnamed.exchanges?.length, 1);

  const broken = await runCheck(check('manifests.pull.broken', async ({ client }) => {
    await client.request('GET', '/v2/');
    throw new TypeError('a bug of the suite');
  }), ctx);
  t.equal(broken.status, 'error');
  t.equal(broken.failingExchange, undefined, 'a harness error blames no exchange');
});

t.test('a property counterexample: the exchange of its failing step is marked', async (t) => {
  const registry = await startTestRegistry(t, { faults: ['cancelled-upload-accepts-data'] });
  const parsed = parseCheckArgs(['--url', registry.url, '--only', 'property.blobs', '--seed', '3'], {});
  if (parsed === 'help') throw new Error('unexpected help');
  const config: RunConfig = { ...parsed.config, gc: { ...parsed.config.gc, trigger: undefined } };
  const [found] = (await runSuite(config)).results;
  t.equal(found?.status, 'fail', found?.message ?? 'no result');
  t.match(found?.message, /DELETE answered 204 but the session still accepts data/);
  const index = found?.failingExchange ?? -1;
  const exchanges = found?.exchanges ?? [];
  t.ok(index >= 1, `marked (${index} of ${exchanges.length})`);
  t.equal(exchanges[index]?.method, 'PATCH', 'the chunk the cancelled session took');
  t.ok(exchanges[index]?.status !== undefined && exchanges[index].status < 300, 'answered with success');
  t.equal(exchanges[index - 1]?.method, 'DELETE', 'right after the DELETE that cancelled it');
});

t.test('the JSON report carries the index', async (t) => {
  const failing = result({ id: 'manifests.pull.x', status: 'fail', exchanges: [], failingExchange: 0 });
  const parsed = JSON.parse(toJson(report([failing, result({ id: 'manifests.pull.y', status: 'fail' })]))) as { results: Array<Record<string, unknown>> };
  t.equal(parsed.results[0]?.failingExchange, 0);
  t.notOk('failingExchange' in (parsed.results[1] ?? {}), 'left out when there is none');
});
