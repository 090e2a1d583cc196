/**
 * The registry under torture, always a separate process, driven only from outside:
 * `touchstone serve --port 0 --root DIR --quiet [extra flags]` run as users run it (bin/touchstone.js), its URL read from
 * the "listening on URL" line it prints on stderr; stopped with SIGTERM (SIGKILL after a bounded
 * wait) or killed outright with SIGKILL; `touchstone scrub --root DIR` run on its store (exit 1
 * when anything is damaged). Every process started here is tracked by PID and killed if the harness
 * itself exits first, so nothing outlives a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** The command as users run it (`npx touchstone`): the registry's own memory settings apply. */
const BIN = resolve(ROOT, 'bin/touchstone.js');
/** Bytes of a child's stderr kept for messages. */
const STDERR_KEEP = 64 * 1024;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  /** Extra `serve` flags (e.g. `--gc-grace 60`). */
  readonly args?: readonly string[];
  /** The child's environment (tests pass one with coverage off); the harness's own by default. */
  readonly env?: NodeJS.ProcessEnv;
  readonly startTimeoutMs?: number;
}

export interface RegistryProcess {
  readonly url: string;
  readonly pid: number;
  readonly root: string;
  /** True until the process has exited. */
  alive(): boolean;
  /** What the process printed on stderr (the last 64 KiB). */
  stderr(): string;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM; SIGKILL when it has not exited within `timeoutMs`. True when SIGTERM sufficed. */
  stop(timeoutMs?: number): Promise<boolean>;
}

function track(child: ChildProcess): { exited: Promise<void>; stderr: () => string } {
  running.add(child);
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  void exited.then(() => running.delete(child));
  return { exited, stderr: () => text };
}

export async function startRegistry(root: string, options: StartOptions = {}): Promise<RegistryProcess> {
  const args = ['serve', '--port', '0', '--root', root, '--quiet', ...(options.args ?? [])];
  const child = spawn(BIN, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited, stderr } = track(child);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let url: string;
  try {
    url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`the registry did not start within ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
      const onData = (): void => {
        const match = /listening on (http:\/\/\S+)/.exec(stderr());
        if (match?.[1] === undefined) return;
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        ok(match[1]);
      };
      child.stderr?.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`the registry exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr().trim()}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const pid = child.pid as number;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    url,
    pid,
    root,
    alive,
    stderr,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(stopTimeoutMs = 10_000) {
      if (!alive()) return true;
      child.kill('SIGTERM');
      const timer = new Promise<'late'>((ok) => setTimeout(() => ok('late'), stopTimeoutMs).unref());
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'exited') return true;
      child.kill('SIGKILL');
      await exited;
      return false;
    },
  };
}

export interface ScrubResult {
  /** Exit code of `touchstone scrub` (0 clean, 1 damaged); null when it was killed. */
  readonly code: number | null;
  readonly output: string;
}

/** Runs `touchstone scrub --root DIR` to completion (bounded: SIGKILL after `timeoutMs`). */
export async function scrub(root: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<ScrubResult> {
  const child = spawn(BIN, ['scrub', '--root', root], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const { exited, stderr } = track(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
  return { code: child.exitCode, output: `${output}${stderr()}` };
}
