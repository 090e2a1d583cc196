/**
 * The Ledger's verdicts (torture/ledger.ts), which decide what counts as a lost write in the kills
 * and tags scenarios: a register may hold the value of a write no acknowledged write supersedes.
 */
import t from 'tap';
import { ABSENT, Ledger } from '../../torture/ledger.ts';

const tick = (): Promise<void> => new Promise((ok) => setTimeout(ok, 2));

t.test('sequential writes: only the last acknowledged value, or one in flight after it', async (t) => {
  const ledger = new Ledger();
  t.same([...ledger.allowed('k')], [ABSENT], 'a key never written is absent');
  const first = ledger.begin('k', 'a');
  ledger.acknowledge(first);
  await tick();
  const second = ledger.begin('k', 'b');
  ledger.acknowledge(second);
  await tick();
  t.same([...ledger.allowed('k')].sort(), ['b'], 'a write acknowledged before the next started is superseded');
  ledger.begin('k', 'c'); // in flight at the kill
  t.same([...ledger.allowed('k')].sort(), ['b', 'c'], 'a write never acknowledged may or may not have landed');
  t.equal(ledger.believed('k'), 'b');
  t.equal(ledger.acknowledged, 2);
});

t.test('overlapping writes: either may win; an acknowledged write started later wins', async (t) => {
  const ledger = new Ledger();
  const a = ledger.begin('tag', 'a');
  const b = ledger.begin('tag', 'b');
  ledger.acknowledge(b);
  ledger.acknowledge(a);
  t.same([...ledger.allowed('tag')].sort(), ['a', 'b'], 'concurrent: both are possible outcomes');
  await tick();
  const c = ledger.begin('tag', 'c');
  ledger.acknowledge(c);
  t.same([...ledger.allowed('tag')], ['c']);
});

t.test('settling starts the next round from what was seen; retracted writes never count', async (t) => {
  const ledger = new Ledger();
  ledger.acknowledge(ledger.begin('k', 'a'));
  ledger.settle('k', 'a');
  t.same(ledger.unsettled(), []);
  t.same([...ledger.allowed('k')], ['a'], 'nothing written since: the settled value');
  const noop = ledger.begin('k', ABSENT);
  ledger.retract('k', noop);
  t.same([...ledger.allowed('k')], ['a'], 'a DELETE answered 404 changed nothing');
  const unacknowledged = ledger.begin('k', ABSENT);
  t.same(ledger.unsettled(), ['k']);
  t.same([...ledger.allowed('k')].sort(), [ABSENT, 'a'].sort());
  ledger.acknowledge(unacknowledged);
  ledger.acknowledge(unacknowledged);
  t.equal(ledger.acknowledged, 2, 'an acknowledgement counts once');
  t.same([...ledger.allowed('k')], [ABSENT]);
});
