/**
 * The mount checks (conformance/checks/mounts.ts) against the reference registry — every one
 * passes with automatic content discovery on, and the discovery check is skipped with its reason
 * when it is off — and against the reference behind a tampering proxy that refuses to mount or
 * answers 201 without linking, to prove each check warns, fails or skips as it should.
 */
import t, { type Test } from 'tap';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { CheckContext } from '../../../conformance/checks/context.ts';
import { runCheck } from '../../../conformance/checks/runner.ts';
import mounts from '../../../conformance/checks/mounts.ts';
import { ALL_CAPABILITIES, type RunConfig } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { reply, startTamperProxy, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

function contextFor(t: Test, url: string): CheckContext {
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const config: RunConfig = {
    url,
    namespace: 'conformance',
    crossmountNamespace: 'crossmount',
    specVersion: 'main',
    capabilities: ALL_CAPABILITIES,
    only: [],
    skip: [],
    gc: { trigger: undefined, graceMs: 0, expectReclaims: false, reclaimsUntagged: false },
    property: undefined,
    username: undefined,
    password: undefined,
    cleanup: false,
    runId: 'run1',
  };
  return new CheckContext(client, config, new Set());
}

function check(id: string) {
  const found = mounts.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

async function runAll(t: Test, url: string, ids: readonly string[]): Promise<Map<string, Result>> {
  const ctx = contextFor(t, url);
  const results = new Map<string, Result>();
  for (const id of ids) results.set(id, await runCheck(check(id), ctx));
  return results;
}

async function tampered(t: Test, hook: TamperHook, ids: readonly string[]): Promise<Map<string, Result>> {
  const registry = await startTestRegistry(t, { autoMount: true });
  const proxy = await startTamperProxy(t, registry.url, hook);
  return runAll(t, proxy.url, ids);
}

function describe(results: Map<string, Result>, id: string): string {
  const result = results.get(id);
  return result ? `${result.status}${result.message ? `: ${result.message}` : ''}` : 'missing';
}

const isMount = (request: TamperRequest): boolean => request.method === 'POST' && request.url.searchParams.has('mount');
const ALL = mounts.map((c) => c.id);

t.test('every mount check passes against the reference registry with automatic discovery', async (t) => {
  const registry = await startTestRegistry(t, { autoMount: true });
  t.ok(mounts.length >= 4, 'the mount checks are all there');
  const results = await runAll(t, registry.url, ALL);
  for (const c of mounts) {
    t.equal(results.get(c.id)?.status, 'pass', describe(results, c.id));
    t.match(c.id, /^blobs\.mount\.[a-z0-9-]+$/, 'id in the blobs.mount area');
  }
});

t.test('without automatic discovery the mount without from is skipped, with the reason', async (t) => {
  const registry = await startTestRegistry(t, { autoMount: false });
  const results = await runAll(t, registry.url, ALL);
  t.equal(results.get('blobs.mount.auto')?.status, 'skip');
  t.match(results.get('blobs.mount.auto')?.message, /does not discover blobs .*answered 202/);
  for (const id of ['blobs.mount.from', 'blobs.mount.from-served', 'blobs.mount.missing-source']) {
    t.equal(results.get(id)?.status, 'pass', describe(results, id));
  }
});

t.test('a registry that never mounts (202 sessions) warns on blobs.mount.from and skips blobs.mount.from-served', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!isMount(request)) return undefined;
    return forward({ path: request.url.pathname }); // a plain POST: an upload session
  }, ALL);
  t.equal(results.get('blobs.mount.from')?.status, 'warn', describe(results, 'blobs.mount.from'));
  t.match(results.get('blobs.mount.from')?.message, /did not mount .*answered 202/);
  t.equal(results.get('blobs.mount.from-served')?.status, 'skip');
  t.match(results.get('blobs.mount.from-served')?.message, /did not mount \(202/);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'pass', describe(results, 'blobs.mount.missing-source'));
  t.equal(results.get('blobs.mount.auto')?.status, 'skip');
});

t.test('a 202 to a mount without a usable session is reported', async (t) => {
  const results = await tampered(t, (request) => (isMount(request) ? reply(202) : undefined), ALL);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describe(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /202 without the Location of an upload session/);
  t.equal(results.get('blobs.mount.from')?.status, 'warn');
  t.match(results.get('blobs.mount.from')?.message, /202 without the Location/);
  t.equal(results.get('blobs.mount.from-served')?.status, 'fail', 'a 202 that is no session is not a fallback either');
});

t.test('a registry answering 201 to mounts without linking fails', async (t) => {
  const results = await tampered(t, (request) => {
    if (!isMount(request)) return undefined;
    return reply(201, { location: `${request.url.pathname.replace(/uploads\/$/, '')}${request.url.searchParams.get('mount')}` });
  }, ALL);
  t.equal(results.get('blobs.mount.from')?.status, 'pass', 'the status alone is right');
  t.equal(results.get('blobs.mount.from-served')?.status, 'fail', describe(results, 'blobs.mount.from-served'));
  t.match(results.get('blobs.mount.from-served')?.message, /expected status 200, got 404/);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describe(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /expected status 202, got 201/);
  t.equal(results.get('blobs.mount.auto')?.status, 'warn', describe(results, 'blobs.mount.auto'));
});

t.test('a mount that makes a missing blob appear in the target fails blobs.mount.missing-source', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'GET' && response.status === 404 && /\/blobs\/sha256:/.test(request.path)) return reply(200, {}, 'phantom');
    return response;
  }, ['blobs.mount.missing-source']);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describe(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /could not provide: expected status 404, got 200/);
});
