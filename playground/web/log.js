/**
 * The Live log panel: every request the registry receives — from this page, skopeo, curl, the
 * suite — newest first, as it happens (Server-Sent Events), with its spec endpoint id and section,
 * the client that sent it, status, time and sizes. A text filter and endpoint and status filters
 * narrow it; each entry opens to the full headers and bodies (binary shortened).
 */
import { h, setChildren, getJson, bytes, failure, storeHref } from './dom.js';
import { exchangeBlock, specHref, statusClass } from './exchange.js';

const SHOWN = 500;
let entries = [];
let list;
let filters;

export function initLog(element) {
  const text = h('input', { type: 'search', id: 'log-filter', placeholder: 'method, path, status, client…', 'aria-label': 'Filter the log' });
  const endpoint = h('select', { id: 'log-endpoint', 'aria-label': 'Endpoint' }, h('option', { value: '' }, 'every endpoint'));
  const status = h('select', { id: 'log-status', 'aria-label': 'Status' }, ['', '2', '3', '4', '5'].map((s) => h('option', { value: s }, s ? `${s}xx` : 'every status')));
  const source = h('select', { id: 'log-source', 'aria-label': 'Client' }, [['', 'every client'], ['page', 'this page'], ['outside', 'from outside']].map(([v, t]) => h('option', { value: v }, t)));
  filters = { text, endpoint, status, source };
  for (const control of Object.values(filters)) control.addEventListener('input', () => render());
  list = h('ol', { class: 'log', id: 'log-list', reversed: true });
  setChildren(element, h('div', { class: 'log-head' }, h('h2', {}, 'Live request log'), h('p', { class: 'muted' }, 'Every request the registry on this port receives, from this page or from outside. Open one for its headers and bodies.'), h('div', { class: 'filters' }, text, endpoint, status, source), h('p', { class: 'muted', id: 'log-count', 'aria-live': 'polite' })), list);
  window.addEventListener('play:history', (event) => {
    entries = event.detail.slice(-SHOWN);
    render();
  });
  window.addEventListener('play:request', (event) => {
    entries.push(event.detail);
    if (entries.length > SHOWN) entries.shift();
    if (matches(event.detail)) list.prepend(row(event.detail));
    count();
  });
}

function matches(entry) {
  const text = filters.text.value.trim().toLowerCase();
  if (filters.endpoint.value && entry.endpoint !== filters.endpoint.value) return false;
  if (filters.status.value && String(entry.status)[0] !== filters.status.value) return false;
  if (filters.source.value === 'page' && entry.client !== 'page') return false;
  if (filters.source.value === 'outside' && entry.client === 'page') return false;
  if (!text) return true;
  return [entry.method, entry.target, String(entry.status), entry.endpoint ?? '', entry.section ?? '', entry.client].join(' ').toLowerCase().includes(text);
}

function render() {
  const known = new Set([...filters.endpoint.options].map((o) => o.value));
  for (const id of [...new Set(entries.map((e) => e.endpoint).filter(Boolean))].sort()) {
    if (!known.has(id)) filters.endpoint.append(h('option', { value: id }, id));
  }
  setChildren(list, entries.filter(matches).reverse().map(row));
  count();
}

function count() {
  const shown = list.children.length;
  document.getElementById('log-count').textContent = `${shown} of ${entries.length} requests shown`;
}

function row(entry) {
  const time = new Date(entry.time).toLocaleTimeString([], { hour12: false });
  const details = h(
    'details',
    { class: 'entry', 'data-id': entry.id },
    h(
      'summary',
      {},
      h('span', { class: 'time' }, time),
      h('span', { class: `client ${entry.client === 'page' ? 'page' : 'outside'}` }, entry.client),
      h('span', { class: 'method' }, entry.method),
      h('code', { class: 'target' }, entry.target),
      h('span', { class: `status ${statusClass(entry.status)}` }, entry.complete ? String(entry.status) : `${entry.status} (cut)`),
      h('span', { class: 'endpoint' }, entry.endpoint ?? '—'),
      h('span', { class: 'section' }, entry.section ?? 'no endpoint of the spec'),
      h('span', { class: 'size' }, `${bytes(entry.requestSize)} ↑ ${bytes(entry.responseSize)} ↓ · ${Math.round(entry.ms)} ms`),
    ),
  );
  details.addEventListener('toggle', () => {
    if (details.open && details.children.length === 1) void expand(details, entry);
  });
  return h('li', {}, details);
}

async function expand(details, entry) {
  try {
    const d = await getJson(`/_play/api/log/entry?id=${entry.id}`);
    const link = entry.section && entry.anchor ? h('a', { href: specHref(entry.anchor), target: '_blank', rel: 'noopener' }, `§${entry.section}`) : entry.section ?? 'no endpoint of the spec';
    const wire = d.bytesIn === undefined ? '' : ` · on the wire: ${bytes(d.bytesIn)} in, ${bytes(d.bytesOut)} out`;
    details.append(
      h('p', { class: 'muted' }, entry.endpoint ? `${entry.endpoint} · ` : '', link, ` · from ${entry.client}${wire}`),
      exchangeBlock({ method: d.method, path: d.target, requestHeaders: d.requestHeaders, requestBody: d.requestBody, status: d.status, responseHeaders: d.responseHeaders, responseBody: d.responseBody }, (digest) => (d.repository ? storeHref(d.repository, digest) : undefined)),
    );
  } catch (error) {
    details.append(failure(error));
  }
}
