/**
 * The Store panel: repositories; for the one picked, its tags, manifests and blobs; a manifest as
 * formatted JSON whose digests (config, layers, children, subject, referrers) are links; a blob's
 * size, media type and role, with its content when it is JSON or text; and beside it the
 * repository's OCI image layout on disk, index.json exactly as stored. It refreshes itself when
 * the registry is written to, from this page or from outside.
 */
import { h, setChildren, getJson, bytes, failure, shortDigest, storeHref } from './dom.js';
import { bodyBlock } from './exchange.js';
import { jsonView } from './json-view.js';

/** An image's config media type stands in for its artifactType (spec §Listing Referrers); not worth showing. */
const IMAGE_CONFIGS = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

let panel;
let shown = { repo: undefined, digest: undefined };
let refreshTimer;

export function initStore(element) {
  panel = element;
  setChildren(
    element,
    h('nav', { class: 'repo-nav', 'aria-label': 'Repositories' }, h('h2', {}, 'Repositories'), h('ul', { id: 'repo-list' }), h('p', { class: 'muted', id: 'repo-empty' }, 'Nothing pushed yet.')),
    h('div', { class: 'repo-main', id: 'repo-main' }, h('p', { class: 'muted' }, 'Pick a repository.')),
    h('aside', { class: 'repo-disk', id: 'repo-disk', 'aria-label': 'On disk' }),
  );
  window.addEventListener('play:store', () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), 300);
  });
}

async function refresh() {
  if (!panel.closest('[hidden]')) await showStore(shown.repo, shown.digest, true);
}

export async function showStore(repo, digest, quiet = false) {
  shown = { repo, digest };
  try {
    const repositories = await getJson('/_play/api/store');
    setChildren(
      panel.querySelector('#repo-list'),
      repositories.map((r) => h('li', {}, h('a', { href: storeHref(r.name), 'aria-current': String(r.name === repo) }, h('strong', {}, r.name), h('span', { class: 'muted' }, ` ${r.tags} tags · ${r.manifests} manifests · ${r.blobs} blobs`)))),
    );
    panel.querySelector('#repo-empty').hidden = repositories.length > 0;
    if (repo === undefined) return;
    const view = await getJson(`/_play/api/store/repository?name=${encodeURIComponent(repo)}`);
    const detail = digest === undefined ? null : await itemView(view, digest);
    setChildren(panel.querySelector('#repo-main'), h('h2', {}, view.name), detail, tagsTable(view), manifestsTable(view), blobsTable(view));
    setChildren(panel.querySelector('#repo-disk'), diskView(view));
    if (detail && !quiet) detail.scrollIntoView({ block: 'start' });
  } catch (error) {
    setChildren(panel.querySelector('#repo-main'), failure(error));
  }
}

