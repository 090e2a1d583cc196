/**
 * Interop of the real podman (Debian 12: 4.3.1, vfs storage) with the reference registry behind
 * TLS and token authentication: `podman login` with --cert-dir and a temporary auth file (a wrong
 * password is refused: the token endpoint answers 401), then pull and push with the stored
 * credentials; the pull-only user's login succeeds but its push is denied.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OCI_MANIFEST } from '../../spec/media-types.ts';
import { ACCEPT_MANIFESTS } from '../../conformance/client/headers.ts';
import { PASSWORDS, startSecureRegistry, type User } from '../helpers/auth.ts';
import { writeSingleImageLayout } from '../helpers/oci-layout.ts';
import { assertSucceeded, createPodman, createSkopeo, requireTool, tempDir } from '../helpers/tools.ts';

interface ImageManifest {
  config: { digest: string };
  layers: { digest: string }[];
}

if ((await requireTool(t, 'podman', 'podman')) && (await requireTool(t, 'skopeo', 'skopeo'))) {
  const registry = await startSecureRegistry(t, { mode: 'token' });
  if (registry) {
    const host = new URL(registry.url).host;
    const certDir = registry.pki.certDir;
    const work = await tempDir(t);
    const image = await writeSingleImageLayout(join(work, 'image'), { tag: 'v1', seed: 'auth-podman' });
    const skopeo = await createSkopeo(t);

    /** A podman of its own per user: its own storage and auth file. */
    const podmanFor = async (user: User) => {
      const podman = await createPodman(t);
      const authfile = join(await tempDir(t, 'touchstone-podman-auth-'), 'auth.json');
      const login = (password: string) => podman(['login', '--cert-dir', certDir, '--authfile', authfile, '--username', user, '--password', password, host]);
      return { podman, authfile, login };
    };

    t.test('login, pull and push with tokens', async (t) => {
      const seeded = await skopeo(['copy', '--preserve-digests', '--dest-cert-dir', certDir, '--dest-creds', `alice:${PASSWORDS.alice}`, `oci:${image.dir}:v1`, `docker://${host}/team/app:v1`]);
      if (!assertSucceeded(t, seeded, 'skopeo puts the image in as alice')) return;
      const carol = await podmanFor('carol');
      const refused = await carol.login('not-her-password');
      t.not(refused.code, 0, 'login with a wrong password fails');
      t.match(refused.stderr, /invalid username\/password|unauthorized/i);
      if (!assertSucceeded(t, await carol.login(PASSWORDS.carol), 'podman login')) return;
      t.match(await readFile(carol.authfile, 'utf8'), host, 'the credentials are in the temporary auth file');
      const pulled = await carol.podman(['pull', '--cert-dir', certDir, '--authfile', carol.authfile, `${host}/team/app:v1`]);
      if (!assertSucceeded(t, pulled, 'podman pull')) return;
      const pushed = await carol.podman(['push', '--cert-dir', certDir, '--authfile', carol.authfile, `${host}/team/app:v1`, `${host}/team/copy:v2`]);
      if (!assertSucceeded(t, pushed, 'podman push to team/copy')) return;
      const headers = { ...(await registry.authorization('alice', ['repository:team/app:pull', 'repository:team/copy:pull'])), ...ACCEPT_MANIFESTS };
      const original = (await registry.call('GET', '/v2/team/app/manifests/v1', { headers: { ...headers, Accept: OCI_MANIFEST } })).json<ImageManifest>();
      const copy = await registry.call('GET', '/v2/team/copy/manifests/v2', { headers });
      t.equal(copy.status, 200, 'the pushed tag resolves');
      t.equal(copy.json<ImageManifest>().config.digest, original.config.digest, 'same config');
      t.equal(copy.json<ImageManifest>().layers.length, original.layers.length, 'same number of layers');
      const tokens = registry.logs.filter((entry) => entry.path.startsWith('/token'));
      t.ok(tokens.some((entry) => entry.status === 401), 'the wrong password was refused at the token endpoint', { tokens });
      t.ok(tokens.some((entry) => entry.status === 200), 'podman got its tokens there');
    });

    t.test('the pull-only user logs in and pulls, but cannot push', async (t) => {
      const bob = await podmanFor('bob');
      if (!assertSucceeded(t, await bob.login(PASSWORDS.bob), 'podman login as bob')) return;
      const pulled = await bob.podman(['pull', '--cert-dir', certDir, '--authfile', bob.authfile, `${host}/team/app:v1`]);
      if (!assertSucceeded(t, pulled, 'bob pulls team/app')) return;
      const pushed = await bob.podman(['push', '--cert-dir', certDir, '--authfile', bob.authfile, `${host}/team/app:v1`, `${host}/team/app:bob`]);
      t.not(pushed.code, 0, 'bob\'s push fails');
      t.match(pushed.stderr, /denied|unauthorized/i, 'refused by the registry', { stderr: pushed.stderr });
      const headers = await registry.authorization('alice', ['repository:team/app:pull']);
      t.equal((await registry.call('GET', '/v2/team/app/manifests/bob', { headers })).status, 404, 'no tag bob');
    });
  }
}
