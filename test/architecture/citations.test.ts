/**
 * Checks, reports and documents cite the spec or a document in this repository, never a file the
 * user does not have. Scans the sources and documents (SCANNED), and the check and property
 * definitions as the suite builds them (their spec references and titles), and fails on:
 * - "spec-notes" or "DEVELOPERS.md" (private notes that never ship);
 * - a cited repository path (docs/…, conformance/…, scripts/…, README.md, a relative link in a
 *   Markdown document) that does not exist;
 * - a docs/x.md#anchor whose heading does not exist (anchors as GitHub makes them);
 * - an obsolete HTTP RFC (7230-7235, replaced by RFC 9110, 9111 and 9112 in 2022).
 * reference/ is the lead's to move (the fault catalog is leaving it): add it to SCANNED once its
 * citations are the repository's own.
 */
import t from 'tap';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { ALL_CHECKS } from '../../conformance/checks/index.ts';
import { PROPERTIES } from '../../conformance/model/commands/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SELF = relative(ROOT, import.meta.filename);

/** Files and directories scanned, relative to the repository root. */
const SCANNED = ['reference', 'README.md', 'docs', 'conformance', 'cli', 'scripts', 'bin', 'spec', 'test', '.ci/run', 'package.json'];

/** Top-level entries a cited path may start with. */
const ROOTS = ['docs', 'conformance', 'cli', 'scripts', 'reference', 'spec', 'test', 'fixtures', 'bin', '.ci'];

const TEXT = /\.(ts|js|md|sh|json)$|^\.ci\/run$/;

/** HTTP/1.1 RFCs that RFC 9110, 9111 and 9112 obsoleted: cite those instead. */
const OBSOLETE_RFC = /\bRFC ?723[0-5]\b/i;

/** Forbidden names, built so this file does not contain them. */
const PRIVATE = [['spec', 'notes'].join('-'), ['DEVELOPERS', 'md'].join('.')];

