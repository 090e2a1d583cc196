/**
 * Scenario "hostile" (issue 9: bad input gets a 4xx, never a 5xx or a crash): sends the generated
 * hostile requests (torture/hostile-requests.ts, reproducible from the seed it prints) over raw TCP
 * connections, many at once, to a registry seeded with an image, tags and open upload sessions so
 * that valid names reach every handler. Counts the answers by status class, the connections the
 * registry closed without answering (after a well-framed request, and after one whose end only a
 * half-close marks: a lying or malformed length), and requests left unanswered past the timeout; keeps one sample of each kind of request
 * answered 5xx (by status and target), closed early (by method) or left unanswered, with how many
 * there were; and finally checks the registry is still alive and answers `GET /v2/` with 200.
 */
import { dir } from 'tmp-promise';
import { content, imageConfig, imageManifest } from '../conformance/content.ts';
import { OCI_LAYER_TAR_GZIP } from '../spec/media-types.ts';
import { pushBlob } from './flows.ts';
import { Client } from './http.ts';
import { hostileRequest, type HostileRequest, type Targets } from './hostile-requests.ts';
import { count, load } from './measure.ts';
import { RawClient } from './raw.ts';
import { startRegistry } from './registry.ts';
import { goal, type CommonOptions, type Outcome } from './scenario.ts';

export interface HostileOptions extends CommonOptions {
  readonly requests?: number;
  readonly connections?: number;
  readonly seed?: number;
  readonly timeoutMs?: number;
}

export interface HostileFigures {
  readonly requests: number;
  readonly seed: number;
  /** Answers by class: "2xx" … "5xx", and "other" for an unparsable status line. */
  readonly answers: Readonly<Record<string, number>>;
  readonly fiveXx: number;
  readonly closedAfterFramed: number;
  readonly closedAfterHalfClose: number;
  readonly timedOut: number;
  readonly alive: boolean;
  readonly baseStatus: number;
}

const SEED_REPOS = ['hostile/seed', 'hostile/a/b/c'];
const SAMPLE_BYTES = 240;

function requestLine(request: HostileRequest): { method: string; target: string } {
  const [method = '', target = ''] = request.bytes.subarray(0, 200).toString('latin1').split(/[ \r\n]/);
  return { method, target: target.slice(0, 80) };
}

/** Offending requests counted by kind, the first of each kind kept as a sample. */
class Offenders {
  readonly #kinds = new Map<string, { count: number; sample: string }>();

  add(kind: string, sample: () => string): void {
    const known = this.#kinds.get(kind);
    if (known) known.count += 1;
    else this.#kinds.set(kind, { count: 1, sample: sample() });
  }