/** A manifest of the repository, else a blob. */
async function itemView(view, digest) {
  const isManifest = view.manifests.some((m) => m.digest === digest);
  const link = (d, known) => (known === undefined || known === 'missing' ? undefined : storeHref(view.name, d));
  if (isManifest) {
    const m = await getJson(`/_play/api/store/manifest?name=${encodeURIComponent(view.name)}&digest=${encodeURIComponent(digest)}`);
    let parsed;
    try {
      parsed = JSON.parse(m.text);
    } catch {
      parsed = undefined;
    }
    return h(
      'section',
      { class: 'item', 'aria-label': `manifest ${digest}` },
      h('h3', {}, 'Manifest ', h('code', { class: 'digest' }, digest)),
      h('p', {}, `${m.mediaType} · ${bytes(m.size)}`, m.tags.length ? ` · tags: ${m.tags.join(', ')}` : ' · untagged'),
      parsed === undefined ? h('pre', {}, m.text) : jsonView(parsed, (d) => link(d, m.digests[d])),
      h('p', { class: 'muted' }, 'Formatted for reading; the registry stores and serves the bytes exactly as pushed, and the digest is of those.'),
      h('h4', {}, `Referrers (${m.referrers.length})`),
      m.referrers.length === 0 ? h('p', { class: 'muted' }, 'Nothing refers to it.') : h('ul', {}, m.referrers.map((r) => h('li', {}, h('a', { href: storeHref(view.name, r.digest) }, shortDigest(r.digest)), r.artifactType ? ` ${r.artifactType}` : ''))),
    );
  }
  const blob = await getJson(`/_play/api/store/blob?name=${encodeURIComponent(view.name)}&digest=${encodeURIComponent(digest)}`);
  const inRepo = new Set([...view.manifests.map((m) => m.digest), ...view.blobs.map((b) => b.digest)]);
  return h(
    'section',
    { class: 'item', 'aria-label': `blob ${digest}` },
    h('h3', {}, 'Blob ', h('code', { class: 'digest' }, digest)),
    h('p', {}, bytes(blob.size), blob.roles.length === 0 ? ' · no manifest of this repository references it' : ''),
    blob.roles.length > 0 ? h('ul', {}, blob.roles.map((r) => h('li', {}, `${r.role} of `, h('a', { href: storeHref(view.name, r.of) }, shortDigest(r.of)), r.mediaType ? ` as ${r.mediaType}` : ''))) : null,
    bodyBlock(blob.content, (d) => (inRepo.has(d) ? storeHref(view.name, d) : undefined)),
  );
}

function digestLink(repo, digest) {
  return h('a', { href: storeHref(repo, digest), class: 'digest', title: digest }, shortDigest(digest));
}

function table(caption, head, rows) {
  return h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows));
}

function tagsTable(view) {
  if (view.tags.length === 0) return h('p', { class: 'muted' }, 'No tags.');
  return table(`Tags (${view.tags.length})`, ['tag', 'manifest'], view.tags.map((t) => h('tr', {}, h('td', {}, h('code', {}, t.tag)), h('td', {}, digestLink(view.name, t.digest)))));
}

function manifestsTable(view) {
  if (view.manifests.length === 0) return h('p', { class: 'muted' }, 'No manifests.');
  return table(`Manifests (${view.manifests.length})`, ['digest', 'media type', 'size', 'tags', 'subject'], view.manifests.map((m) =>
    h('tr', {}, h('td', {}, digestLink(view.name, m.digest)), h('td', {}, m.mediaType, m.artifactType && !IMAGE_CONFIGS.includes(m.artifactType) ? h('div', { class: 'muted' }, `artifact: ${m.artifactType}`) : null), h('td', { class: 'num' }, bytes(m.size)), h('td', {}, m.tags.join(', ') || h('span', { class: 'muted' }, 'untagged')), h('td', {}, m.subject ? digestLink(view.name, m.subject) : '')),
  ));
}

function blobsTable(view) {
  if (view.blobs.length === 0) return h('p', { class: 'muted' }, 'No blobs.');
  return table(`Blobs on disk (${view.blobs.length})`, ['digest', 'size', 'what it is'], view.blobs.map((b) =>
    h('tr', {}, h('td', {}, digestLink(view.name, b.digest)), h('td', { class: 'num' }, bytes(b.size)), h('td', {}, b.manifest ? 'a manifest' : b.roles.length === 0 ? h('span', { class: 'muted' }, 'unreferenced') : b.roles.map((r, i) => [i ? '; ' : '', `${r.role} (${r.mediaType || 'no media type'})`]))),
  ));
}

function diskView(view) {
  return [
    h('h2', {}, 'On disk'),
    h('p', { class: 'muted' }, 'Each repository is an OCI image layout (image-spec image-layout.md): tags are index.json entries annotated org.opencontainers.image.ref.name.'),
    h('p', {}, h('code', { class: 'path' }, view.layout.dir)),
    h('pre', { class: 'tree' }, view.layout.files.map((f) => `${f.path}  ${bytes(f.size)}\n`)),
    h('h3', {}, 'index.json, as stored'),
    h('pre', { class: 'index-json' }, view.layout.indexJson),
  ];
}
