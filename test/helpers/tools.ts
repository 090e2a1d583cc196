/**
 * Real external tools for the interop tests (skopeo, oci-image-tool, umoci): a check that a tool is
 * installed that FAILS the test when it is not (CI installs the Debian packages, so a missing tool
 * is a broken machine, never a reason to skip), and a runner with a bounded timeout that never
 * throws and reports stdout, stderr and the exit code.
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { dir } from 'tmp-promise';
import type { Test } from 'tap';

/** The absolute path of an executable named `name` on PATH, or undefined. */
export async function findOnPath(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const directory of path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The environment for a child Node process of a test: tap's processinfo still follows it, but
 * with coverage off. A child runs the sources through tsx, whose transform differs from tap's:
 * merged into the report, its coverage would overwrite the test process's own for the same files.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...extra };
}

export function missingToolMessage(name: string, aptPackage: string): string {
  return `missing ${name}: install it with: apt-get install -y ${aptPackage}`;
}

/**
 * Checks that `name` is on PATH. When it is not, the test FAILS with
 * "missing <name>: install it with: apt-get install -y <aptPackage>" and this returns false: the
 * caller stops there (`if (!(await requireTool(t, …))) return;`). Never a silent skip.
 */
export async function requireTool(t: { fail(message: string): unknown }, name: string, aptPackage: string, path?: string): Promise<boolean> {
  if ((await findOnPath(name, path)) !== undefined) return true;
  t.fail(missingToolMessage(name, aptPackage));
  return false;
}

export interface RunOptions {
  /** Kill the command (SIGKILL) after this long. Default 60 s. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Added to (not replacing) the current environment. */
  readonly env?: Record<string, string>;
  /** Bytes of stdout or stderr kept before the command is killed. Default 16 MiB. */
  readonly maxBuffer?: number;
}

export interface RunResult {
  /** The command line, for messages. */
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when the command was killed by a signal or could not start. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Why the command could not start (e.g. ENOENT), if it could not. */
  readonly spawnError?: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** Runs `file args` without a shell; resolves (never rejects) once it exits or its timeout kills it. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const command = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        cwd: options.cwd,
        env: childEnv(options.env),
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ command, stdout, stderr, code: 0, signal: null, timedOut: false });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null; killed?: boolean };
        const code = typeof failure.code === 'number' ? failure.code : null;
        const signal = failure.signal ?? null;
        const timedOut = failure.killed === true && signal === 'SIGKILL' && Date.now() - started >= timeoutMs;
        resolve({
          command,
          stdout,
          stderr,
          code,
          signal,
          timedOut,
          ...(typeof failure.code === 'string' ? { spawnError: `${failure.code}: ${failure.message}` } : {}),
        });
      },
    );
  });
}

/** A temp directory removed (with its contents) when the test ends. */
export async function tempDir(t: Pick<Test, 'teardown'>, prefix = 'touchstone-interop-'): Promise<string> {
  const tmp = await dir({ unsafeCleanup: true, prefix });
  t.teardown(() => tmp.cleanup());
  return tmp.path;
}

/**
 * Asserts that a run exited 0; on failure the command, exit status, stdout and stderr are in the
 * failure's diagnostics. Returns whether it succeeded.
 */
export function assertSucceeded(t: Pick<Test, 'equal'>, result: RunResult, what: string): boolean {
  const status = result.timedOut ? 'timed out' : result.spawnError ?? (result.code !== null ? `exit ${result.code}` : `killed by ${result.signal}`);
  return t.equal(result.code, 0, what, { command: result.command, status, stdout: result.stdout, stderr: result.stderr });
}

export interface Skopeo {
  /** Runs `skopeo <global flags> args…` (bounded by a timeout) in an isolated configuration. */
  (args: readonly string[], options?: { timeoutMs?: number }): Promise<RunResult>;
}

export const SKOPEO_TIMEOUT_MS = 120_000;

/**
 * A skopeo runner isolated from the machine's configuration: no trust policy
 * (--insecure-policy), an empty registries.conf and registries.d, an auth file that does not
 * exist, temp files in a per-test directory. (skopeo, as root, still keeps its blob-info cache in
 * /var/lib/containers/cache: that cache is what makes it try cross-repository mounts.)
 */
export async function createSkopeo(t: Pick<Test, 'teardown'>): Promise<Skopeo> {
  const base = await tempDir(t, 'touchstone-skopeo-');
  const registriesD = join(base, 'registries.d');
  const tmp = join(base, 'tmp');
  const registriesConf = join(base, 'registries.conf');
  await mkdir(registriesD);
  await mkdir(tmp);
  await writeFile(registriesConf, '# empty: every reference in the tests is fully qualified\n');
  const env = {
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    REGISTRY_AUTH_FILE: join(base, 'auth.json'),
    TMPDIR: tmp,
  };
  return (args, options = {}) => {
    const timeoutMs = options.timeoutMs ?? SKOPEO_TIMEOUT_MS;
    const global = ['--insecure-policy', '--registries.d', registriesD, '--tmpdir', tmp, '--command-timeout', `${Math.max(1, Math.floor(timeoutMs / 1000) - 5)}s`];
    return run('skopeo', [...global, ...args], { timeoutMs, env });
  };
}

export interface Podman {
  /** Runs `podman <isolated storage flags> args…` (bounded by a timeout). */
  (args: readonly string[], options?: { timeoutMs?: number }): Promise<RunResult>;
}

/**
 * A podman runner for pull and push only, isolated from the machine: the vfs storage driver
 * (no overlay on these machines) under a per-test root and runroot, an empty registries.conf and
 * an empty auth file (podman, unlike skopeo, refuses one that does not exist). Containers cannot
 * run here; images can be pulled and pushed.
 */
export async function createPodman(t: Pick<Test, 'teardown'>): Promise<Podman> {
  const base = await tempDir(t, 'touchstone-podman-');
  const registriesConf = join(base, 'registries.conf');
  await writeFile(registriesConf, 'unqualified-search-registries = []\n');
  await mkdir(join(base, 'tmp'));
  await writeFile(join(base, 'auth.json'), '{}\n');
  const env = { CONTAINERS_REGISTRIES_CONF: registriesConf, REGISTRY_AUTH_FILE: join(base, 'auth.json'), TMPDIR: join(base, 'tmp') };
  const storage = ['--storage-driver', 'vfs', '--root', join(base, 'root'), '--runroot', join(base, 'run')];
  return (args, options = {}) => run('podman', [...storage, ...args], { timeoutMs: options.timeoutMs ?? SKOPEO_TIMEOUT_MS, env });
}
