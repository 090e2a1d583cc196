/**
 * One conformance run: a preflight GET /v2/ (a target that cannot be reached or does not answer
 * like a registry is a harness error, exit 2, never a list of registry failures: preflight.ts), every selected scripted check, then the property
 * layer, then cleanup of the manifests the run stored, where deletes are allowed.
 */
import { randomBytes } from 'node:crypto';
import { RegistryClient } from './client/registry-client.ts';
import { BrokenResponse, HarnessError } from './client/errors.ts';
import { ACCEPT_MANIFESTS } from './client/headers.ts';
import { preflight } from './preflight.ts';
import type { Exchange } from './client/exchange.ts';
import { CheckContext } from './checks/context.ts';
import { ALL_CHECKS } from './checks/index.ts';
import { isSelected, runCheck } from './checks/runner.ts';
import { runProperties, type PropertyProgress } from './model/property.ts';
import { PROPERTIES } from './model/commands/index.ts';
import { summarize, type Report, type Result } from './report/types.ts';
import type { RunConfig } from './config.ts';
import type { Check } from './checks/types.ts';

export interface RunHooks {
  readonly onResult?: (result: Result, done: number, total: number) => void;
  /** How the property running now is doing (model/property.ts). */
  readonly onProgress?: (progress: PropertyProgress) => void;
  readonly checks?: readonly Check[];
}

export function newRunId(): string {
  return `ts${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function runSuite(config: RunConfig, hooks: RunHooks = {}): Promise<Report> {
  const startedAt = new Date();
  const pushed = new Map<string, Set<string>>();
  const client = new RegistryClient({ baseUrl: config.url, username: config.username, password: config.password, onExchange: (e) => notePushedManifest(pushed, e) });
  const created = new Set<string>();
  const results: Result[] = [];
  try {
    await preflight(client, config.username !== undefined);
    const ctx = new CheckContext(client, config, created);
    const checks = (hooks.checks ?? ALL_CHECKS).filter((check) => isSelected(check, ctx));
    const selectedProperty = (id: string): boolean => isSelected({ id }, ctx);
    const total = checks.length + (config.property ? PROPERTIES.filter((p) => selectedProperty(p.id)).length : 0);
    for (const check of checks) {
      const result = await runCheck(check, ctx);
      results.push(result);
      hooks.onResult?.(result, results.length, total);
    }
    if (config.property) {
      const onResult = (result: Result): void => {
        results.push(result);
        hooks.onResult?.(result, results.length, total);
      };
      await runProperties(config, client, created, { selected: selectedProperty, onResult, onProgress: hooks.onProgress });
    }
    if (config.cleanup) await cleanup(client, config, created, pushed);
  } finally {
    await client.close();
  }
  return {
    tool: 'touchstone',
    target: config.url,
    specVersion: config.specVersion,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary: summarize(results),
    results,
  };
}

/** Records the digest of every manifest a PUT stored (201), by repository, for cleanup. */
function notePushedManifest(pushed: Map<string, Set<string>>, exchange: Exchange): void {
  if (exchange.method !== 'PUT' || exchange.status !== 201) return;
  const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(new URL(exchange.url).pathname);
  if (!match) return;
  const [, repo = '', reference = ''] = match;
  const digest = exchange.responseHeaders['docker-content-digest'] ?? (reference.includes(':') ? reference : undefined);
  if (digest === undefined) return;
  const digests = pushed.get(repo) ?? new Set<string>();
  digests.add(digest);
  pushed.set(repo, digests);
}

/**
 * Best effort, where manifest deletes are allowed: delete every manifest the run stored in the
 * repositories it created (by digest, which takes their tags along), and whatever tags still list.
 * Blobs are left to the registry's garbage collection.
 */
async function cleanup(client: RegistryClient, config: RunConfig, created: Set<string>, pushed: Map<string, Set<string>>): Promise<void> {
  if (!config.capabilities.manifestDeletes) return;
  for (const repo of created) {
    try {
      const digests = new Set(pushed.get(repo));
      const tags = (await client.request('GET', `/v2/${repo}/tags/list`)).json<{ tags?: string[] | null }>()?.tags ?? [];
      for (const tag of tags.slice(0, 1000)) {
        const digest = (await client.request('HEAD', `/v2/${repo}/manifests/${tag}`, { headers: ACCEPT_MANIFESTS })).header('docker-content-digest');
        if (digest !== undefined) digests.add(digest);
      }
      for (const digest of digests) await client.request('DELETE', `/v2/${repo}/manifests/${digest}`);
    } catch (error) {
      // Best effort: a registry that cannot be reached or breaks its answers off keeps what is left.
      if (!(error instanceof HarnessError) && !(error instanceof BrokenResponse)) throw error;
    }
  }
}
