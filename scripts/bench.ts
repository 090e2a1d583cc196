/**
 * `npm run bench`: the reference registry's speed and memory targets, measured against CNCF
 * Distribution 2.8.2 (Debian's docker-registry) in the same run, on the same machine, with the
 * same client: curl, so that the client costs the same for both and verifies nothing a registry
 * could be slow at. For each blob size (64 MiB and 1 GiB by default), three rounds interleaved
 * (reference, Distribution, reference, Distribution …): push (POST, then PUT with the whole
 * body) and pull (GET to /dev/null); the medians and their ratios. The reference runs as a user
 * runs it (`bin/touchstone.js serve`) and its memory is sampled during every push (VmRSS every
 * 20 ms). Then manifest pushes per second (both registries), a tag listing of 1000 tags, and the
 * suite's default profile against the embedded reference (`npm start`).
 *
 * Targets (issue: "pulls at least as fast as Distribution"): pull ≥ 1.0× and push ≥ 1.5×
 * Distribution for each size; peak RSS during the 1 GiB push < 100 MiB; the default profile
 * under 30 s. Exits 1 when a target is missed. BENCH_SIZES_MB (default "64,1024") and
 * BENCH_ROUNDS (default 3) change the work.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { dir } from 'tmp-promise';
import { OCI_MANIFEST } from '../spec/media-types.ts';
import { main as check } from '../conformance/cli.ts';
import { startEmbeddedReference } from '../cli/embedded.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SIZES_MB = (process.env.BENCH_SIZES_MB ?? '64,1024').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = promisify(execFile);

interface Registry {
  readonly name: 'reference' | 'distribution';
  readonly url: string;
  readonly pid: number;
}

/** A file of `mb` MiB of pseudo-random bytes, and its sha256 digest. */
async function blobFile(path: string, mb: number): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1024 * 1024);
  const out = createWriteStream(path);
  let state = 0x9e3779b9;
  for (let i = 0; i < mb; i++) {
    for (let j = 0; j < chunk.length; j += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, j);
    }
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return `sha256:${hash.digest('hex')}`;
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', ...args], { maxBuffer: 1024 * 1024 });
  return stdout;
}

/** Samples the process's resident memory every 20 ms while `work` runs; returns the peak in MiB. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = 0;
  const sample = async (): Promise<void> => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  };
  const timer = setInterval(() => void sample(), 20);
  try {
    const result = await work();
    await sample();
    return { result, peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** POST then PUT the whole file; MB/s of the PUT. */
