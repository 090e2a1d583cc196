/**
 * Every repository of the reference store is an OCI image layout (image-spec image-layout.md) in
 * <root>/repositories/<url-encoded name>/ (README "The reference registry"). This module checks
 * each one with the real validator, `oci-image-tool validate --type image DIR` (1.0.0-rc1 has no
 * `--type imageLayout`; `image` autodetects a layout and validates oci-layout, index.json and every
 * tagged manifest down to its blobs), and counts the temporary files (`.index.json.*.tmp`,
 * `.oci-layout.*.tmp`, any `.*.tmp`) left inside repositories. The validator is deterministic over
 * a directory's contents, so a directory whose files (names, sizes, mtimes) have not changed since
 * it last passed is not validated again.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

const VALIDATE_TIMEOUT_MS = 60_000;

export interface ValidationResult {
  readonly dir: string;
  readonly valid: boolean;
  readonly message: string;
}

function validate(dir: string): Promise<ValidationResult> {
  return new Promise((ok, fail) => {
    execFile('oci-image-tool', ['validate', '--type', 'image', dir], { timeout: VALIDATE_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        fail(new Error('missing oci-image-tool: install it with: apt-get install -y oci-image-tool'));
        return;
      }
      const output = `${stdout}${stderr}`;
      const message = (/msg="((?:[^"\\]|\\.)*)"/.exec(output)?.[1] ?? output.trim().split('\n').at(-1) ?? '').replaceAll('\\n', ' ').replaceAll(`${dir}: `, '').trim();
      ok({ dir, valid: error === null && /Validation succeeded/.test(stdout + stderr), message });
    });
  });
}

/** Every repository directory under the store's root, as paths. */
export async function repositoryDirs(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, 'repositories'))).map((name) => join(root, 'repositories', name)).sort();
  } catch {
    return [];
  }
}

async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path).catch(() => undefined);
    parts.push(`${relative(dir, path)} ${entry.isDirectory() ? 'd' : `${info?.size}:${info?.mtimeMs}`}`);
  }
  return parts.sort().join('\n');
}

/** Validates repository directories, skipping those unchanged since they last passed. */
export class LayoutValidator {
  readonly #passed = new Map<string, string>();

  /** Validates every repository directory under `root`, two at a time; the invalid ones. */
  async invalid(root: string): Promise<ValidationResult[]> {
    const dirs = await repositoryDirs(root);
    const failures: ValidationResult[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < dirs.length) {
        const dir = dirs[next++] as string;
        const print = await fingerprint(dir);
        if (this.#passed.get(dir) === print) continue;
        const result = await validate(dir);
        if (result.valid) this.#passed.set(dir, print);
        else failures.push(result);
      }
    };
    await Promise.all([worker(), worker()]);
    return failures.sort((a, b) => a.dir.localeCompare(b.dir));
  }
}

/** Temporary files (`.<name>.<id>.tmp`) inside repository directories, as paths relative to `root`. */
export async function strayTempFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of await repositoryDirs(root)) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile() && /^\..+\.tmp$/.test(entry.name)) found.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}
