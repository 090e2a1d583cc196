/**
 * No secret reaches anything a run writes or the registry logs: `touchstone check --auth-checks`
 * against the reference with TLS and tokens and two faults (a pull-only identity that can push,
 * unsorted tags), so that failing checks carry their exchanges, a property finds a counterexample
 * and writes its curl reproduction, and the token flow runs throughout. The text summary, the
 * JSON, JUnit and HTML reports, the curl script and the registry's request log hold neither
 * password, nor a Basic credential, nor any token the registry issued; the curl script reads the
 * credentials from the environment instead.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../conformance/cli.ts';
import type { Report } from '../../conformance/report/types.ts';
import { LEEWAY_SECONDS } from '../../reference/auth/tokens.ts';
import { PASSWORDS, startSecureRegistry } from '../helpers/auth.ts';
import { tempDir } from '../helpers/tools.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A JWT: three base64url parts, the first two JSON objects. */
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

t.test('passwords, credentials and tokens stay out of every output and log', async (t) => {
  const registry = await startSecureRegistry(t, { mode: 'token', faults: ['auth-pull-can-push', 'tags-unsorted'], token: { ttlSeconds: 2 } });
  if (!registry) return;
  const dir = await tempDir(t, 'touchstone-secrets-');
  const files = { json: join(dir, 'report.json'), junit: join(dir, 'report.xml'), html: join(dir, 'report.html'), repro: join(dir, 'repro.sh') };
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main([
    '--url', registry.url, '--ca-file', registry.pki.caCert, '--namespace', 'team', '--username', 'alice', '--password', PASSWORDS.alice,
    '--auth-checks', '--restricted-username', 'bob', '--restricted-password', PASSWORDS.bob, '--restricted-repository', 'team/app', '--token-leeway', String(LEEWAY_SECONDS),
    '--only', 'auth', '--only', 'tags.list.order', '--only', 'property.tags', '--runs', '20', '--seed', '1',
    '--json', files.json, '--junit', files.junit, '--html', files.html, '--repro', files.repro, '--no-color',
  ], { env: {}, stdout, stderr });
  t.equal(code, 1, 'the run reports the faults');
  const report = JSON.parse(await readFile(files.json, 'utf8')) as Report;
  const failed = report.results.filter((r) => r.status === 'fail').map((r) => r.id);
  t.ok(failed.includes('auth.pull-only.push-blob') && failed.includes('property.tags'), `failures carry exchanges and a counterexample: ${failed.join(', ')}`);

  const outputs: Record<string, string> = { stdout: stdout.text, stderr: stderr.text, 'registry log': JSON.stringify(registry.logs) };
  for (const [name, file] of Object.entries(files)) outputs[name] = await readFile(file, 'utf8');
  const secrets = {
    "alice's password": PASSWORDS.alice,
    "bob's password": PASSWORDS.bob,
    "alice's Basic credential": Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64'),
    "bob's Basic credential": Buffer.from(`bob:${PASSWORDS.bob}`).toString('base64'),
  };
  for (const [name, text] of Object.entries(outputs)) {
    t.ok(text.length > 0, `${name} is not empty`);
    for (const [secret, value] of Object.entries(secrets)) t.notOk(text.includes(value), `${name} holds no ${secret}`);
    t.notMatch(text, JWT, `${name} holds no token`);
  }
  t.match(outputs.repro, /\$OCI_PASSWORD|\$\{OCI_PASSWORD/, 'the curl script reads the password from the environment');
  t.match(outputs.html, /\[redacted\]/, 'the HTML report shows where a secret was');
  t.ok(registry.logs.some((entry) => entry.path.startsWith('/token')), 'the registry logged the token requests');
});
