/**
 * Interop of the real skopeo (Debian 12: 1.9.3) with the reference registry behind TLS (the test
 * CA, trusted through --cert-dir) and authentication (--creds), once with htpasswd (Basic) and once
 * with tokens from the built-in token endpoint: an OCI layout made in the test is copied in and
 * back out with identical digests, tags are listed, a manifest is deleted; the pull-only user
 * (bob) pulls but cannot push or delete; a wrong password and a client that does not trust the
 * CA are refused. The registry's request log shows what skopeo did, and that no credential was
 * logged.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { OCI_MANIFEST } from '../../spec/media-types.ts';
import { PASSWORDS, startSecureRegistry, type SecureRegistry, type User } from '../helpers/auth.ts';
import { readLayoutBlob, taggedDescriptor, writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { sha256 } from '../helpers/oci.ts';
import { assertSucceeded, createSkopeo, requireTool, tempDir, type Skopeo } from '../helpers/tools.ts';

const creds = (user: User) => `${user}:${PASSWORDS[user]}`;

async function exercise(t: Test, registry: SecureRegistry, skopeo: Skopeo, work: string): Promise<void> {
  const host = new URL(registry.url).host;
  const docker = (reference: string) => `docker://${host}/${reference}`;
  const certDir = registry.pki.certDir;
  const image = await writeSingleImageLayout(join(work, 'image'), { tag: 'v1', seed: `auth-skopeo-${t.name}` });
  const other = await writeSingleImageLayout(join(work, 'other'), { tag: 'v1', seed: `auth-skopeo-other-${t.name}` });

  const pushed = await skopeo(['copy', '--preserve-digests', '--dest-cert-dir', certDir, '--dest-creds', creds('alice'), `oci:${image.dir}:v1`, docker('team/app:v1')]);
  if (!assertSucceeded(t, pushed, 'alice copies the layout in')) return;
  const alice = await registry.authorization('alice', ['repository:team/app:pull']);
  const manifest = await registry.call('GET', '/v2/team/app/manifests/v1', { headers: { ...alice, Accept: OCI_MANIFEST } });
  t.equal(manifest.status, 200);
  t.equal(manifest.header('docker-content-digest'), image.image.manifest.digest, 'the registry serves the manifest pushed');

  const back = join(work, 'back');
  const pulled = await skopeo(['copy', '--preserve-digests', '--src-cert-dir', certDir, '--src-creds', creds('bob'), docker('team/app:v1'), `oci:${back}:v1`]);
  if (assertSucceeded(t, pulled, 'bob (pull-only) copies it back out')) {
    t.equal((await taggedDescriptor(back, 'v1'))?.digest, image.image.manifest.digest, 'same manifest digest');
    const layer = image.image.layers[0]!.blob;
    t.equal(sha256(await readLayoutBlob(back, layer.digest)), layer.digest, 'the layer intact');
  }

  const tags = await skopeo(['list-tags', '--cert-dir', certDir, '--creds', creds('bob'), docker('team/app')]);
  if (assertSucceeded(t, tags, 'bob lists the tags')) t.same((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['v1']);

  const denied = await skopeo(['copy', '--dest-cert-dir', certDir, '--dest-creds', creds('bob'), `oci:${other.dir}:v1`, docker('team/app:v2')]);
  t.not(denied.code, 0, 'bob\'s push fails');
  t.match(denied.stderr, /denied|unauthorized/i, 'with the registry\'s refusal', { stderr: denied.stderr });
  t.equal((await registry.call('GET', '/v2/team/app/manifests/v2', { headers: alice })).status, 404, 'nothing arrived under v2');
  t.equal((await registry.call('HEAD', `/v2/team/app/blobs/${other.image.config.digest}`, { headers: alice })).status, 404, 'nor its blobs');

  const wrong = await skopeo(['list-tags', '--cert-dir', certDir, '--creds', 'bob:wrong-password', docker('team/app')]);
  t.not(wrong.code, 0, 'a wrong password fails');
  t.match(wrong.stderr, /unauthorized|invalid username\/password/i);
  const untrusted = await skopeo(['list-tags', '--creds', creds('bob'), docker('team/app')]);
  t.not(untrusted.code, 0, 'without the CA the certificate is not trusted');
  t.match(untrusted.stderr, /x509|certificate/i);

  const bobDelete = await skopeo(['delete', '--cert-dir', certDir, '--creds', creds('bob'), docker('team/app:v1')]);
  t.not(bobDelete.code, 0, 'bob cannot delete');
  t.match(bobDelete.stderr, /DENIED|denied/);
  const deleted = await skopeo(['delete', '--cert-dir', certDir, '--creds', creds('alice'), docker('team/app:v1')]);
  if (assertSucceeded(t, deleted, 'alice deletes')) {
    const after = await skopeo(['list-tags', '--cert-dir', certDir, '--creds', creds('alice'), docker('team/app')]);
    if (assertSucceeded(t, after, 'list-tags after the delete')) t.same((JSON.parse(after.stdout) as { Tags: string[] }).Tags, []);
  }

  const logged = JSON.stringify(registry.logs);
  for (const [user, password] of Object.entries(PASSWORDS)) t.notMatch(logged, password, `the log holds no password of ${user}`);
  t.notMatch(logged, /Basic |Bearer |eyJ/, 'nor a credential or token');
}

if (await requireTool(t, 'skopeo', 'skopeo')) {
  t.test('TLS and htpasswd (Basic)', async (t) => {
    const registry = await startSecureRegistry(t, { mode: 'htpasswd' });
    if (!registry) return;
    await exercise(t, registry, await createSkopeo(t), await tempDir(t));
    t.ok(registry.logs.some((entry) => entry.path === '/v2/' && entry.status === 401), 'skopeo met the challenge at /v2/');
  });

  t.test('TLS and tokens from the token endpoint', async (t) => {
    const registry = await startSecureRegistry(t, { mode: 'token' });
    if (!registry) return;
    await exercise(t, registry, await createSkopeo(t), await tempDir(t));
    const tokens = registry.logs.filter((entry) => entry.path.startsWith('/token?'));
    t.ok(tokens.some((entry) => entry.status === 200 && entry.path.includes('scope=repository%3Ateam%2Fapp%3Apull%2Cpush')), 'skopeo asked for pull,push on team/app', { tokens });
    t.ok(tokens.some((entry) => entry.status === 401), 'and was refused a token with the wrong password');
  });
}
