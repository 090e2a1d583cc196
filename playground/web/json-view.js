/**
 * JSON formatted for reading, with every digest a link: `linkFor(digest)` gives the href of what
 * it names in the store (a manifest, a blob) or undefined, and then it stays text. Keys, strings,
 * numbers and literals get their own classes; nothing is inserted as markup.
 */
import { h } from './dom.js';

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function scalar(value, linkFor) {
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    const href = DIGEST.test(value) && linkFor ? linkFor(value) : undefined;
    return href ? h('a', { class: 'jstring digest', href }, text) : h('span', { class: 'jstring' }, text);
  }
  if (typeof value === 'number') return h('span', { class: 'jnumber' }, String(value));
  return h('span', { class: 'jliteral' }, String(value));
}

function render(value, indent, linkFor, out) {
  if (value === null || typeof value !== 'object') {
    out.push(scalar(value, linkFor));
    return;
  }
  const entries = Array.isArray(value) ? value.map((v) => [undefined, v]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    out.push(`${open}${close}`);
    return;
  }
  out.push(`${open}\n`);
  const pad = '  '.repeat(indent + 1);
  entries.forEach(([key, child], i) => {
    out.push(pad);
    if (key !== undefined) out.push(h('span', { class: 'jkey' }, JSON.stringify(key)), ': ');
    render(child, indent + 1, linkFor, out);
    out.push(i < entries.length - 1 ? ',\n' : '\n');
  });
  out.push(`${'  '.repeat(indent)}${close}`);
}

export function jsonView(value, linkFor) {
  const out = [];
  render(value, 0, linkFor, out);
  return h('pre', { class: 'json' }, out);
}
