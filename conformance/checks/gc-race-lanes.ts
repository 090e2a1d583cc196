/**
 * What the read races share (gc-race-reads.ts: pulls, gc-race-referrers.ts: referrers listings):
 * lanes that send requests in tight loops while a collection deletes untagged manifests, one
 * collection per round. A round starts the lanes, waits until they have been answered a few times,
 * runs the collection, and stops the lanes however it ended; the lanes stop on their own at the
 * first wrong answer, or a while into the collection (a registry holding many repositories would
 * otherwise see its collection wait for them). A registry that answers nothing while it collects
 * (an offline collection, as CNCF Distribution's garbage-collect) is never raced: the lanes count
 * the unanswered requests and the check skips. After each round, the untagged manifests must be
 * gone (the run declares that the registry reclaims them; docs/gc.md#untagged-manifests), or
 * nothing raced.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { Content } from '../content.ts';
import { inParallel } from '../model/probe.ts';
import type { CheckContext } from './context.ts';
import type { Collection } from './gc.ts';

/** After a refused connection (an offline collection), a lane waits this long before it tries again. */
const RETRY_MS = 50;

/** The state a round's lanes share. */
export interface LaneRace {
  /** Which collection the lanes race, for the failure message. */
  label: string;
  /** Requests answered since the round started. */
  answered: number;
  collecting: boolean;
  stop: boolean;
  failure: unknown;
  /** Once a collection has started, the lanes send until then at the latest. */
  until: number;
  /** Requests left unanswered while the registry collected. */
  unanswered: number;
}

export function newRace(): LaneRace {
  return { label: '', answered: 0, collecting: false, stop: false, failure: undefined, until: Infinity, unanswered: 0 };
}

/**
 * One request of a lane, `send` (which judges the answer): a failure stops every lane; a request
 * left unanswered while the registry collects is counted, and the lane tries again a little later.
 */
export async function laneRequest(race: LaneRace, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (error instanceof HarnessError && race.collecting) {
      race.unanswered += 1;
      await sleep(RETRY_MS);
      return;
    }
    race.failure ??= error;
    race.stop = true;
  }
}

export interface RoundOptions {
  /** How many lanes run `lane`, each with its index. */
  readonly lanes: number;
  /** Requests answered before the collection starts. */
  readonly warmUp: number;
  /** The lanes stop this long after the collection started. */
  readonly windowMs: number;
  /** Nothing waits past this instant. */
  readonly deadline: number;
}

/** One round: the lanes started, warmed up, raced against `collect`, and stopped; throws the first wrong answer. */
export async function raceRound(race: LaneRace, label: string, collect: Collection, lane: (index: number) => Promise<void>, options: RoundOptions): Promise<void> {
  Object.assign(race, { label, answered: 0, collecting: false, stop: false, until: Infinity });
  const running = inParallel(Array.from({ length: options.lanes }, (_, i) => i), lane, options.lanes);
  let collected: unknown;
  try {
    while (!race.stop && race.answered < options.warmUp && Date.now() < options.deadline) await sleep(2);
    race.collecting = true;
    race.until = Date.now() + options.windowMs;
    collected = await collect.run().then(() => undefined, (error: unknown) => error);
  } finally {
    // The lanes stop whatever happened: the check leaves nothing running.
    race.stop = true;
    await running;
  }
  if (race.failure !== undefined) throw race.failure;
  if (collected !== undefined) throw collected;
}

/** After a round: `manifests`, untagged and older than the grace period, must be gone, else `raced` never met their deletion. */
export async function expectUntaggedGone(ctx: CheckContext, repo: string, manifests: readonly Content[], label: string, raced: string): Promise<void> {
  for (const manifest of manifests) {
    const reply = await ctx.request('GET', `/v2/${repo}/manifests/${manifest.digest}`, { headers: ACCEPT_MANIFESTS });
    if (reply.status === 200) {
      throw new CheckFailure(`${label}: untagged manifest ${repo}@${manifest.digest}, older than the grace period and reachable from nothing, is still served after the collection although the run declares that the registry reclaims untagged manifests: no ${raced} raced its deletion`, reply.exchange);
    }
    expectStatus(reply, [404], `${label}: GET ${repo}@${manifest.digest} (untagged) after the collection`);
  }
}
