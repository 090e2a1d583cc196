/**
 * The Walkthroughs panel: pick a walkthrough, then go through its steps one request at a time.
 * Each step shows the request, editable (method, path, headers, a text body), sends it with fetch
 * to this same origin — the registry's /v2/ — and shows the response next to the spec sentences
 * that govern it and what to notice. Responses are judged against the statuses the spec allows
 * there (a fault switched on shows up as a deviation); an edited request is the person's own
 * experiment, its answer shown beside what the step as written expects. Back and Next move between steps, keeping
 * what each one got; Send again re-sends the edited request. Keyboard: after Send, focus moves to
 * Next; after Next, to Send: Enter, Enter, … walks a whole walkthrough.
 */
import { h, setChildren, getJson, bytes, failure, specText, storeHref } from './dom.js';
import { exchangeBlock, sentenceBlock, viewOfBytes } from './exchange.js';
import { bodyBytes, captureFrom, headerLines, parseHeaderLines, resolveRequest, sameRequest } from './template.js';

let run;
let panel;

export function initWalkthroughs(element, state) {
  panel = element;
  const list = h(
    'ul',
    { class: 'walk-list' },
    state.walkthroughs.map((w) => h('li', {}, h('a', { href: `#walkthroughs?id=${w.id}`, 'data-id': w.id }, h('strong', {}, w.title), h('span', {}, w.summary)))),
  );
  setChildren(element, h('nav', { class: 'walk-nav', 'aria-label': 'Walkthroughs' }, h('h2', {}, 'Walkthroughs'), list), h('div', { class: 'walk-main', id: 'walk-main' }, intro()));
}

function intro() {
  return h('div', { class: 'placeholder' }, h('h2', {}, 'Watch the protocol work'), h('p', {}, 'Pick a walkthrough on the left. Each step sends one real request to the reference registry on this port and shows what came back, with the sentence of the OCI Distribution Spec that governs it.'));
}

export async function showWalkthrough(id) {
  for (const link of panel.querySelectorAll('.walk-list a')) link.setAttribute('aria-current', String(link.dataset.id === id));
  const main = panel.querySelector('#walk-main');
  if (!id) {
    setChildren(main, intro());
    return;
  }
  if (run && run.view.id === id) return;
  try {
    const view = await getJson(`/_play/api/walkthrough?id=${encodeURIComponent(id)}`);
    run = { view, index: 0, vars: {}, results: [], edits: [], written: [] };
    render();
  } catch (error) {
    setChildren(main, failure(error));
  }
}

/** The request of step `i` as the editor shows it: the person's edits, else the template filled in. */
function currentRequest(i) {
  const step = run.view.steps[i];
  return run.edits[i] ?? resolveRequest(step.request, run.vars);
}

function render() {
  const main = panel.querySelector('#walk-main');
  const { view, index } = run;
  const step = view.steps[index];
  const result = run.results[index];
  const steps = h(
    'ol',
    { class: 'stepper', 'aria-label': 'Steps' },
    view.steps.map((s, i) => {
      const done = run.results[i];
      const outcome = done ? (done.ok ? 'ok' : done.edited ? 'edited' : 'bad') : '';
      const mark = { ok: '✓', edited: '✎', bad: '✗', '': '' }[outcome];
      return h('li', { class: `${i === index ? 'current' : ''} ${outcome}` }, h('button', { type: 'button', 'aria-current': i === index ? 'step' : false, onclick: () => go(i) }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark), `${i + 1}. ${s.title}`));
    }),
  );
  setChildren(
    main,
    h('header', { class: 'walk-head' }, h('h2', {}, view.title), h('p', {}, view.intro), h('p', { class: 'muted' }, 'Repositories: ', view.repositories.map((r, i) => [i ? ', ' : '', h('a', { href: storeHref(r) }, r)]))),
    steps,
    h('article', { class: 'step', 'aria-labelledby': 'step-title' }, h('h3', { id: 'step-title', tabindex: '-1' }, `Step ${index + 1} of ${view.steps.length}: ${step.title}`), h('div', { class: 'step-grid' }, h('div', { class: 'step-left' }, editor(step, index), h('div', { class: 'buttons' }, buttons(index)), h('div', { id: 'step-result', 'aria-live': 'polite' }, result ? resultBlock(step, result) : null)), h('aside', { class: 'step-right' }, h('h4', {}, 'The spec'), step.sentences.length > 0 ? step.sentences.map(sentenceBlock) : h('p', { class: 'muted' }, 'No sentence of the spec governs this request.'), h('h4', {}, 'What to notice'), h('p', { class: 'notice' }, specText(step.notice))))),
  );
}

