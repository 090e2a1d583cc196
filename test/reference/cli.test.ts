/**
 * The command line, run as child processes the way an operator runs it (`node --import tsx
 * reference/cli.ts …`) against a store prepared here: `gc` prints what it removed and a summary,
 * `scrub` exits 0 on a clean store and 1 with DAMAGED lines on a damaged one, and usage errors
 * exit 2 with the usage text.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ImageStore } from '../../reference/store/image-store.ts';
import { content, type Content } from '../helpers/oci.ts';
import { childEnv } from '../helpers/tools.ts';
import { buildImage, openTestStore, putBlob, putImage, type StoredImage } from '../helpers/store.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const R = 'cli/repo';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with `args`; never throws, bounded by a timeout. */
function cli(args: readonly string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, ['--import', 'tsx', 'reference/cli.ts', ...args], { cwd: ROOT, env: childEnv(), timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

interface Prepared {
  readonly root: string;
  readonly image: StoredImage;
  readonly untagged: StoredImage;
  readonly loose: Content;
}

/** A store with a tagged image, an untagged image (its tag moved away) and one loose blob. */
async function prepare(t: Test): Promise<Prepared> {
  const { store, root } = await openTestStore(t);
  const untagged = await putImage(store, R, 'latest', buildImage('cli-old'));
  const image = await putImage(store, R, 'latest', buildImage('cli-new'));
  const loose = content('a blob no manifest references');
  await putBlob(store, R, loose);
  return { root, image, untagged, loose };
}

t.test('gc --grace 0 removes unreferenced blobs and prints a summary', async (t) => {
  const { root, image, untagged, loose } = await prepare(t);
  const run = await cli(['gc', '--root', root, '--grace', '0']);
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr})`);
  t.match(run.stdout, `removed blob ${R}@${loose.digest}\n`, 'names the removed blob');
  t.match(run.stdout, /^gc: 1 repositories, 0 manifests, 1 blobs \(29 bytes\), 0 uploads, 0 temporary files removed$/m, 'summary line');
  t.notMatch(run.stdout, /removed manifest/, 'no manifest removed without --delete-untagged');
  const store = await ImageStore.open(root);
  t.notOk(await store.blobs.has(R, loose.digest), 'the loose blob is gone from disk');
  for (const blob of [image.manifest, image.config, ...image.layers, untagged.manifest, untagged.config, ...untagged.layers]) {
    t.ok(await store.blobs.has(R, blob.digest), `referenced blob ${blob.digest.slice(7, 19)} kept`);
  }
});

t.test('gc --grace 0 --delete-untagged removes the untagged manifest too', async (t) => {
  const { root, image, untagged } = await prepare(t);
  const run = await cli(['gc', '--root', root, '--grace', '0', '--delete-untagged']);
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr})`);
  t.match(run.stdout, `removed manifest ${R}@${untagged.manifest.digest}\n`, 'names the removed manifest');
  t.match(run.stdout, /^gc: 1 repositories, 1 manifests, 5 blobs \(\d+ bytes\), 0 uploads, 0 temporary files removed$/m, 'summary: the manifest, its 3 blobs, its own blob and the loose one');
  const store = await ImageStore.open(root);
  t.same(await store.manifests.tags(R), ['latest'], 'the tag stays');
  t.equal((await store.manifests.get(R, 'latest')).digest, image.manifest.digest, 'the tagged image stays');
  t.notOk(await store.blobs.has(R, untagged.config.digest), 'the untagged image\'s config is gone');
});

t.test('gc with the default grace period keeps fresh blobs', async (t) => {
  const { root, loose } = await prepare(t);
  const run = await cli(['gc', '--root', root]);
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr})`);
  t.match(run.stdout, /^gc: 1 repositories, 0 manifests, 0 blobs \(0 bytes\), 0 uploads, 0 temporary files removed$/m, 'nothing removed');
  t.ok(await (await ImageStore.open(root)).blobs.has(R, loose.digest), 'the fresh loose blob survives the 1-hour grace');
});

t.test('scrub exits 0 on a clean store and 1 with DAMAGED lines on a damaged one', async (t) => {
  const { root, image } = await prepare(t);
  const clean = await cli(['scrub', '--root', root]);
  t.equal(clean.code, 0, `exit 0 on a clean store (stderr: ${clean.stderr})`);
  t.notMatch(clean.stdout, /DAMAGED/, 'no DAMAGED line');
  t.match(clean.stdout, /^scrub: 1 repositories, 9 blobs, 2 manifests checked, 0 problems$/m, 'summary line');

  const layerDigest = (image.layers[0] as Content).digest;
  const [algorithm, hex] = layerDigest.split(':') as [string, string];
  await writeFile(join(root, 'repositories', encodeURIComponent(R), 'blobs', algorithm, hex), 'flipped');
  const damaged = await cli(['scrub', '--root', root]);
  t.equal(damaged.code, 1, 'exit 1 on a damaged store');
  t.match(damaged.stdout, new RegExp(`^DAMAGED ${R} ${layerDigest}: content has digest sha256:[0-9a-f]{64}$`, 'm'), 'a DAMAGED line names the blob');
  t.match(damaged.stdout, /^scrub: .* 1 problems$/m, 'the summary counts it');

  await rm(join(root, 'repositories', encodeURIComponent(R), 'blobs', algorithm, hex));
  const missing = await cli(['scrub', '--root', root]);
  t.equal(missing.code, 1, 'exit 1 with a missing layer');
  t.match(missing.stdout, `DAMAGED ${R} ${image.manifest.digest}: references missing blob ${layerDigest}`, 'the manifest names the missing layer');
});

t.test('usage errors exit 2 with the usage text', async (t) => {
  const { root } = await openTestStore(t);
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command frobnicate/],
    ['no command', [], /no command given/],
    ['gc without --root', ['gc'], /gc needs --root DIR/],
    ['scrub without --root', ['scrub'], /scrub needs --root DIR/],
    ['a bad --grace', ['gc', '--root', root, '--grace', 'soon'], /--grace needs a number of seconds, got soon/],
    ['a negative --grace', ['gc', '--root', root, '--grace=-5'], /--grace needs a number of seconds/],
    ['an unknown option', ['scrub', '--root', root, '--verbose'], /verbose/],
  ];
  const runs = await Promise.all(cases.map(([, args]) => cli(args)));
  for (const [i, [what, , message]] of cases.entries()) {
    const run = runs[i] as Run;
    t.equal(run.code, 2, `${what}: exit 2`);
    t.match(run.stderr, message, `${what}: says what is wrong`);
    t.match(run.stderr, /usage:\n {2}touchstone serve [^]*\n {2}touchstone gc --root DIR [^]*\n {2}touchstone scrub --root DIR\n$/, `${what}: prints the usage`);
    t.equal(run.stdout, '', `${what}: nothing on stdout`);
  }
});
