/**
 * Restarting the target for persistence.restart: `--restart-command CMD` runs CMD through the
 * shell (bounded in time, `$TOUCHSTONE_URL` set), then waits — bounded in attempts and in time —
 * until GET /v2/ answers again with 200 or 401 (a registry that answers at all: the base check
 * holds it to the rest). A command that fails is the harness's problem (HarnessError, as for
 * --gc-command); a registry that does not answer again within the bound is RegistryDidNotRestart,
 * which the check reports as the registry's failure.
 */
import { exec } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './client/errors.ts';
import { RegistryClient } from './client/registry-client.ts';
import type { ClientTls } from './client/tls.ts';
import type { RestartTrigger } from './config.ts';

/** How long a restart command may run. */
export const RESTART_COMMAND_TIMEOUT_MS = 120_000;

/** How long, and how many times, the registry is asked for GET /v2/ after a restart. */
export interface RestartWait {
  readonly attempts: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export const RESTART_WAIT: RestartWait = { attempts: 300, intervalMs: 200, timeoutMs: 60_000 };

/** The registry did not answer GET /v2/ with 200 or 401 within the bound after a restart. */
export class RegistryDidNotRestart extends Error {
  override readonly name = 'RegistryDidNotRestart';
}

/**
 * Asks GET /v2/ (anonymously: 401 counts as answering) until it answers 200 or 401; returns the
 * number of attempts. Throws RegistryDidNotRestart with the last answer or error once the bound
 * of attempts or of time is spent.
 */
export async function waitForRegistry(client: RegistryClient, wait: RestartWait = RESTART_WAIT): Promise<number> {
  const deadline = Date.now() + wait.timeoutMs;
  let last = 'no answer';
  for (let attempt = 1; attempt <= wait.attempts; attempt += 1) {
    try {
      const reply = await client.request('GET', '/v2/', { auth: 'none' });
      if (reply.status === 200 || reply.status === 401) return attempt;
      last = `answered ${reply.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (attempt === wait.attempts || Date.now() + wait.intervalMs > deadline) {
      throw new RegistryDidNotRestart(`GET /v2/ did not answer 200 or 401 within ${attempt} attempts and ${Math.round(wait.timeoutMs / 1000)} s (last: ${last})`);
    }
    await sleep(wait.intervalMs);
  }
  throw new RegistryDidNotRestart(`GET /v2/ was never asked (${wait.attempts} attempts)`);
}

/** A shell command as the restart trigger (for Distribution: `scripts/distribution.sh restart DIR`). */
export function commandRestart(command: string, url: string, tls: ClientTls = {}, timeoutMs = RESTART_COMMAND_TIMEOUT_MS, wait: RestartWait = RESTART_WAIT): RestartTrigger {
  return {
    description: `command: ${command}`,
    async run() {
      await new Promise<void>((resolveRun, reject) => {
        exec(command, { timeout: timeoutMs, env: { ...process.env, TOUCHSTONE_URL: url } }, (error, _stdout, stderr) => {
          if (error) reject(new HarnessError(`--restart-command failed (${error.code ?? error.signal ?? 'error'}): ${stderr.trim().slice(0, 500)}`));
          else resolveRun();
        });
      });
      const client = new RegistryClient({ baseUrl: url, tls, timeoutMs: 5_000 });
      try {
        await waitForRegistry(client, wait);
      } finally {
        await client.close();
      }
    },
  };
}
