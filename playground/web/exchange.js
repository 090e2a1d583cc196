/**
 * How the page shows an exchange and the spec: a request (line, headers, body) and its response
 * (status, headers, body), bodies as formatted JSON with digest links, text, or — when binary —
 * their size and first bytes in hex; and a spec sentence with its section, endpoint ids, level,
 * a link to the spec, and the checks that cite it.
 */
import { h, bytes, specText } from './dom.js';
import { jsonView } from './json-view.js';

const HEX_BYTES = 64;
/** Where the spec is read: v1.1.1, and main for what came after (set from the server's state). */
const spec = { v1: '', main: '' };

export function setSpecUrls(urls) {
  Object.assign(spec, urls);
}

/** The address of a section of the spec. */
export function specHref(anchor, since) {
  return `${since === 'main' ? spec.main : spec.v1}#${anchor}`;
}

/** A body view (size, shown, kind, text) from bytes received in the page. */
export function viewOfBytes(data) {
  const size = data.byteLength;
  if (size === 0) return { size, shown: 0, kind: 'empty', text: '' };
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    text = undefined;
  }
  if (text === undefined || /[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    const head = [...data.subarray(0, HEX_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return { size, shown: Math.min(size, HEX_BYTES), kind: 'binary', text: head };
  }
  try {
    return { size, shown: size, kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { size, shown: size, kind: 'text', text };
  }
}

/** A body as the page shows it; `linkFor(digest)` makes digests in JSON links. */
export function bodyBlock(view, linkFor) {
  if (!view || view.kind === 'empty') return h('p', { class: 'muted' }, 'no body');
  if (view.kind === 'binary') {
    const note = view.text === '' ? `${bytes(view.size)} of binary, not kept` : `${bytes(view.size)} of binary; the first ${view.shown} bytes:`;
    return h('div', { class: 'body binary' }, h('p', { class: 'muted' }, note), view.text ? h('pre', {}, view.text) : null);
  }
  const cut = view.shown < view.size ? h('p', { class: 'muted' }, `the first ${bytes(view.shown)} of ${bytes(view.size)}`) : null;
  if (view.kind === 'json') {
    try {
      return h('div', { class: 'body' }, jsonView(JSON.parse(view.text), linkFor), cut);
    } catch {
      // fall through: shown as text
    }
  }
  return h('div', { class: 'body' }, h('pre', {}, view.text), cut);
}

function headerList(headers) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers ?? {});
  if (pairs.length === 0) return h('p', { class: 'muted' }, 'no headers');
  return h('pre', { class: 'headers' }, pairs.map(([name, value]) => [h('span', { class: 'hname' }, name), `: ${value}\n`]));
}

export function statusClass(status) {
  return status >= 500 ? 's5' : status >= 400 ? 's4' : status >= 300 ? 's3' : 's2';
}

/**
 * Request and response side by side. `exchange`: { method, path, requestHeaders, requestBody,
 * status, statusText?, responseHeaders, responseBody }, bodies as views.
 */
export function exchangeBlock(exchange, linkFor, label = '') {
  return h(
    'div',
    { class: 'exchange', 'aria-label': label || `${exchange.method} ${exchange.path}: ${exchange.status}` },
    h('section', { class: 'request' }, h('h4', {}, 'Request'), h('p', { class: 'line' }, h('strong', {}, exchange.method), ' ', h('code', {}, exchange.path)), headerList(exchange.requestHeaders), bodyBlock(exchange.requestBody, linkFor)),
    h(
      'section',
      { class: 'response' },
      h('h4', {}, 'Response'),
      h('p', { class: `line status ${statusClass(exchange.status)}` }, h('strong', {}, String(exchange.status)), exchange.statusText ? ` ${exchange.statusText}` : ''),
      headerList(exchange.responseHeaders),
      bodyBlock(exchange.responseBody, linkFor),
    ),
  );
}

/** One spec sentence: section, endpoints, level, the quote, what it shows, the checks behind it. */
export function sentenceBlock(sentence) {
  const endpoints = sentence.endpoints.length > 0 ? ` (${sentence.endpoints.join(', ')})` : '';
  return h(
    'figure',
    { class: `sentence level-${sentence.level.toLowerCase()}` },
    h('blockquote', { cite: specHref(sentence.anchor, sentence.since) }, h('p', {}, specText(sentence.text)), sentence.shows ? h('pre', {}, sentence.shows) : null),
    h(
      'figcaption',
      {},
      h('a', { href: specHref(sentence.anchor, sentence.since), target: '_blank', rel: 'noopener' }, `§${sentence.section}`),
      endpoints,
      ' · ',
      h('span', { class: 'level' }, sentence.level === 'NONE' ? 'no RFC 2119 keyword' : sentence.level),
      sentence.since === 'main' ? ' · spec main (after v1.1.1)' : '',
      sentence.checks && sentence.checks.length > 0 ? [' · checked by ', sentence.checks.map((id, i) => [i > 0 ? ', ' : '', h('code', {}, id)])] : '',
    ),
  );
}
