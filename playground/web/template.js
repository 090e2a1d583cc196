/**
 * Walkthrough steps from template to request, shared by the page and the tests (so what the page
 * sends is what the tests run): `{{name}}` placeholders filled from the variables earlier steps
 * captured (an upload session's Location, the Link to the next page), a query appended to a URL
 * that already has one with "&" (spec: the <location> "MAY contain critical query parameters"),
 * headers as editable "Name: value" lines, binary bodies from base64.
 */

const PLACEHOLDER = /\{\{([a-z][a-z0-9-]*)\}\}/gi;

/** The names of the placeholders in `text`. */
function placeholders(text) {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]);
}

/** `text` with every known placeholder replaced; unknown ones stay. */
function fill(text, vars) {
  return text.replace(PLACEHOLDER, (whole, name) => (Object.hasOwn(vars, name) ? vars[name] : whole));
}

/** A URL whose query was appended after a placeholder that had its own: the second "?" becomes "&". */
export function joinQuery(path) {
  const first = path.indexOf('?');
  if (first === -1) return path;
  return path.slice(0, first + 1) + path.slice(first + 1).replaceAll('?', '&');
}

/** The request a step sends with these variables, and the placeholders still missing. */
export function resolveRequest(request, vars) {
  const texts = [request.path, ...Object.values(request.headers)];
  const missing = [...new Set(texts.flatMap(placeholders).filter((name) => !Object.hasOwn(vars, name)))];
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = fill(value, vars);
  return { method: request.method, path: joinQuery(fill(request.path, vars)), headers, body: request.body, missing };
}

/** The target of the Link header's rel="next" (RFC 8288), or undefined. */
export function nextLink(header) {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(^|;)\s*rel="?next"?\s*(;|$)/i.test(match[2])) return match[1];
  }
  return undefined;
}

/** `vars` plus what `capture` takes from the response (header names in lower case, or `link`). */
export function captureFrom(capture, header, vars) {
  const next = { ...vars };
  for (const [name, source] of Object.entries(capture ?? {})) {
    const value = source === 'link' ? nextLink(header('link')) : header(source);
    if (value !== undefined && value !== null && value !== '') next[name] = value;
  }
  return next;
}

export function headerLines(headers) {
  return Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\n');
}

/** "Name: value" lines back to an object; blank lines are skipped, a line without ":" is an error. */
export function parseHeaderLines(text) {
  const headers = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not a header line: ${line}`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Whether `request` (as the editor has it) is `written` (the step as written, filled in): same
 * method, path, headers (names in any case) and body. An edited request is the person's
 * experiment, not the walkthrough's, so the page does not judge its answer against the step's.
 */
export function sameRequest(request, written) {
  const lower = (headers) => JSON.stringify(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]).sort());
  const body = (b) => (b ? (b.text ?? `base64:${b.base64}`) : '');
  return request.method === written.method && request.path === written.path && lower(request.headers) === lower(written.headers) && body(request.body) === body(written.body);
}

/** What fetch sends for a step body: the text, or the bytes of a base64 body. */
export function bodyBytes(body) {
  if (!body) return undefined;
  if (body.text !== undefined) return body.text;
  const binary = atob(body.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
