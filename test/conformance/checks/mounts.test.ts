/**
 * The mount checks (conformance/checks/mounts.ts) against the reference registry — every one
 * passes with automatic content discovery on, and the discovery check is skipped with its reason
 * when it is off — and against the reference behind a tampering proxy that refuses to mount or
 * answers 201 without linking, to prove each check warns, fails or skips as it should.
 */
import t, { type Test } from 'tap';
import mounts from '../../../conformance/checks/mounts.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { describeResult, runChecks, tampered as tamperedChecks } from '../../helpers/checks.ts';
import { reply, type TamperHook, type TamperRequest } from '../../helpers/tamper-proxy.ts';

const tampered = (t: Test, hook: TamperHook, ids: readonly string[]) => tamperedChecks(t, hook, mounts, ids, { registry: { autoMount: true } });

const isMount = (request: TamperRequest): boolean => request.method === 'POST' && request.url.searchParams.has('mount');
const ALL = mounts.map((c) => c.id);

t.test('every mount check passes against the reference registry with automatic discovery', async (t) => {
  const registry = await startTestRegistry(t, { autoMount: true });
  t.ok(mounts.length >= 4, 'the mount checks are all there');
  const results = await runChecks(t, registry.url, mounts, ALL);
  for (const c of mounts) {
    t.equal(results.get(c.id)?.status, 'pass', describeResult(results, c.id));
    t.match(c.id, /^blobs\.mount\.[a-z0-9-]+$/, 'id in the blobs.mount area');
  }
});

t.test('without automatic discovery the mount without from is skipped, with the reason', async (t) => {
  const registry = await startTestRegistry(t, { autoMount: false });
  const results = await runChecks(t, registry.url, mounts, ALL);
  t.equal(results.get('blobs.mount.auto')?.status, 'skip');
  t.match(results.get('blobs.mount.auto')?.message, /does not discover blobs .*answered 202/);
  for (const id of ['blobs.mount.from', 'blobs.mount.from-served', 'blobs.mount.missing-source']) {
    t.equal(results.get(id)?.status, 'pass', describeResult(results, id));
  }
});

t.test('a registry that never mounts (202 sessions) warns on blobs.mount.from and skips blobs.mount.from-served', async (t) => {
  const results = await tampered(t, (request, forward) => {
    if (!isMount(request)) return undefined;
    return forward({ path: request.url.pathname }); // a plain POST: an upload session
  }, ALL);
  t.equal(results.get('blobs.mount.from')?.status, 'warn', describeResult(results, 'blobs.mount.from'));
  t.match(results.get('blobs.mount.from')?.message, /did not mount .*answered 202/);
  t.equal(results.get('blobs.mount.from-served')?.status, 'skip');
  t.match(results.get('blobs.mount.from-served')?.message, /did not mount \(202/);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'pass', describeResult(results, 'blobs.mount.missing-source'));
  t.equal(results.get('blobs.mount.auto')?.status, 'skip');
});

t.test('a 202 to a mount without a usable session is reported', async (t) => {
  const results = await tampered(t, (request) => (isMount(request) ? reply(202) : undefined), ALL);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describeResult(results, 'blobs.mount.missing-source'));
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
  t.equal(results.get('blobs.mount.from-served')?.status, 'fail', describeResult(results, 'blobs.mount.from-served'));
  t.match(results.get('blobs.mount.from-served')?.message, /expected status 200, got 404/);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describeResult(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /expected status 202, got 201/);
  t.equal(results.get('blobs.mount.auto')?.status, 'warn', describeResult(results, 'blobs.mount.auto'));
});

t.test('a mount that makes a missing blob appear in the target fails blobs.mount.missing-source', async (t) => {
  const results = await tampered(t, async (request, forward) => {
    const response = await forward();
    if (request.method === 'GET' && response.status === 404 && /\/blobs\/sha256:/.test(request.path)) return reply(200, {}, 'phantom');
    return response;
  }, ['blobs.mount.missing-source']);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describeResult(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /could not provide: expected status 404, got 200/);
});

t.test('a mount from the target itself of a blob it lacks answered 201 fails blobs.mount.missing-source', async (t) => {
  // The image-store.ts mutant: `from === name || has(…)` answered 201 with nothing mounted.
  const results = await tampered(t, (request) => {
    const from = request.url.searchParams.get('from');
    return isMount(request) && from !== null && request.url.pathname === `/v2/${from}/blobs/uploads/` ? reply(201, { Location: `/v2/${from}/blobs/${request.url.searchParams.get('mount') ?? ''}` }) : undefined;
  }, ['blobs.mount.missing-source']);
  t.equal(results.get('blobs.mount.missing-source')?.status, 'fail', describeResult(results, 'blobs.mount.missing-source'));
  t.match(results.get('blobs.mount.missing-source')?.message, /the target itself/);
});
