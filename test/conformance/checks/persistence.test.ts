/**
 * persistence.restart (conformance/checks/persistence.ts): it passes against the embedded
 * reference registry (`npm start`'s, restarted on its store and port) and against a reference
 * restarted by hand on its root; it fails against a registry whose restart loses every repository
 * (started again on an empty store: what the start-up sweep does with reference/store/layout.ts's
 * ASIDE_PREFIX emptied) and against one that does not come back (its start fails: layout.ts's
 * init() without recursion on an existing store); it is skipped without a way to restart. Also
 * the restart trigger of `--restart-command` (conformance/restart.ts): a command that fails is a
 * harness error, a registry that does not answer GET /v2/ again within the bound is not.
 */
import t, { type Test } from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import persistenceChecks from '../../../conformance/checks/persistence.ts';
import { HarnessError } from '../../../conformance/client/errors.ts';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import type { RestartTrigger } from '../../../conformance/config.ts';
import { commandRestart, RegistryDidNotRestart, waitForRegistry } from '../../../conformance/restart.ts';
import { startRegistry, type RunningRegistry } from '../../../reference/registry.ts';
import { startEmbeddedReference } from '../../../cli/embedded.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';
import type { Result } from '../../../conformance/report/types.ts';

const ID = 'persistence.restart';

/** A reference registry on a temp root; `restart` closes it and starts the next one `starting` gives (same port). */
async function restartable(t: Test, starting: (root: string, port: number) => Promise<RunningRegistry>): Promise<{ url: string; restart: RestartTrigger }> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-persistence-' });
  let registry = await startRegistry({ root: tmp.path, log: () => undefined });
  const port = Number(new URL(registry.url).port);
  t.teardown(async () => {
    await registry.close();
    await tmp.cleanup();
  });
  return {
    url: registry.url,
    restart: {
      description: 'test restart',
      async run() {
        await registry.close();
        registry = await starting(tmp.path, port);
      },
    },
  };
}

async function run(t: Test, url: string, restart: RestartTrigger | undefined): Promise<Result> {
  const results = await runChecks(t, url, persistenceChecks, [ID], { restart });
  const result = results.get(ID);
  t.ok(result, describeResult(results, ID));
  return result as Result;
}

t.test('passes against the embedded reference registry, restarted on its store and port', async (t) => {
  const embedded = await startEmbeddedReference();
  t.teardown(() => embedded.close());
  t.ok(embedded.restart, 'the embedded registry offers a restart');
  const result = await run(t, embedded.url, embedded.restart);
  t.equal(result.status, 'pass', result.message);
  t.match(result.message, /restarted \(the embedded reference registry, .*\) and answering again after \d+ ms; 6 manifest pulls and 7 blobs served byte for byte; tags\/list lists \["multi","v1"\]; the referrer is still listed; the catalog still lists the repository/);
});

t.test('passes against a reference restarted by hand on the same root and port', async (t) => {
  const { url, restart } = await restartable(t, (root, port) => startRegistry({ root, port, log: () => undefined }));
  const result = await run(t, url, restart);
  t.equal(result.status, 'pass', result.message);
});

t.test('fails against a registry whose restart loses every repository', async (t) => {
  const { url, restart } = await restartable(t, async (_root, port) => {
    const empty = await dir({ unsafeCleanup: true, prefix: 'touchstone-persistence-empty-' });
    t.teardown(() => empty.cleanup());
    return startRegistry({ root: empty.path, port, log: () => undefined });
  });
  const result = await run(t, url, restart);
  t.equal(result.status, 'fail', result.message);
  t.match(result.message, /after the restart the image tagged "v1" is gone \(GET .*:v1 → 404\): the registry answered 201 for it before the restart/);
  t.ok(result.failingExchange, 'the failing exchange is kept');
});

t.test('fails, naming the restart, against a registry that does not come back', async (t) => {
  const { url, restart } = await restartable(t, async (root, port) => {
    // A start that fails on its own store, as init() without recursion does (EEXIST).
    const file = join(root, 'not-a-directory');
    await writeFile(file, 'x');
    return startRegistry({ root: file, port, log: () => undefined });
  });
  const result = await run(t, url, restart);
  t.equal(result.status, 'fail', result.message);
  t.match(result.message, /^the registry did not come back after the restart \(test restart\): /);
});

t.test('is skipped without a way to restart, saying how to give one', async (t) => {
  const { url } = await restartable(t, (root, port) => startRegistry({ root, port }));
  const result = await run(t, url, undefined);
  t.equal(result.status, 'skip');
  t.match(result.message, /use --restart-command CMD/);
});

t.test('--restart-command: a failing command is a harness error; a registry that does not answer again is not', async (t) => {
  const failing = commandRestart('echo nope >&2; exit 3', 'http://127.0.0.1:1');
  await t.rejects(failing.run(), HarnessError);
  await t.rejects(failing.run(), /--restart-command failed \(3\): nope/);
  const wait = { attempts: 3, intervalMs: 10, timeoutMs: 5_000 };
  const silent = commandRestart('true', 'http://127.0.0.1:1', {}, 10_000, wait);
  await t.rejects(silent.run(), RegistryDidNotRestart);
  await t.rejects(silent.run(), /GET \/v2\/ did not answer 200 or 401 within 3 attempts/);
  const { url } = await restartable(t, (root, port) => startRegistry({ root, port }));
  const client = new RegistryClient({ baseUrl: url });
  t.teardown(() => client.close());
  t.equal(await waitForRegistry(client, wait), 1, 'a registry that answers is waited for once');
  await commandRestart('test "$TOUCHSTONE_URL" = ' + url, url, {}, 10_000, wait).run();
});