function editor(step, index) {
  const request = currentRequest(index);
  const missing = request.missing ?? [];
  const body = step.request.body;
  let bodyField;
  if (body && body.base64 !== undefined) {
    const size = atob(body.base64).length;
    bodyField = h('p', { class: 'muted', id: 'req-body' }, `Binary body: ${bytes(size)} (a gzip'd tar), sent as is; not editable here.`);
  } else if (body && body.text !== undefined) {
    bodyField = h('label', {}, 'Body', h('textarea', { id: 'req-body', rows: Math.min(14, Math.max(2, (request.body?.text ?? body.text).split('\n').length + 1)), spellcheck: 'false' }, request.body?.text ?? body.text));
  } else {
    bodyField = h('p', { class: 'muted', id: 'req-body' }, 'No body.');
  }
  return h(
    'form',
    { class: 'editor', 'aria-label': 'Request', onsubmit: (event) => { event.preventDefault(); void send(); } },
    h('div', { class: 'line' }, h('label', {}, 'Method', h('select', { id: 'req-method' }, ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => h('option', { value: m, selected: m === request.method }, m)))), h('label', { class: 'grow' }, 'Path', h('input', { id: 'req-path', value: request.path, spellcheck: 'false', autocomplete: 'off' }))),
    h('label', {}, 'Headers (one "Name: value" per line; the browser adds Content-Length and its own)', h('textarea', { id: 'req-headers', rows: Math.max(2, Object.keys(request.headers).length + 1), spellcheck: 'false' }, headerLines(request.headers))),
    bodyField,
    missing.length > 0 ? h('p', { class: 'error', role: 'status' }, `Needs ${missing.map((m) => `{{${m}}}`).join(', ')} from an earlier step's response: send the earlier steps first.`) : null,
  );
}

function buttons(index) {
  const last = index === run.view.steps.length - 1;
  return [
    h('button', { type: 'button', id: 'step-back', disabled: index === 0, onclick: () => go(index - 1, 'step-send') }, '← Back'),
    h('button', { type: 'button', id: 'step-send', class: 'primary', onclick: () => void send() }, run.results[index] ? 'Send again' : 'Send'),
    h('button', { type: 'button', id: 'step-next', disabled: last, onclick: () => go(index + 1, 'step-send') }, 'Next →'),
    h('button', { type: 'button', id: 'step-restart', onclick: () => restart() }, 'Start over'),
  ];
}

function go(index, focus) {
  if (index < 0 || index >= run.view.steps.length) return;
  run.index = index;
  render();
  panel.querySelector(`#${focus ?? 'step-title'}`)?.focus();
}

async function restart() {
  const id = run.view.id;
  run = undefined;
  await showWalkthrough(id);
  panel.querySelector('#step-send')?.focus();
}

/** The editor's request, as edited. */
function edited(index) {
  const step = run.view.steps[index];
  const text = panel.querySelector('#req-body');
  const body = step.request.body?.base64 !== undefined ? step.request.body : text instanceof HTMLTextAreaElement ? { text: text.value } : undefined;
  return {
    method: panel.querySelector('#req-method').value,
    path: panel.querySelector('#req-path').value.trim(),
    headers: parseHeaderLines(panel.querySelector('#req-headers').value),
    body,
    missing: [],
  };
}

async function send() {
  const index = run.index;
  const step = run.view.steps[index];
  const target = panel.querySelector('#step-result');
  let request;
  try {
    request = edited(index);
  } catch (error) {
    setChildren(target, failure(error));
    return;
  }
  if (/\{\{[a-z-]+\}\}/i.test(request.path)) {
    setChildren(target, failure(new Error('The path still has a {{placeholder}}: send the earlier steps first, or write the URL in.')));
    return;
  }
  // The step as written, filled in when it was first sent (a re-send keeps its first session URL).
  const written = run.written[index] ?? resolveRequest(step.request, run.vars);
  run.written[index] = written;
  const edits = !sameRequest(request, written);
  run.edits[index] = request;
  const sendButton = panel.querySelector('#step-send');
  sendButton.disabled = true;
  setChildren(target, h('p', { class: 'muted' }, 'Sending…'));
  try {
    const payload = ['GET', 'HEAD'].includes(request.method) ? undefined : bodyBytes(request.body);
    const response = await fetch(request.path, { method: request.method, headers: request.headers, body: payload, cache: 'no-store', redirect: 'manual' });
    const data = new Uint8Array(await response.arrayBuffer());
    const sentBody = payload === undefined ? new Uint8Array() : typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    run.results[index] = {
      ok: step.expect.includes(response.status),
      edited: edits,
      exchange: {
        method: request.method,
        path: request.path,
        requestHeaders: request.headers,
        requestBody: viewOfBytes(sentBody),
        status: response.status,
        statusText: response.statusText,
        responseHeaders: [...response.headers.entries()],
        responseBody: viewOfBytes(data),
      },
    };
    run.vars = captureFrom(step.capture, (name) => response.headers.get(name), run.vars);
    // Later steps not edited yet take the new values.
    run.edits = run.edits.slice(0, index + 1);
    run.written = run.written.slice(0, index + 1);
  } catch (error) {
    run.results[index] = undefined;
    setChildren(target, failure(error));
    sendButton.disabled = false;
    return;
  }
  render();
  const next = panel.querySelector('#step-next');
  (next && !next.disabled ? next : panel.querySelector('#step-send'))?.focus();
}

function resultBlock(step, result) {
  const { exchange, ok } = result;
  const allowed = step.expect.join(' or ');
  let verdict;
  if (ok) verdict = h('p', { class: 'verdict ok', role: 'status' }, `✓ ${exchange.status}: what the spec allows here (${allowed}).`);
  else if (result.edited) verdict = h('p', { class: 'verdict edited', role: 'status' }, `✎ ${exchange.status} for your edited request; the step as written expects ${allowed}. The response says why.`);
  else verdict = h('p', { class: 'verdict bad', role: 'status' }, `✗ ${exchange.status}: the spec allows ${allowed} here. The registry deviates — is a fault switched on?`);
  const repository = run.view.repositories[0];
  return [verdict, exchangeBlock(exchange, (digest) => storeHref(repository, digest), `Step ${run.index + 1}: ${exchange.method} ${exchange.path} → ${exchange.status}`)];
}
