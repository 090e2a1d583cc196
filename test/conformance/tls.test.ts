/**
 * `touchstone check` against a registry behind TLS signed by its own CA: verification is on by
 * default, so the run stops at the preflight with a harness error (exit 2) that names the CA
 * problem and both ways out (--ca-file, --insecure); --ca-file FILE trusts that CA, --insecure,
 * --tls-verify=false and the official suite's OCI_TLS=insecure skip verification. The options
 * reach every client: the run's, its GC trigger's.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main, parseCheckArgs, UsageError } from '../../conformance/cli.ts';
import { RegistryClient } from '../../conformance/client/registry-client.ts';
import { HarnessError } from '../../conformance/client/errors.ts';
import { clientTls } from '../../conformance/client/tls.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { makePki } from '../helpers/pki.ts';
import { tempDir } from '../helpers/tools.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function check(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const dir = await tempDir(t, 'touchstone-tls-');
const pki = await makePki(t, dir);
if (pki) {
  const registry = await startTestRegistry(t, { tls: { cert: pki.serverCert, key: pki.serverKey } });
  const only = ['--only', 'base', '--no-properties'];

  t.test('verification is on by default: an unknown CA stops the run at the preflight, saying how to fix it', async (t) => {
    const run = await check(['--url', registry.url, ...only]);
    t.equal(run.code, 2, run.stderr);
    t.match(run.stderr, /harness error: .*TLS.*certificate.*not verified/i);
    t.match(run.stderr, /the system's CAs/, 'which CAs were tried');
    t.match(run.stderr, /--ca-file FILE/);
    t.match(run.stderr, /--insecure/);
    const named = await check(['--url', registry.url, ...only, '--ca-file', pki.rsaCert]);
    t.equal(named.code, 2);
    t.match(named.stderr, /rsa\.crt/, 'a CA file that does not fit is named');
  });

  t.test('--ca-file trusts the registry\'s CA', async (t) => {
    const run = await check(['--url', registry.url, ...only, '--ca-file', pki.caCert]);
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /base\.v2/);
  });

  t.test('--insecure, --tls-verify=false and OCI_TLS=insecure skip verification', async (t) => {
    t.equal((await check(['--url', registry.url, ...only, '--insecure'])).code, 0);
    t.equal((await check(['--url', registry.url, ...only, '--tls-verify=false'])).code, 0);
    const host = new URL(registry.url).host;
    const official = await check(only, { OCI_REGISTRY: host, OCI_TLS: 'insecure' });
    t.equal(official.code, 0, official.stderr);
    const verified = await check(only, { OCI_REGISTRY: host, OCI_TLS: 'enabled' });
    t.equal(verified.code, 2, 'OCI_TLS=enabled verifies');
    t.equal((await check(['--url', registry.url, ...only, '--tls-verify'], { OCI_REGISTRY: host, OCI_TLS: 'insecure' })).code, 2, '--tls-verify wins over OCI_TLS=insecure');
  });

  t.test('the client takes the CA or skips verification; a failure before any answer is a harness error', async (t) => {
    const untrusting = new RegistryClient({ baseUrl: registry.url, timeoutMs: 5_000 });
    t.teardown(() => untrusting.close());
    await t.rejects(untrusting.request('GET', '/v2/'), HarnessError);
    const trusting = new RegistryClient({ baseUrl: registry.url, timeoutMs: 5_000, tls: { ca: await readFile(pki.caCert, 'utf8') } });
    t.teardown(() => trusting.close());
    t.equal((await trusting.request('GET', '/v2/')).status, 200);
    const insecure = new RegistryClient({ baseUrl: registry.url, timeoutMs: 5_000, tls: { insecure: true } });
    t.teardown(() => insecure.close());
    t.equal((await insecure.request('GET', '/v2/')).status, 200);
  });

  t.test('TLS flags that cannot work are usage errors', async (t) => {
    t.throws(() => parseCheckArgs(['--url', registry.url, '--ca-file', join(dir, 'missing.crt')], {}), UsageError);
    const notPem = join(dir, 'not-pem.txt');
    await writeFile(notPem, 'hello');
    t.throws(() => parseCheckArgs(['--url', registry.url, '--ca-file', notPem], {}), /no PEM certificate/);
    t.throws(() => parseCheckArgs(['--url', registry.url, '--ca-file', pki.caCert, '--insecure'], {}), /--insecure .*--ca-file|--ca-file .*--insecure/);
    t.throws(() => parseCheckArgs(['--url', registry.url, '--tls-verify=maybe'], {}), UsageError);
    const parsed = parseCheckArgs(['--url', registry.url, '--ca-file', pki.caCert], {});
    if (parsed === 'help') throw new Error('help');
    t.equal(parsed.config.tls, 'enabled');
    t.equal(parsed.config.caFile, pki.caCert);
    t.match(parsed.config.ca ?? '', /BEGIN CERTIFICATE/);
    const plain = parseCheckArgs(['--url', 'http://127.0.0.1:9', '--insecure'], {});
    if (plain === 'help') throw new Error('help');
    t.equal(plain.config.tls, 'disabled', 'an http:// URL has no TLS');
    const realm = parseCheckArgs(['--url', 'http://127.0.0.1:9', '--ca-file', pki.caCert], {});
    if (realm === 'help') throw new Error('help');
    t.match(clientTls(realm.config).ca ?? '', /BEGIN CERTIFICATE/, 'but its token realm may be HTTPS: the CA is kept for it');
  });
}
