/**
 * Scenario "stalls" (issue 9, bounded resources): clients that stall — manifest uploads that declare
 * 4 MiB − 1 bytes (under the 4 MiB the reference accepts), send all but the last byte and go
 * silent, and idle connections that send nothing or half a request line — while `GET /v2/` is
 * timed on fresh connections and the registry's RSS is sampled (/proc/PID/status). Goals: peak RSS
 * under 200 MiB, `GET /v2/` p99 under 50 ms, and every stalled connection closed by the registry
 * (an idle timeout on bodies and headers) before the hold ends. The hold defaults to 70 s, longer
 * than the 60 s default timeout the issue asks for; a registry with a shorter timeout flag can be
 * held for less (`serveArgs` + `holdSeconds`).
 */
import { connect, type Socket } from 'node:net';
import { dir } from 'tmp-promise';
import { MANIFEST_MAX_BYTES, OCI_MANIFEST } from '../spec/media-types.ts';
import { count, load, mib, ms, percentile, RssSampler, sleep } from './measure.ts';
import { RawClient } from './raw.ts';
import { startRegistry } from './registry.ts';
import { goal, type CommonOptions, type Outcome } from './scenario.ts';

export interface StallsOptions extends CommonOptions {
  readonly stalled?: number;
  readonly idle?: number;
  readonly probes?: number;
  readonly holdSeconds?: number;
  /** Goals (issue 9): peak RSS and `GET /v2/` p99. */
  readonly rssGoalMiB?: number;
  readonly p99GoalMs?: number;
}

export interface StallsFigures {
  readonly stalled: number;
  readonly idle: number;
  readonly baselineRssMiB: number;
  readonly peakRssMiB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly probesFailed: number;
  readonly stalledClosed: number;
  readonly idleClosed: number;
  readonly holdSeconds: number;
}

interface Stall {
  readonly socket: Socket;
  closedAt: number | undefined;
}

const DECLARED = MANIFEST_MAX_BYTES - 1;
const SEND_CONCURRENCY = 16;
const WRITE_TIMEOUT_MS = 60_000;

function watch(socket: Socket): Stall {
  const stall: Stall = { socket, closedAt: undefined };
  const closed = (): void => {
    stall.closedAt ??= performance.now();
  };
  socket.on('end', closed).on('close', closed).on('error', closed).on('data', () => undefined);
  return stall;
}

function open(port: number): Promise<Socket> {
  return new Promise((ok, fail) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => ok(socket));
    socket.once('error', fail);
  });
}

/** Writes `bytes`; resolves once the kernel took them, the connection closed, or the timeout passed. */
function write(stall: Stall, bytes: Buffer): Promise<void> {
  return new Promise((ok) => {
    const timer = setTimeout(ok, WRITE_TIMEOUT_MS);
    stall.socket.write(bytes, () => {
      clearTimeout(timer);
      ok();
    });
  });
}

export async function runStalls(options: StallsOptions = {}): Promise<Outcome<StallsFigures>> {
  const stalledCount = options.stalled ?? 300;
  const idleCount = options.idle ?? 500;
  const probes = options.probes ?? 200;
  const holdSeconds = options.holdSeconds ?? 70;
  const rssGoal = options.rssGoalMiB ?? 200;
  const p99Goal = options.p99GoalMs ?? 50;
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-torture-stalls-' });
  const registry = await startRegistry(tmp.path, { env: options.env, args: options.serveArgs ?? [] });
  const port = Number(new URL(registry.url).port);
  const sampler = new RssSampler(registry.pid);
  const baseline = await sampler.sample();
  const stalled: Stall[] = [];
  const idle: Stall[] = [];
  try {
    // Idle connections first: half send nothing, half half a request line.
    for (let i = 0; i < idleCount; i++) {
      const stall = watch(await open(port));
      idle.push(stall);
      if (i % 2 === 1) stall.socket.write(i % 4 === 1 ? 'GET /v2/ HT' : 'PUT /v2/stall/manifests/x HTTP/1.1\r\nContent-Le');
    }
    // Stalled manifest uploads: all but the last byte of the declared body.
    const body = Buffer.alloc(DECLARED - 1, 0x20);
    body.write('{"schemaVersion":2,"annotations":{"pad":"');
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < stalledCount) {
        const i = next++;
        const stall = watch(await open(port));
        stalled.push(stall);
        await write(stall, Buffer.from(`PUT /v2/stall/repo/manifests/t${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${OCI_MANIFEST}\r\nContent-Length: ${DECLARED}\r\n\r\n`));
        await write(stall, body);
      }
    };
    await Promise.all(Array.from({ length: SEND_CONCURRENCY }, sender));
    const silentFrom = performance.now();
    options.progress?.(`stalls: ${stalledCount} uploads stalled, ${idleCount} connections idle, RSS ${mib(await sampler.sample())}`);

    // GET /v2/ on a fresh connection each time, while everything above stays open.
    const latencies: number[] = [];
    let probesFailed = 0;
    for (let i = 0; i < probes; i++) {
      const started = performance.now();
      const outcome = await new RawClient(port).send({ bytes: Buffer.from('GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n') }, 10_000);
      if (outcome.kind === 'answer' && outcome.status === 200) latencies.push(performance.now() - started);
      else probesFailed += 1;
    }
    const holdUntil = silentFrom + holdSeconds * 1000;
    while (performance.now() < holdUntil && [...stalled, ...idle].some((s) => s.closedAt === undefined)) await sleep(Math.min(250, holdUntil - performance.now()));

    const closedBy = (list: Stall[]): number => list.filter((s) => s.closedAt !== undefined && s.closedAt <= holdUntil).length;
    const figures: StallsFigures = {
      stalled: stalledCount,
      idle: idleCount,
      baselineRssMiB: baseline,
      peakRssMiB: await sampler.stop(),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      probesFailed,
      stalledClosed: closedBy(stalled),
      idleClosed: closedBy(idle),
      holdSeconds,
    };
    const line =
      `stalls: ${count(stalledCount)} stalled manifest uploads (${count(DECLARED)} bytes declared) + ${count(idleCount)} idle connections: ` +
      `peak RSS ${mib(figures.peakRssMiB)} (from ${mib(baseline)}), GET /v2/ p50 ${ms(figures.p50Ms)} p99 ${ms(figures.p99Ms)} over ${probes} (${probesFailed} failed); ` +
      `closed by the registry within ${holdSeconds} s: ${count(figures.stalledClosed)}/${count(stalledCount)} stalled, ${count(figures.idleClosed)}/${count(idleCount)} idle (load ${load()})`;
    const goals = [
      goal(`peak RSS < ${rssGoal} MiB`, mib(figures.peakRssMiB), figures.peakRssMiB < rssGoal),
      goal(`GET /v2/ p99 < ${p99Goal} ms`, ms(figures.p99Ms), figures.p99Ms < p99Goal && probesFailed === 0),
      goal(`stalled connections closed within ${holdSeconds} s`, `${figures.stalledClosed + figures.idleClosed}/${stalledCount + idleCount}`, figures.stalledClosed + figures.idleClosed === stalledCount + idleCount),
    ];
    return { figures, line, goals, samples: [] };
  } finally {
    await sampler.stop();
    for (const stall of [...stalled, ...idle]) stall.socket.destroy();
    await registry.stop();
    await tmp.cleanup();
  }
}
