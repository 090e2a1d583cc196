/**
 * The page: a header (the registry's URL, the store, the faults switched on) and five panels
 * reached by links — Walkthroughs, Store, Live log, GC, Faults — whose address is in the URL
 * fragment (#store?repo=…&digest=…), so every digest link, Back and a bookmark work. Events from
 * the server (events.js) arrive as window events "play:<name>".
 */
import { h, getJson, failure } from './dom.js';
import { connectEvents } from './events.js';
import { setSpecUrls } from './exchange.js';
import { initWalkthroughs, showWalkthrough } from './walkthrough.js';
import { initStore, showStore } from './store.js';
import { initLog } from './log.js';
import { initGc } from './gc.js';
import { initLessons, showLessons } from './lessons.js';

const SECTIONS = ['walkthroughs', 'store', 'log', 'gc', 'faults'];

function route() {
  const hash = location.hash.slice(1);
  const [name, query = ''] = hash.split('?');
  const section = SECTIONS.includes(name) ? name : 'walkthroughs';
  const params = new URLSearchParams(query);
  for (const id of SECTIONS) document.getElementById(id).hidden = id !== section;
  for (const link of document.querySelectorAll('nav.sections a')) link.setAttribute('aria-current', link.getAttribute('href') === `#${section}` ? 'page' : 'false');
  if (section === 'walkthroughs') void showWalkthrough(params.get('id') ?? undefined);
  if (section === 'store') void showStore(params.get('repo') ?? undefined, params.get('digest') ?? undefined);
  if (section === 'faults') void showLessons();
}

function showFaults(active) {
  const banner = document.getElementById('fault-banner');
  banner.hidden = active.length === 0;
  banner.replaceChildren('Faults switched on: ', ...active.map((f, i) => [i ? ', ' : '', h('code', {}, f)]).flat(), ' — the registry deviates from the spec. ', h('a', { href: '#faults' }, 'Switch them off'));
}

async function start() {
  let state;
  try {
    state = await getJson('/_play/api/state');
  } catch (error) {
    document.querySelector('main').prepend(failure(error));
    return;
  }
  setSpecUrls(state.spec);
  document.getElementById('registry-url').textContent = state.url;
  document.getElementById('store-root').textContent = `${state.root}${state.temporary ? ' (temporary)' : ''}`;
  document.getElementById('skopeo-hint').textContent = `skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://${new URL(state.url).host}/outside/image:TAG`;
  initWalkthroughs(document.getElementById('walkthroughs'), state);
  initStore(document.getElementById('store'));
  initLog(document.getElementById('log'));
  initGc(document.getElementById('gc'), state);
  initLessons(document.getElementById('faults'));
  window.addEventListener('play:faults', (event) => showFaults(event.detail.active));
  window.addEventListener('hashchange', route);
  connectEvents();
  route();
  document.body.dataset.ready = 'true';
}

void start();
