/**
 * The page's small toolkit: building elements without innerHTML (every text from the registry is
 * data, never markup), JSON calls to the playground's API, and formatting of sizes, digests and
 * spec quotes.
 */

/** h('a', { href: '#x', class: 'y' }, 'text', child…): attributes starting with "on" are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function setChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${response.status} from ${path}`);
  return body;
}

export async function postJson(path, value) {
  const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${response.status} from ${path}`);
  return body;
}

export function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

export function shortDigest(digest) {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest : `${digest.slice(0, colon + 13)}…`;
}

/** Text with `code` spans, as the spec writes it. */
export function specText(text) {
  return text.split(/(`[^`]*`)/).map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? h('code', {}, part.slice(1, -1)) : part));
}

/** The address of a page view: "#section?key=value…". */
export function viewHref(section, params = {}) {
  const query = new URLSearchParams(params).toString();
  return `#${section}${query ? `?${query}` : ''}`;
}

export function storeHref(repository, digest) {
  return viewHref('store', digest ? { repo: repository, digest } : { repo: repository });
}

/** Shows an error where the panel's content would be. */
export function failure(error) {
  return h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));
}
