/**
 * The GC panel: before collecting, every manifest and blob of the store with what would happen
 * to it and why — the rule that keeps it and the chain back to what holds it (a tag, the policy,
 * its age), or why it would go — and the upload sessions that would expire. Then a collection
 * with the same options and clock, and per item what went, any difference from the plan marked.
 */
import { h, setChildren, getJson, postJson, bytes, failure, shortDigest, storeHref } from './dom.js';

let panel;
let state;

export function initGc(element, playState) {
  panel = element;
  state = playState;
  const grace = state.gc.graceSeconds;
  const untagged = h('input', { type: 'checkbox', id: 'gc-untagged', checked: state.gc.deleteUntagged });
  const advance = h('input', { type: 'number', id: 'gc-advance', min: '0', step: '1', value: '0', inputmode: 'numeric' });
  setChildren(
    element,
    h('h2', {}, 'Garbage collection, explained'),
    h('p', {}, `The spec says nothing about garbage collection; it only requires that what a client can pull stays pullable. This registry keeps whatever a tag reaches (index children, configs, layers, subjects, referrers of what stays), and anything younger than its grace period of ${grace} s, which protects pushes still in progress. Explain first, then collect with the same options.`),
    h(
      'form',
      { class: 'gc-options', onsubmit: (event) => { event.preventDefault(); void explain(); } },
      h('label', {}, untagged, ' collect untagged manifests'),
      h('label', {}, 'as if ', advance, ' seconds had passed'),
      h('button', { type: 'button', onclick: () => { advance.value = String(grace + 60); } }, `past the grace period (${grace + 60} s)`),
      h('button', { type: 'button', onclick: () => { advance.value = '0'; } }, 'now'),
      h('button', { type: 'submit', id: 'gc-explain', class: 'primary' }, 'Explain'),
      h('button', { type: 'button', id: 'gc-run', onclick: () => void collect() }, 'Run GC with these options'),
    ),
    h('div', { id: 'gc-result', 'aria-live': 'polite' }),
  );
}

function options() {
  return { advanceSeconds: Number(panel.querySelector('#gc-advance').value || '0'), deleteUntagged: panel.querySelector('#gc-untagged').checked };
}

async function explain() {
  const target = panel.querySelector('#gc-result');
  const { advanceSeconds, deleteUntagged } = options();
  try {
    const plan = await getJson(`/_play/api/gc/explain?advance=${advanceSeconds}&untagged=${deleteUntagged ? 1 : 0}`);
    setChildren(target, summary(plan.items, 'would'), itemsTable(plan.items), uploads(plan.uploads));
  } catch (error) {
    setChildren(target, failure(error));
  }
}

async function collect() {
  const target = panel.querySelector('#gc-result');
  try {
    const outcome = await postJson('/_play/api/gc/run', options());
    const surprises = outcome.items.filter((item) => !item.asPlanned);
    const r = outcome.report;
    setChildren(
      target,
      h('p', { class: surprises.length + outcome.unplanned.length === 0 ? 'verdict ok' : 'verdict bad', role: 'status', id: 'gc-verdict' }, surprises.length + outcome.unplanned.length === 0 ? `✓ GC did what the plan said: ${r.manifestsRemoved.length} manifests and ${r.blobsRemoved.length} blob files removed (${bytes(r.bytesFreed)}), ${r.uploadsRemoved} upload sessions expired.` : `✗ GC did not do what the plan said: ${surprises.length} items differ, ${outcome.unplanned.length} removed without being planned. A GC fault is switched on?`),
      summary(outcome.items, 'did'),
      itemsTable(outcome.items, true),
      outcome.unplanned.length > 0 ? h('p', { class: 'error' }, `Removed though not in the plan: ${outcome.unplanned.join(', ')}`) : null,
    );
  } catch (error) {
    setChildren(target, failure(error));
  }
}

function summary(items, tense) {
  const keep = items.filter((i) => i.keep).length;
  return h('p', { id: 'gc-summary' }, `${items.length} items in ${new Set(items.map((i) => i.repository)).size} repositories: ${keep} ${tense === 'would' ? 'would stay' : 'planned to stay'}, ${items.length - keep} ${tense === 'would' ? 'would go' : 'planned to go'}.`);
}

function chain(item) {
  if (!item.keep) return item.why;
  return item.chain.map((step, i) => [i ? ' ← ' : '', step.text, step.digest ? [' ', h('a', { href: storeHref(item.repository, step.digest), title: step.digest }, shortDigest(step.digest))] : '', step.after ?? '']);
}

function itemsTable(items, ran = false) {
  const head = ['repository', 'what', 'digest', 'size', 'plan', 'why', ...(ran ? ['what happened'] : [])];
  return h(
    'table',
    { class: 'gc-items', id: 'gc-items' },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          { class: `${item.keep ? 'keep' : 'go'} ${ran && !item.asPlanned ? 'mismatch' : ''}`, 'data-digest': item.digest, 'data-repository': item.repository },
          h('td', {}, item.repository),
          h('td', {}, item.kind),
          h('td', {}, h('a', { href: storeHref(item.repository, item.digest), title: item.digest }, shortDigest(item.digest))),
          h('td', { class: 'num' }, bytes(item.size)),
          h('td', { class: 'plan' }, item.keep ? 'stays' : 'goes'),
          h('td', {}, chain(item)),
          ran ? h('td', { class: 'happened' }, item.went ? 'went' : 'stayed', item.asPlanned ? '' : ' ✗ not as planned') : null,
        ),
      ),
    ),
  );
}

function uploads(list) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No upload sessions in progress.');
  return h('div', {}, h('h3', {}, 'Upload sessions'), h('ul', {}, list.map((u) => h('li', {}, h('code', {}, u.id), ` idle ${u.idleSeconds} s: ${u.goes ? 'would expire' : 'stays (younger than the grace period)'}`))));
}
