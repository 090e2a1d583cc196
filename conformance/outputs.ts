/**
 * What the command line checks before a run, so a mistake costs a second, not a whole run:
 * - report paths: each file the run will write can be written — its parent chain holds no file,
 *   it is not an existing directory, and the directory it goes in accepts a new file (tried for
 *   real, with a probe file removed at once: permissions, read-only file systems and root's
 *   exemption from modes all give the true answer); two outputs never name the same file;
 * - the selection: every --only prefix matches some check or property, and the selection leaves
 *   something to run (a --skip matching nothing is only noted: it changes nothing).
 */
import { randomBytes } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ALL_CHECKS } from './checks/index.ts';
import { areaOf, selected } from './checks/runner.ts';
import { PROPERTIES } from './model/commands/index.ts';

export interface OutputPath {
  /** How the user named it: "--json", "OCI_REPORT_DIR (report.json)". */
  readonly label: string;
  readonly path: string;
}

async function kind(path: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    // ENOTDIR: a parent is a file; the walk up to the nearest existing ancestor says which.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/** Why `path` cannot be written, or undefined when it can. Creates nothing that stays. */
async function unwritable(path: string): Promise<string | undefined> {
  const existing = await kind(path);
  if (existing === 'directory') return 'it is a directory';
  if (existing === 'file') {
    try {
      await (await open(path, 'r+')).close();
      return undefined;
    } catch (error) {
      return `the file cannot be opened for writing (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
  }
  // The nearest ancestor that exists: the run creates the rest (mkdir -p) in it.
  let ancestor = dirname(path);
  for (;;) {
    const found = await kind(ancestor);
    if (found === 'file') return `${ancestor} is a file, not a directory`;
    if (found === 'directory' || dirname(ancestor) === ancestor) break;
    ancestor = dirname(ancestor);
  }
  const probe = resolve(ancestor, `.touchstone-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
    await unlink(probe);
    return undefined;
  } catch (error) {
    return `the directory ${ancestor} cannot be written to (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

/** The first problem with the outputs, as one line, or undefined when every one can be written. */
export async function outputProblem(outputs: readonly OutputPath[]): Promise<string | undefined> {
  const seen = new Map<string, string>();
  for (const { label, path } of outputs) {
    const absolute = resolve(path);
    const other = seen.get(absolute);
    if (other !== undefined) return `${other} and ${label} name the same file, ${absolute}`;
    seen.set(absolute, label);
    const why = await unwritable(absolute);
    if (why !== undefined) return `${label} ${absolute} cannot be written: ${why}`;
  }
  return undefined;
}

const IDS = [...ALL_CHECKS.map((check) => check.id), ...PROPERTIES.map((property) => property.id)];

/** The areas there are, for messages: "base, blobs, …, property (property.blobs, …)". */
function areas(): string {
  const scripted = [...new Set(ALL_CHECKS.map((check) => areaOf(check.id)))];
  return `${scripted.join(', ')}, property (${PROPERTIES.map((p) => p.id).join(', ')})`;
}

export interface Selection {
  /** A usage error: an --only prefix that matches nothing, or a selection with nothing to run. */
  readonly error: string | undefined;
  /** Worth saying: --skip prefixes that match nothing. */
  readonly notes: readonly string[];
}

export function checkSelection(only: readonly string[], skip: readonly string[], properties: boolean): Selection {
  const notes = skip.filter((prefix) => !IDS.some((id) => id.startsWith(prefix))).map((prefix) => `--skip ${prefix} matches no check and no property`);
  const unmatched = only.find((prefix) => !IDS.some((id) => id.startsWith(prefix)));
  if (unmatched !== undefined) return { error: `--only ${unmatched} matches no check and no property; the areas are ${areas()}`, notes };
  const runnable = [...ALL_CHECKS.map((check) => check.id), ...(properties ? PROPERTIES.map((p) => p.id) : [])];
  if (!runnable.some((id) => selected(id, only, skip))) {
    const flags = [...only.map((p) => `--only ${p}`), ...skip.map((p) => `--skip ${p}`)].join(' ');
    return { error: `the selection (${flags}) leaves no check and no property to run${properties ? '' : ' (--no-properties)'}; the areas are ${areas()}`, notes };
  }
  return { error: undefined, notes };
}
