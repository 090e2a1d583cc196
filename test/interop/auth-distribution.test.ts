/**
 * The reference registry's tokens are the real format: CNCF Distribution 2.8.2 (Debian
 * docker-registry, started by scripts/distribution.sh with an `auth: token:` section) is configured
 * with its realm at the reference's token endpoint (HTTPS, the test CA), the reference's issuer and
 * service, and the test CA as its rootcertbundle — it verifies each token's x5c chain against that
 * root. skopeo then pushes, lists, pulls and deletes through Distribution with tokens the reference
 * issued under its policy: the pull-only user's push is refused by Distribution, which read the
 * access claim; a token signed by a key outside the CA is refused.
 */
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import { DEFAULT_TOKEN_ISSUER } from '../../reference/auth/setup.ts';
import { bearer, PASSWORDS, SERVICE, startSecureRegistry, type User } from '../helpers/auth.ts';
import { readLayoutBlob, taggedDescriptor, writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { sha256 } from '../helpers/oci.ts';
import { assertSucceeded, createSkopeo, requireTool, run, tempDir } from '../helpers/tools.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/distribution.sh', import.meta.url));
const SCRIPT_TIMEOUT_MS = 60_000;
const creds = (user: User) => `${user}:${PASSWORDS[user]}`;

if ((await requireTool(t, 'docker-registry', 'docker-registry')) && (await requireTool(t, 'skopeo', 'skopeo'))) {
  t.test('CNCF Distribution 2.8.2 trusting the reference\'s token issuer', async (t) => {
    const reference = await startSecureRegistry(t, { mode: 'token' });
    if (!reference) return;
    const work = await tempDir(t, 'touchstone-distribution-auth-');
    const config = join(work, 'auth.yml');
    await writeFile(
      config,
      `auth:\n  token:\n    realm: ${reference.url}/token\n    service: ${SERVICE}\n    issuer: ${DEFAULT_TOKEN_ISSUER}\n    rootcertbundle: ${reference.pki.caCert}\n`,
    );
    const store = join(work, 'distribution');
    const script = (action: 'start' | 'stop') => run('bash', [SCRIPT, action, store], { env: { DISTRIBUTION_EXTRA_CONFIG: config }, timeoutMs: SCRIPT_TIMEOUT_MS });
    t.teardown(async () => {
      await script('stop');
    });
    const started = await script('start');
    if (!assertSucceeded(t, started, 'distribution.sh start with the auth section')) return;
    const url = started.stdout.trim();
    const host = new URL(url).host;
    const docker = (name: string) => `docker://${host}/${name}`;
    const skopeo = await createSkopeo(t);
    // Distribution speaks plain HTTP here; the realm it names is the reference's HTTPS endpoint.
    const [insecure, srcInsecure, destInsecure] = ['--tls-verify=false', '--src-tls-verify=false', '--dest-tls-verify=false'];

    t.test('Distribution challenges with the reference as its realm', async (t) => {
      const reply = await request(`${url}/v2/team/app/tags/list`);
      await reply.body.dump();
      t.equal(reply.statusCode, 401);
      t.equal(reply.headers['www-authenticate'], `Bearer realm="${reference.url}/token",service="${SERVICE}",scope="repository:team/app:pull"`);
    });

    t.test('skopeo pushes, lists, pulls and deletes through Distribution with the reference\'s tokens', async (t) => {
      const image = await writeSingleImageLayout(join(work, 'image'), { tag: 'v1', seed: 'auth-distribution' });
      const other = await writeSingleImageLayout(join(work, 'other'), { tag: 'v1', seed: 'auth-distribution-other' });
      const fromLog = reference.logs.length;
      const pushed = await skopeo(['copy', '--preserve-digests', destInsecure, '--dest-creds', creds('alice'), `oci:${image.dir}:v1`, docker('team/app:v1')]);
      if (!assertSucceeded(t, pushed, 'alice pushes to Distribution')) return;
      const tokenRequests = reference.logs.slice(fromLog).filter((entry) => entry.path.startsWith('/token?'));
      t.ok(tokenRequests.some((entry) => entry.status === 200), 'skopeo got its token from the reference', { tokenRequests });

      const tags = await skopeo(['list-tags', insecure, '--creds', creds('bob'), docker('team/app')]);
      if (assertSucceeded(t, tags, 'bob lists the tags')) t.same((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['v1']);
      const back = join(work, 'back');
      const pulled = await skopeo(['copy', '--preserve-digests', srcInsecure, '--src-creds', creds('bob'), docker('team/app:v1'), `oci:${back}:v1`]);
      if (assertSucceeded(t, pulled, 'bob pulls from Distribution')) {
        t.equal((await taggedDescriptor(back, 'v1'))?.digest, image.image.manifest.digest, 'same manifest digest');
        const layer = image.image.layers[0]!.blob;
        t.equal(sha256(await readLayoutBlob(back, layer.digest)), layer.digest, 'the layer intact');
      }

      const denied = await skopeo(['copy', destInsecure, '--dest-creds', creds('bob'), `oci:${other.dir}:v1`, docker('team/app:v2')]);
      t.not(denied.code, 0, 'bob\'s push is refused by Distribution: his token holds pull only');
      t.match(denied.stderr, /denied|unauthorized/i, { stderr: denied.stderr });

      const wrong = await skopeo(['list-tags', insecure, '--creds', 'bob:wrong-password', docker('team/app')]);
      t.not(wrong.code, 0, 'a wrong password gets no token');

      const deleted = await skopeo(['delete', insecure, '--creds', creds('alice'), docker('team/app:v1')]);
      if (assertSucceeded(t, deleted, 'alice deletes through Distribution (her token holds delete)')) {
        const gone = await skopeo(['inspect', '--raw', insecure, '--creds', creds('alice'), docker('team/app:v1')]);
        t.not(gone.code, 0, 'the tag is gone');
      }
    });

    t.test('Distribution verifies the chain: a token from a key outside the CA is refused', async (t) => {
      const good = await reference.token('bob', ['repository:team/app:pull']);
      t.equal(decodeJwt(good).aud, SERVICE);
      const accepted = await request(`${url}/v2/`, { headers: bearer(good) });
      await accepted.body.dump();
      t.equal(accepted.statusCode, 200, 'a token of the reference opens Distribution');
      const outsider = await startSecureRegistry(t, { mode: 'token', files: { pki: reference.pki, htpasswd: reference.htpasswd }, token: { key: reference.pki.rsaKey, cert: reference.pki.rsaCert } });
      if (!outsider) return;
      const forged = await outsider.token('bob', ['repository:team/app:pull']);
      const refused = await request(`${url}/v2/team/app/tags/list`, { headers: bearer(forged) });
      await refused.body.dump();
      t.equal(refused.statusCode, 401, 'same issuer and service, a self-signed RSA key: refused');
      t.match(refused.headers['www-authenticate'], /error="invalid_token"/);
    });
  });
}
