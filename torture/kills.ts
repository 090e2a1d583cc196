/**
 * Scenario "kills" (issue 9, crash consistency): concurrent writers push by every flow into new and
 * existing repositories (torture/kill-writers.ts); the registry is SIGKILLed at a random instant and
 * restarted on the same root; then, through the registry's own API, every key must hold a value its
 * acknowledged writes allow (torture/ledger.ts: exact bytes of every acknowledged blob and manifest,
 * every tag where the last acknowledged write put it, every acknowledged chunk of an open upload
 * session still there); `touchstone scrub` must exit 0; every repository directory must be a valid
 * OCI image layout (oci-image-tool); temporary files left inside repositories are counted. Repeated
 * for each cycle on the same, growing store.
 */
import { basename } from 'node:path';
import { dir } from 'tmp-promise';
import { digestOf } from '../conformance/content.ts';
import { Client, NoAnswer } from './http.ts';
import { ABSENT, Ledger } from './ledger.ts';
import { LayoutValidator, strayTempFiles } from './layouts.ts';
import { count, load, sleep } from './measure.ts';
import { Random } from './random.ts';
import { scrub, startRegistry, type RegistryProcess } from './registry.ts';
import { goal, type CommonOptions, type Outcome } from './scenario.ts';
import { PRESENT, World, Writer, type Session } from './kill-writers.ts';

export interface KillsOptions extends CommonOptions {
  readonly cycles?: number;
  readonly writers?: number;
  /** New repositories each writer creates per cycle, at random instants before the kill. */
  readonly newRepos?: number;
  /** The kill comes this many milliseconds after the writers start, uniformly at random. */
  readonly killAfterMs?: readonly [number, number];
  readonly seed?: number;
}

export interface KillsFigures {
  readonly cycles: number;
  /** Write requests the registry acknowledged (201/202), chunks of uploads included. */
  readonly acknowledged: number;
  readonly lost: number;
  /** Distinct repository directories found invalid after some cycle, and in how many cycles. */
  readonly invalidLayouts: number;
  readonly cyclesWithInvalidLayouts: number;
  readonly strayTempFiles: number;
  readonly scrubClean: number;
  /** Upload sessions open at a kill with acknowledged chunks, checked to hold them after the restart. */
  readonly sessionsChecked: number;
  /** Kills after which the registry started again on the same root. */
  readonly restarted: number;
  readonly unexpected: number;
  readonly repositories: number;
}

const CHECK_CONCURRENCY = 16;

export async function runKills(options: KillsOptions = {}): Promise<Outcome<KillsFigures>> {
  const cycles = options.cycles ?? 20;
  const writers = options.writers ?? 6;
  const [killMin, killMax] = options.killAfterMs ?? [400, 2500];
  const seed = options.seed ?? 1;
  const rng = new Random(seed);
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-torture-kills-' });
  const ledger = new Ledger();
  const world = new World(ledger, ['kill/base-0', 'kill/base-1', 'kill/nested/base-2']);
  const validator = new LayoutValidator();
  const lost: string[] = [];
  /** Invalid repository directories, with the validator's message the first time. */
  const invalid = new Map<string, string>();
  const temps = new Set<string>();
  let lostCount = 0;
  let cyclesWithInvalid = 0;
  let scrubClean = 0;
  let restarted = 0;
  let sessionsChecked = 0;
  let restartFailure: string | undefined;
  const start = (): Promise<RegistryProcess> => startRegistry(tmp.path, { env: options.env, args: options.serveArgs ?? [] });
  let registry = await start();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const client = new Client(registry.url, { connections: writers * 2 });
      let killed = false;
      const delay = rng.between(killMin, killMax);
      const crews = Array.from({ length: writers }, (_, id) => {
        // New repositories are created at random instants before the kill, so some creations are in flight at it.
        const newRepoAt = Array.from({ length: options.newRepos ?? 2 }, () => rng.between(0, delay)).sort((a, b) => a - b);
        return new Writer(world, client, new Random(seed * 7919 + cycle * 101 + id), { id, cycle, newRepoAt, maxOps: 100_000 }).run(() => killed);
      });
      await Promise.race([sleep(delay), Promise.all(crews)]);
      killed = true;
      await registry.kill();
      await Promise.all(crews);
      await client.close();

      try {
        registry = await start();
      } catch (error) {
        // A store the registry cannot start on after a crash is the worst loss of all: report it, stop.
        restartFailure = `the registry did not restart after kill ${cycle}: ${(error as Error).message}`;
        break;
      }
      restarted += 1;
      for (const file of await strayTempFiles(tmp.path)) temps.add(file);
      // Read-only, so at once: the checks through the API, the layout validator, scrub.
      const checker = new Client(registry.url, { connections: CHECK_CONCURRENCY });
      const [found, bad, scrubbed] = await Promise.all([check(checker, world).finally(() => checker.close()), validator.invalid(tmp.path), scrub(tmp.path, options.env)]);
      lostCount += found.problems.length;
      sessionsChecked += found.sessions;
      lost.push(...found.problems.slice(0, Math.max(0, 10 - lost.length)));
      for (const result of bad) if (!invalid.has(result.dir)) invalid.set(result.dir, `after kill ${cycle}: ${result.message}`);
      if (bad.length > 0) cyclesWithInvalid += 1;
      if (scrubbed.code === 0) scrubClean += 1;
      options.progress?.(
        `kills: cycle ${cycle}/${cycles}: killed after ${delay} ms, ${count(world.acknowledged)} acknowledged so far, ` +
          `${lostCount} lost, ${bad.length} invalid layouts${bad[0] ? ` (${basename(bad[0].dir)}: ${bad[0].message})` : ''}, scrub ${scrubbed.code === 0 ? 'clean' : `exit ${scrubbed.code}: ${scrubbed.output.trim().split('\n')[0]}`}`,
      );
    }
  } finally {
    await registry.stop();
    await tmp.cleanup();
  }

  const figures: KillsFigures = {
    cycles,
    acknowledged: world.acknowledged,
    lost: lostCount,
    invalidLayouts: invalid.size,
    cyclesWithInvalidLayouts: cyclesWithInvalid,
    strayTempFiles: temps.size,
    scrubClean,
    restarted,
    sessionsChecked,
    unexpected: world.unexpectedCount,
    repositories: world.repos.length,
  };
  const line =
    `kills: ${cycles} cycles, ${count(figures.acknowledged)} acknowledged writes, ${count(figures.lost)} lost (every key checked, and ${sessionsChecked} upload sessions open at a kill), ` +
    `${figures.invalidLayouts} invalid layouts (after ${cyclesWithInvalid} of ${cycles} kills), ${figures.strayTempFiles} stray temp files, ` +
    `scrub clean ${scrubClean}/${cycles}, ${restarted === cycles ? '' : `${restarted}/${cycles} restarts, `}${figures.unexpected} unexpected answers (${figures.repositories} repositories, seed ${seed}, load ${load()})`;
  const goals = [
    goal('acknowledged writes lost 0', figures.lost, figures.lost === 0),
    goal('invalid layouts after kills 0', figures.invalidLayouts, figures.invalidLayouts === 0),
    goal(`scrub clean ${cycles}/${cycles}`, `${scrubClean}/${cycles}`, scrubClean === cycles),
    goal('stray temp files 0', figures.strayTempFiles, figures.strayTempFiles === 0),
    goal(`restarts after a kill ${cycles}/${cycles}`, `${restarted}/${cycles}`, restarted === cycles),
    goal('unexpected answers 0', figures.unexpected, figures.unexpected === 0),
  ];
  const samples = [
    ...(restartFailure ? [restartFailure] : []),
    ...lost,
    ...world.unexpected.slice(0, 5),
    ...[...invalid].slice(0, 3).map(([path, message]) => `invalid layout ${basename(path)} ${message}`),
    ...[...temps].slice(0, 2).map((file) => `stray temp file ${file}`),
  ];
  return { figures, line, goals, samples };
}