async function files(path: string): Promise<string[]> {
  const absolute = join(ROOT, path);
  if (!(await stat(absolute)).isDirectory()) return [path];
  const found: string[] = [];
  for (const entry of await readdir(absolute, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.tap')) continue;
    found.push(...(await files(join(path, entry.name))));
  }
  return found.filter((file) => TEXT.test(file));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

const anchorCache = new Map<string, Set<string>>();
async function anchors(file: string): Promise<Set<string>> {
  let found = anchorCache.get(file);
  if (found === undefined) {
    const text = await readFile(file, 'utf8');
    found = new Set([...text.matchAll(/^#{1,6} +(.+?) *#*$/gm)].map((m) => anchorOf(m[1] ?? '')));
    anchorCache.set(file, found);
  }
  return found;
}

interface Citation {
  /** The path as written (repository-relative or relative to a Markdown document). */
  readonly path: string;
  readonly anchor: string | undefined;
  /** The file it resolves to. */
  readonly target: string;
}

/**
 * Repository paths a text cites: a file (with an extension) or a folder (ending in /) under a
 * known top-level folder, or a root Markdown file, with an optional #anchor. Names without either
 * (repository names in tests, "cli/repo") are data, not citations.
 */
function citations(text: string, from: string): Citation[] {
  const found: Citation[] = [];
  const roots = ROOTS.map((r) => r.replace('.', '\\.')).join('|');
  const path = new RegExp(`(?<![\\w./@-])((?:${roots})/(?:[\\w./-]*\\.[A-Za-z]\\w*|(?:[\\w.-]+/)*)|[A-Z][A-Z0-9_-]*\\.md)(#[\\w-]+)?(?![\\w/-])`, 'g');
  for (const m of text.matchAll(path)) {
    if (!PRIVATE.includes(m[1] ?? '')) found.push({ path: m[1] ?? '', anchor: m[2]?.slice(1), target: join(ROOT, m[1] ?? '') });
  }
  if (from.endsWith('.md')) {
    // Markdown links relative to the document: [text](gc.md#grace-period), [text](#anchor).
    for (const m of text.matchAll(/\]\(([^)#\s:]*)(#[^)\s]+)?\)/g)) {
      const target = m[1] === '' ? join(ROOT, from) : join(ROOT, dirname(from), m[1] ?? '');
      found.push({ path: m[1] || from, anchor: m[2]?.slice(1), target });
    }
  }
  return found;
}

async function problems(text: string, where: string, from: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of PRIVATE) if (text.toLowerCase().includes(name.toLowerCase())) found.push(`${where}: cites ${name}, which the user does not have`);
  const obsolete = OBSOLETE_RFC.exec(text)?.[0];
  if (obsolete !== undefined) found.push(`${where}: cites ${obsolete}, obsoleted by RFC 9110 (semantics), 9111 (caching) and 9112 (HTTP/1.1)`);
  for (const citation of citations(text, from)) {
    if (!(await exists(citation.target))) {
      found.push(`${where}: cites ${citation.path}, which is not in the repository`);
    } else if (citation.anchor !== undefined && !(await anchors(citation.target)).has(citation.anchor)) {
      found.push(`${where}: cites ${citation.path}#${citation.anchor}, but ${relative(ROOT, citation.target)} has no such heading`);
    }
  }
  return found;
}

t.test('sources and documents cite only what is in the repository', async (t) => {
  const scanned = (await Promise.all(SCANNED.map(files))).flat().filter((file) => file !== SELF);
  t.ok(scanned.length > 100, `${scanned.length} files scanned`);
  const found: string[] = [];
  for (const file of scanned) {
    const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
    for (const [i, line] of lines.entries()) found.push(...(await problems(line, `${file}:${i + 1}`, file)));
  }
  t.same(found, [], 'no private document, no missing path, no missing anchor');
});

t.test('every check and property cites only what is in the repository', async (t) => {
  const found: string[] = [];
  for (const definition of [...ALL_CHECKS, ...PROPERTIES]) {
    found.push(...(await problems(`${definition.title}\n${definition.spec}`, definition.id, 'conformance/')));
  }
  t.same(found, []);
});

t.test('the scanner finds what it is for', async (t) => {
  const bad = [
    `see ${PRIVATE[0]} §11`,
    `as ${PRIVATE[1]} says`,
    'docs/nowhere.md',
    'docs/gc.md#no-such-heading',
    'conformance/checks/nothing.ts',
    'see reference/nowhere/ for it',
    'CONTRIBUTING.md',
    'its absence accepts any type: RFC 7231 §5.3.2',
  ];
  for (const text of bad) t.not((await problems(text, 'sample', 'conformance/x.ts')).length, 0, `flags: ${text}`);
  t.not((await problems('[gone](missing.md) and [here](#nowhere)', 'sample', 'docs/gc.md')).length, 0, 'flags relative Markdown links');
  const good = [
    'docs/gc.md#grace-period',
    'docs/deviations.md#cncf-distribution-282',
    "docs/deviations.md#zots-early-storage-code",
    'conformance/checks/gc.ts, scripts/distribution.sh and README.md',
    'image-spec image-layout.md and distribution-spec/spec.md',
    "repositories 'cli/repo' and 'conformance/fresh1-1', folders reference/http/ and conformance/",
  ];
  for (const text of good) t.same(await problems(text, 'sample', 'conformance/x.ts'), [], `accepts: ${text}`);
  t.same(await problems('[clients](clients.md#streamed-patch), [here](#locking)', 'sample', 'docs/gc.md'), [], 'accepts relative links that resolve');
  const noAccept = ALL_CHECKS.find((check) => check.id === 'manifests.pull.no-accept');
  t.match(noAccept?.spec, /RFC 9110 §12\.5\.1/, 'the no-Accept rule cites RFC 9110 §12.5.1');
  t.equal(anchorOf("zot's early storage code"), 'zots-early-storage-code');
  t.equal(anchorOf('CNCF Distribution 2.8.2'), 'cncf-distribution-282');
});
