/**
 * Reproductions of authenticated runs (conformance/client/curl.ts): a push, pull and delete the
 * client recorded against the reference registry behind TLS, with tokens and with Basic
 * authentication, becomes a script holding no password and no token that replays with every
 * status as recorded when the credentials are in OCI_USERNAME and OCI_PASSWORD (tokens fetched
 * by the script from the recorded realm), and refuses to start without them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { curlScript } from '../../../conformance/client/curl.ts';
import type { Exchange } from '../../../conformance/client/exchange.ts';
import { RegistryClient } from '../../../conformance/client/registry-client.ts';
import { OCTET } from '../../../conformance/client/protocol.ts';
import { EMPTY_CONFIG, imageManifest, randomBlob } from '../../../conformance/content.ts';
import { PASSWORDS, startSecureRegistry } from '../../helpers/auth.ts';
import { requireTool, run, tempDir } from '../../helpers/tools.ts';

async function record(client: RegistryClient, repo: string): Promise<Exchange[]> {
  const layer = randomBlob(30);
  const manifest = imageManifest(EMPTY_CONFIG, [layer]);
  const mark = client.log.mark();
  for (const blob of [layer, EMPTY_CONFIG]) await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: OCTET });
  await client.request('PUT', `/v2/${repo}/manifests/v1`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
  await client.request('GET', `/v2/${repo}/tags/list`);
  await client.request('GET', `/v2/${repo}/blobs/${layer.digest}`);
  await client.request('DELETE', `/v2/${repo}/manifests/${manifest.digest}`);
  return client.log.since(mark);
}

for (const mode of ['token', 'htpasswd'] as const) {
  t.test(`${mode}: the script reads the credentials from the environment and replays every status`, async (t: Test) => {
    if (!(await requireTool(t, 'curl', 'curl'))) return;
    const registry = await startSecureRegistry(t, { mode });
    if (!registry) return;
    const client = new RegistryClient({ baseUrl: registry.url, username: 'alice', password: PASSWORDS.alice, tls: { ca: await readFile(registry.pki.caCert, 'utf8') } });
    t.teardown(() => client.close());
    const exchanges = await record(client, 'team/rec1-1');
    const requests = exchanges.filter((e) => e.auth?.kind !== 'token-request');
    t.same(requests.filter((e) => e.status !== 401).map((e) => e.status), [201, 201, 201, 200, 200, 202], 'the recorded run worked');
    const script = curlScript(exchanges, registry.url, `${mode} run`, { runId: 'rec1' });
    t.notMatch(script, PASSWORDS.alice, 'no password in the script');
    t.notMatch(script, /eyJ[\w-]+\.eyJ/, 'no token in the script');
    t.notMatch(script, Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64'), 'no Basic credential');
    if (mode === 'token') {
      t.match(script, /^token TOKEN1 POST '.*\/token' 'touchstone-registry' "\$OCI_USERNAME" "\$OCI_PASSWORD" 'repository:team\/'"\$RUN"'-1:push'$/m, 'a token fetch step');
      t.match(script, /-H "Authorization: Bearer \$TOKEN\d"/);
    } else {
      t.match(script, /-u "\$OCI_USERNAME:\$OCI_PASSWORD"/);
    }
    const dir = await tempDir(t, 'touchstone-curl-auth-');
    const file = join(dir, 'repro.sh');
    await writeFile(file, script);
    const env = { CURL_CA_BUNDLE: registry.pki.caCert, RUN: 'fresh2' };
    const replay = await run('bash', [file], { env: { ...env, OCI_USERNAME: 'alice', OCI_PASSWORD: PASSWORDS.alice }, timeoutMs: 60_000 });
    t.equal(replay.code, 0, 'every status as recorded', { stdout: replay.stdout, stderr: replay.stderr });
    t.match(replay.stdout, new RegExp(`^# 0 of ${requests.length} statuses differ from the recording$`, 'm'));
    const without = await run('bash', [file], { env: { ...env, OCI_USERNAME: '', OCI_PASSWORD: '' }, timeoutMs: 60_000 });
    t.not(without.code, 0, 'unset credentials stop it');
    const missing = await run('bash', ['-c', `unset OCI_USERNAME OCI_PASSWORD; bash ${file}`], { env, timeoutMs: 60_000 });
    t.not(missing.code, 0);
    t.match(missing.stderr, /set OCI_USERNAME and OCI_PASSWORD/);
  });
}