/** Checks every key against what its writes allow and settles it, then the open sessions; the violations found. */
async function check(client: Client, world: World): Promise<{ problems: string[]; sessions: number }> {
  const problems: string[] = [];
  const unsettled = new Set(world.ledger.unsettled());
  const keys = world.ledger.keys();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const seen = await observe(client, world, key, unsettled.has(key));
      const allowed = world.ledger.allowed(key);
      if (!allowed.has(seen)) problems.push(`${key} holds ${seen}, acknowledged writes allow only ${[...allowed].join(' or ')}`);
      world.ledger.settle(key, seen);
    }
  };
  await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker));
  const open = world.sessions.filter((s) => !s.closed && s.acked > 0);
  for (const session of open) {
    const problem = await checkSession(client, world, session);
    if (problem) problems.push(problem);
    await client.request('DELETE', session.path).catch(() => undefined);
  }
  world.sessions = [];
  return { problems, sessions: open.length };
}

/** What the registry holds for `key`: PRESENT/ABSENT, a digest for a tag, or what went wrong. */
async function observe(client: Client, world: World, key: string, full: boolean): Promise<string> {
  const [kind, repo, ref] = key.split(' ') as [string, string, string];
  try {
    if (kind === 'tag') return (await client.resolve(repo, ref)) ?? ABSENT;
    if (kind === 'manifest') {
      const digest = await client.resolve(repo, ref);
      return digest === undefined ? ABSENT : digest === ref ? PRESENT : `other bytes (${digest})`;
    }
    // A blob is content-addressed: its bytes are read back in full in the cycle it was written, its presence and size after.
    const answer = await client.request(full ? 'GET' : 'HEAD', `/v2/${repo}/blobs/${ref}`);
    if (answer.status === 404) return ABSENT;
    if (answer.status !== 200) return `status ${answer.status}`;
    if (full) return digestOf(answer.body) === ref ? PRESENT : `other bytes (${digestOf(answer.body)})`;
    const size = world.blobs.get(key)?.content.size;
    return Number(answer.header('content-length')) === size ? PRESENT : `${answer.header('content-length')} bytes instead of ${size}`;
  } catch (error) {
    if (error instanceof NoAnswer) return `no answer (${error.message})`;
    return `error: ${(error as Error).message}`;
  }
}

/** An open session must still hold every acknowledged byte (and at most what was sent). */
async function checkSession(client: Client, world: World, session: Session): Promise<string | undefined> {
  const answer = await client.request('GET', session.path).catch((error: unknown) => (error as Error).message);
  if (typeof answer === 'string') return `upload session ${session.path}: no answer (${answer})`;
  // The closing PUT may have landed before the kill: then the session is gone and the blob is there.
  if (answer.status === 404 && world.ledger.believed(session.blob) === PRESENT) return undefined;
  const range = /^0-(\d+)$/.exec(answer.header('range') ?? '');
  const size = range ? Number(range[1]) + 1 : undefined;
  if (answer.status !== 204 || size === undefined || size < session.acked || size > session.sent) {
    return `upload session in ${session.repo}: ${session.acked} bytes acknowledged, ${session.sent} sent, registry answers ${answer.status} Range ${answer.header('range')}`;
  }
  return undefined;
}