async function push(registry: Registry, repo: string, file: string, digest: string, mb: number): Promise<number> {
  const head = await curl(['-D', '-', '-o', '/dev/null', '-X', 'POST', `${registry.url}/v2/${repo}/blobs/uploads/`]);
  const location = /^location:\s*(\S+)/im.exec(head)?.[1];
  if (!location) throw new Error(`${registry.name}: POST answered no Location:\n${head}`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', digest);
  const out = await curl(['-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-X', 'PUT', '-H', 'Expect:', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${file}`, url.toString()]);
  const [status, seconds] = out.trim().split(' ');
  if (status !== '201') throw new Error(`${registry.name}: PUT of the blob answered ${status}`);
  return mb / Number(seconds);
}

/** GET to /dev/null; MB/s. */
async function pull(registry: Registry, repo: string, digest: string, mb: number): Promise<number> {
  const out = await curl(['-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', `${registry.url}/v2/${repo}/blobs/${digest}`]);
  const [status, size, seconds] = out.trim().split(' ');
  if (status !== '200' || Number(size) !== mb * 1024 * 1024) throw new Error(`${registry.name}: GET of the blob answered ${status} with ${size} bytes`);
  return mb / Number(seconds);
}

async function manifestPushes(registry: Registry, count: number): Promise<number> {
  const config = Buffer.from('{}');
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const upload = await curl(['-D', '-', '-o', '/dev/null', '-X', 'POST', `${registry.url}/v2/bench/manifests/blobs/uploads/`]);
  const location = new URL(/^location:\s*(\S+)/im.exec(upload)?.[1] ?? '', registry.url);
  location.searchParams.set('digest', configDigest);
  await curl(['-o', '/dev/null', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', '{}', location.toString()]);
  const started = performance.now();
  for (let i = 0; i < count; i += 50) {
    // 50 requests per curl process: the cost of starting curl does not swamp a registry's answer.
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 50); j++) {
      const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: configDigest, size: 2 }, layers: [], annotations: { i: String(j) } });
      args.push('-o', '/dev/null', '-w', '%{http_code}\\n', '-X', 'PUT', '-H', `Content-Type: ${OCI_MANIFEST}`, '--data-binary', body, `${registry.url}/v2/bench/manifests/manifests/tag-${j}`, '--next');
    }
    const codes = (await curl(args.slice(0, -1))).trim().split('\n');
    if (codes.some((code) => code !== '201')) throw new Error(`${registry.name}: manifest pushes answered ${[...new Set(codes)].join(', ')}`);
  }
  return count / ((performance.now() - started) / 1000);
}

async function startReference(root: string): Promise<{ registry: Registry; child: ChildProcess }> {
  const child = spawn(join(ROOT, 'bin/touchstone.js'), ['serve', '--port', '0', '--root', root, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((ok, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`the reference did not start: ${text}`)), 30_000);
    child.stderr?.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /listening on (\S+)/.exec(text);
      if (m?.[1]) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
  });
  return { registry: { name: 'reference', url, pid: child.pid ?? 0 }, child };
}

async function startDistribution(root: string): Promise<Registry> {
  const { stdout } = await run(join(ROOT, 'scripts/distribution.sh'), ['start', root]);
  const pid = Number((await readFile(join(root, 'pid'), 'utf8')).trim());
  return { name: 'distribution', url: stdout.trim(), pid };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const fixed = (n: number, digits = 0): string => n.toFixed(digits);

async function main(): Promise<number> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-bench-' });
  const { registry: reference, child } = await startReference(join(tmp.path, 'reference'));
  const distribution = await startDistribution(join(tmp.path, 'distribution'));
  const lines: string[] = [];
  let missed = 0;
  const target = (ok: boolean, text: string): void => {
    if (!ok) missed += 1;
    lines.push(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  };
  try {
    const table = ['| blob | push: reference | push: Distribution | ratio | pull: reference | pull: Distribution | ratio | reference peak RSS during the push |', '|---|---|---|---|---|---|---|---|'];
    for (const mb of SIZES_MB) {
      const file = join(tmp.path, `blob-${mb}`);
      const digest = await blobFile(file, mb);
      const speeds = { reference: { push: [] as number[], pull: [] as number[] }, distribution: { push: [] as number[], pull: [] as number[] } };
      let peakMb = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const registry of [reference, distribution]) {
          const repo = `bench/r${round}-${mb}`;
          if (registry === reference) {
            const measured = await peakRss(registry.pid, () => push(registry, repo, file, digest, mb));
            speeds.reference.push.push(measured.result);
            peakMb = Math.max(peakMb, measured.peakMb);
          } else {
            speeds.distribution.push.push(await push(registry, repo, file, digest, mb));
          }
          speeds[registry.name].pull.push(await pull(registry, repo, digest, mb));
        }
      }
      const m = { rp: median(speeds.reference.push), dp: median(speeds.distribution.push), rl: median(speeds.reference.pull), dl: median(speeds.distribution.pull) };
      const label = mb >= 1024 ? `${mb / 1024} GiB` : `${mb} MiB`;
      table.push(`| ${label} | ${fixed(m.rp)} MB/s | ${fixed(m.dp)} MB/s | ${fixed(m.rp / m.dp, 2)}× | ${fixed(m.rl)} MB/s | ${fixed(m.dl)} MB/s | ${fixed(m.rl / m.dl, 2)}× | ${fixed(peakMb, 1)} MiB |`);
      target(m.rp / m.dp >= 1.5, `push ${label}: ${fixed(m.rp / m.dp, 2)}× Distribution (target ≥ 1.5×; medians of ${ROUNDS})`);
      target(m.rl / m.dl >= 1.0, `pull ${label}: ${fixed(m.rl / m.dl, 2)}× Distribution (target ≥ 1.0×)`);
      if (mb >= 1024) target(peakMb < 100, `peak RSS during a ${label} push: ${fixed(peakMb, 1)} MiB (target < 100 MiB)`);
    }
    const manifests = { reference: await manifestPushes(reference, 500), distribution: await manifestPushes(distribution, 500) };
    table.push('', `| manifest pushes | reference ${fixed(manifests.reference)}/s | Distribution ${fixed(manifests.distribution)}/s | ${fixed(manifests.reference / manifests.distribution, 2)}× |`);
    const started = performance.now();
    const listed = await curl(['-o', '/dev/null', '-w', '%{http_code}', `${reference.url}/v2/bench/manifests/tags/list?n=1000`]);
    const tagListMs = performance.now() - started;
    target(listed === '200', `tags/list of 500 tags: ${fixed(tagListMs)} ms (including starting curl)`);

    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    const profileStarted = performance.now();
    const code = await check([], { embedded: () => startEmbeddedReference(), stdout: quiet, stderr: quiet });
    const profileSeconds = (performance.now() - profileStarted) / 1000;
    target(code === 0 && profileSeconds < 30, `the default profile against the embedded reference: ${fixed(profileSeconds, 1)} s, exit ${code} (target < 30 s)`);
    process.stdout.write(`${table.join('\n')}\n\n${lines.join('\n')}\n${missed} targets missed\n`);
    return missed === 0 ? 0 : 1;
  } finally {
    child.kill('SIGTERM');
    await run(join(ROOT, 'scripts/distribution.sh'), ['stop', join(tmp.path, 'distribution')]).catch(() => undefined);
    await once(child, 'exit').catch(() => undefined);
    await tmp.cleanup();
  }
}

process.exitCode = await main();