  /** The `n` most frequent kinds, as "N× <first sample>". */
  top(n: number): string[] {
    return [...this.#kinds.values()].sort((a, b) => b.count - a.count).slice(0, n).map((k) => `${count(k.count)}× like ${k.sample}`);
  }
}

function printable(request: HostileRequest): string {
  const text = request.bytes.subarray(0, SAMPLE_BYTES).toString('latin1');
  const escaped = JSON.stringify(text).slice(1, -1);
  return request.bytes.length > SAMPLE_BYTES ? `${escaped}… (${count(request.bytes.length)} bytes)` : escaped;
}

export async function runHostile(options: HostileOptions = {}): Promise<Outcome<HostileFigures>> {
  const total = options.requests ?? 100_000;
  const lanes = options.connections ?? 32;
  const seed = options.seed ?? 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-torture-hostile-' });
  const registry = await startRegistry(tmp.path, { env: options.env, args: options.serveArgs ?? [] });
  const client = new Client(registry.url);
  const answers: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 };
  const fiveXx = new Offenders();
  const closedEarly = new Offenders();
  const unanswered = new Offenders();
  let closedAfterFramed = 0;
  let closedAfterHalfClose = 0;
  let timedOut = 0;
  try {
    const targets = await seedRegistry(client, seed);
    const port = Number(new URL(registry.url).port);
    let next = 0;
    const lane = async (): Promise<void> => {
      const raw = new RawClient(port);
      try {
        while (next < total) {
          const index = next++;
          const request = hostileRequest(seed, index, targets);
          const outcome = await raw.send(request, timeoutMs);
          if (outcome.kind === 'closed') {
            if (request.halfClose) closedAfterHalfClose += 1;
            else closedAfterFramed += 1;
            if (!request.halfClose) closedEarly.add(requestLine(request).method, () => `#${index} closed without an answer [${request.label}] ${printable(request)}`);
          } else if (outcome.kind === 'timeout') {
            timedOut += 1;
            unanswered.add(request.label, () => `#${index} unanswered [${request.label}] ${printable(request)}`);
          } else {
            const status = outcome.status;
            const group = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
            answers[group] = (answers[group] ?? 0) + 1;
            if (group === '5xx') fiveXx.add(`${status} ${requestLine(request).target}`, () => `#${index} → ${status} [${request.label}] ${printable(request)}`);
          }
          if ((index + 1) % 10_000 === 0) options.progress?.(`hostile: ${count(index + 1)} of ${count(total)} sent, ${answers['5xx']} 5xx so far`);
        }
      } finally {
        raw.close();
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    const alive = registry.alive();
    const baseStatus = alive ? await client.request('GET', '/v2/').then((a) => a.status, () => 0) : 0;
    const figures: HostileFigures = { requests: total, seed, answers, fiveXx: answers['5xx'] ?? 0, closedAfterFramed, closedAfterHalfClose, timedOut, alive, baseStatus };
    const classes = ['2xx', '3xx', '4xx', '5xx'].map((c) => `${c} ${count(answers[c] ?? 0)}`).join(', ');
    const odd = (answers['1xx'] ?? 0) + (answers.other ?? 0);
    const line =
      `hostile: ${count(total)} requests (seed ${seed}, ${lanes} connections at once): ${classes}${odd > 0 ? `, other ${count(odd)}` : ''}; ` +
      `closed without an answer ${count(closedAfterFramed + closedAfterHalfClose)} (${count(closedAfterFramed)} after a well-framed request, ` +
      `${count(closedAfterHalfClose)} after one ended by half-close), ${count(timedOut)} unanswered after ${timeoutMs / 1000} s; ` +
      `registry ${alive ? 'alive' : 'DEAD'}, GET /v2/ ${baseStatus || 'no answer'} (load ${load()})`;
    const goals = [
      goal('5xx answers 0', figures.fiveXx, figures.fiveXx === 0),
      goal('registry alive, GET /v2/ 200', alive ? `alive, ${baseStatus}` : 'dead', alive && baseStatus === 200),
    ];
    return { figures, line, goals, samples: [...fiveXx.top(10), ...closedEarly.top(3), ...unanswered.top(3)] };
  } finally {
    await client.close();
    await registry.stop();
    await tmp.cleanup();
  }
}

/** An image under two tags in each seed repository, and open upload sessions with a few bytes in them. */
async function seedRegistry(client: Client, seed: number): Promise<Targets> {
  const config = imageConfig(`hostile-${seed}`);
  const layer = content(`hostile layer ${seed}`, OCI_LAYER_TAR_GZIP);
  const manifest = imageManifest(config, [layer]);
  const sessions: string[] = [];
  for (const repo of SEED_REPOS) {
    for (const blob of [config, layer]) {
      const pushed = await pushBlob(client, repo, blob, 'single-post', blob.size);
      if (pushed.status !== 201) throw new Error(`seeding ${repo}: blob push answered ${pushed.status}`);
    }
    for (const tag of ['latest', 'v1']) {
      const put = await client.putManifest(repo, tag, manifest);
      if (put.status !== 201) throw new Error(`seeding ${repo}: manifest push answered ${put.status}`);
    }
    for (let n = 0; n < 8; n++) {
      const opened = await client.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
      const location = opened.header('location');
      if (opened.status !== 202 || location === undefined) throw new Error(`seeding ${repo}: POST upload answered ${opened.status}`);
      const path = new URL(location, `${client.baseUrl}/`).pathname;
      if (n % 2 === 0) await client.request('PATCH', path, { body: 'abc', headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-2' } });
      sessions.push(path);
    }
  }
  return { names: [...SEED_REPOS, 'hostile/new', 'x'], tags: ['latest', 'v1', 'nope'], digests: [config.digest, layer.digest, manifest.digest], sessions, config, layer };
}
