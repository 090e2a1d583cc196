/**
 * Test helpers for the scripted checks: a CheckContext against a URL, running checks by id, and
 * running them through a tampering proxy in front of a fresh reference registry, which turns the
 * reference into a misbehaving one so a test can prove a check fails, warns or skips.
 */
import type { Test } from 'tap';
import { RegistryClient } from '../../conformance/client/registry-client.ts';
import { CheckContext } from '../../conformance/checks/context.ts';
import { runCheck } from '../../conformance/checks/runner.ts';
import { defaultRunConfig, type RunConfig } from '../../conformance/config.ts';
import type { Check } from '../../conformance/checks/types.ts';
import type { Result } from '../../conformance/report/types.ts';
import type { RegistryOptions } from '../../reference/registry.ts';
import { startTestRegistry } from './registry.ts';
import { startTamperProxy, type TamperHook } from './tamper-proxy.ts';

export function checkContext(t: Pick<Test, 'teardown'>, url: string, overrides: Partial<RunConfig> = {}): CheckContext {
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  return new CheckContext(client, defaultRunConfig(url, overrides), new Set());
}

export function findCheck(checks: readonly Check[], id: string): Check {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

/** Runs the checks `ids` (all of `checks` when omitted) one after another in one context. */
export async function runChecks(t: Test, url: string, checks: readonly Check[], ids: readonly string[] = checks.map((c) => c.id), config: Partial<RunConfig> = {}): Promise<Map<string, Result>> {
  const ctx = checkContext(t, url, config);
  const results = new Map<string, Result>();
  for (const id of ids) results.set(id, await runCheck(findCheck(checks, id), ctx));
  return results;
}

export interface TamperOptions {
  readonly registry?: Partial<RegistryOptions>;
  readonly config?: Partial<RunConfig>;
}

/** Runs the checks `ids` through a proxy with `hook` in front of a fresh reference registry. */
export async function tampered(t: Test, hook: TamperHook, checks: readonly Check[], ids: readonly string[], options: TamperOptions = {}): Promise<Map<string, Result>> {
  const registry = await startTestRegistry(t, options.registry);
  const proxy = await startTamperProxy(t, registry.url, hook);
  return runChecks(t, proxy.url, checks, ids, options.config);
}

/** "status: message" of one result, for assertion messages. */
export function describeResult(results: ReadonlyMap<string, Result>, id: string): string {
  const result = results.get(id);
  return result ? `${result.status}${result.message ? `: ${result.message}` : ''}` : 'missing';
}
