/**
 * The Faults panel: faults as lessons. Each fault of the catalog is a deviation a real registry
 * shipped; switch one on (the registry on this port changes at once, for every client), run the
 * checks that catch it, and see each failing check with the rule it holds the registry to and
 * the exchange that broke it; switch it off again and re-run to see them pass.
 */
import { h, setChildren, getJson, postJson, failure, specText } from './dom.js';
import { exchangeBlock, sentenceBlock } from './exchange.js';

let panel;
let lessons = [];

export function initLessons(element) {
  panel = element;
  setChildren(
    element,
    h('div', { class: 'lessons-head' }, h('h2', {}, 'Faults as lessons'), h('p', {}, 'Every fault below is a small deviation from the spec that a real registry shipped. Switching one on changes the registry on this port for every client — this page\'s walkthroughs, skopeo, curl. Run the checks that catch it to see which rule it breaks, and how.')),
    h('div', { class: 'lessons-grid' }, h('ul', { class: 'faults', id: 'fault-list', 'aria-label': 'Faults' }), h('section', { id: 'lesson-result', 'aria-live': 'polite', 'aria-label': 'Lesson' }, h('p', { class: 'muted' }, 'Run the checks of a fault to see the lesson here.'))),
  );
  // A lesson running (from this page or another one open on the playground): one at a time.
  window.addEventListener('play:lesson', (event) => {
    for (const button of panel.querySelectorAll('button[data-run]')) button.disabled = event.detail.running;
  });
  window.addEventListener('play:faults', (event) => {
    const active = new Set(event.detail.active);
    for (const input of panel.querySelectorAll('input[data-fault]')) input.checked = active.has(input.dataset.fault);
  });
}

export async function showLessons() {
  try {
    lessons = (await getJson('/_play/api/lessons')).lessons;
    setChildren(panel.querySelector('#fault-list'), lessons.map(faultRow));
  } catch (error) {
    setChildren(panel.querySelector('#fault-list'), failure(error));
  }
}

function faultRow(lesson) {
  const id = `fault-${lesson.fault}`;
  const toggle = h('input', { type: 'checkbox', role: 'switch', id, 'data-fault': lesson.fault, checked: lesson.active, onchange: (event) => void setFault(lesson.fault, event.target.checked) });
  const count = lesson.checks.length;
  const caught = count === 0 ? 'only the property layer catches it' : count === 1 ? 'one check catches it' : `${count} checks catch it`;
  return h(
    'li',
    { class: 'fault' },
    h('label', { for: id }, toggle, h('code', {}, lesson.fault)),
    h('p', {}, lesson.mirrors),
    h('p', { class: 'muted' }, caught, ' ', h('button', { type: 'button', 'data-run': lesson.fault, onclick: () => void run(lesson) }, lesson.checks.length > 0 ? 'Run its checks' : 'How to replay it')),
  );
}

async function setFault(fault, on) {
  try {
    await postJson('/_play/api/faults', { fault, on });
  } catch (error) {
    setChildren(panel.querySelector('#lesson-result'), failure(error));
  }
}

async function run(lesson) {
  const target = panel.querySelector('#lesson-result');
  if (lesson.checks.length === 0) {
    setChildren(target, h('h3', {}, lesson.fault), h('p', {}, 'No scripted check catches this one: it needs concurrent requests or a particular sequence, which the property layer finds. Replay its counterexample with:'), lesson.property.map((p) => h('pre', {}, p.replay)), h('p', { class: 'muted' }, 'against a registry started with ', h('code', {}, `touchstone serve --fault ${lesson.fault}`), ' (add --url to the command line).'));
    return;
  }
  const buttons = panel.querySelectorAll('button[data-run]');
  for (const button of buttons) button.disabled = true;
  setChildren(target, h('p', { class: 'muted' }, `Running ${lesson.checks.length} checks against the registry…`));
  try {
    const result = await postJson('/_play/api/lessons/run', { fault: lesson.fault });
    setChildren(target, lessonView(lesson, result));
  } catch (error) {
    setChildren(target, failure(error));
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

function lessonView(lesson, result) {
  const failed = result.results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'error');
  const state = result.activeDuringRun ? 'switched on' : 'switched off';
  const total = result.results.length === 1 ? 'the one check' : `${result.results.length} checks`;
  const headline = failed.length > 0
    ? `${failed.length === result.results.length ? `All of ${total}` : `${failed.length} of ${total}`} did not pass with ${lesson.fault} ${state}.`
    : `${total === 'the one check' ? 'The one check' : `All ${total}`} passed with ${lesson.fault} ${state}.`;
  return [
    h('h3', {}, lesson.fault),
    h('p', { class: failed.length > 0 ? 'verdict bad' : 'verdict ok', role: 'status', id: 'lesson-verdict' }, headline, result.activeDuringRun ? '' : ' Switch it on and run them again to see what it breaks.'),
    h('p', { class: 'muted' }, lesson.mirrors),
    lesson.checks.some((id) => id.startsWith('gc.')) ? h('p', { class: 'muted' }, 'The GC checks collected garbage over the whole store, some as if the grace period had passed: anything a walkthrough left unreferenced went too.') : null,
    h('ol', { class: 'results' }, [...failed, ...result.results.filter((r) => !failed.includes(r))].map(resultView)),
  ];
}

function resultView(r) {
  const failing = r.failing !== undefined ? r.exchanges[r.failing] : undefined;
  return h(
    'li',
    { class: `result s-${r.status}`, 'data-check': r.id },
    h('p', {}, h('span', { class: `badge s-${r.status}` }, r.status.toUpperCase()), ' ', h('code', {}, r.id), ` ${r.level} · ${r.title}`),
    r.message ? h('p', { class: 'message' }, r.message) : null,
    h('div', { class: 'rule' }, h('h4', {}, 'The rule'), h('p', { class: 'citation' }, specText(r.spec)), r.sentences.map(sentenceBlock)),
    failing ? h('div', { class: 'failing' }, h('h4', {}, 'The exchange that broke it'), exchangeBlock(failing, undefined, `the exchange that broke the rule: ${failing.method} ${failing.path} → ${failing.status}`)) : null,
    r.exchanges.length > 0 && r.status !== 'pass' ? h('details', {}, h('summary', {}, `All ${r.exchanges.length} exchanges of this check`), r.exchanges.map((e, i) => h('div', { class: i === r.failing ? 'marked' : '' }, exchangeBlock(e)))) : null,
  );
}
