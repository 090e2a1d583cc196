/**
 * When a blob's age starts, for the grace period of docs/gc.md#grace-period: from the moment it
 * arrived in the repository, that is the close of its upload (end-6) or its mount (end-11), not
 * from when its bytes were written. A client that uploads a large layer slowly, or mounts a blob
 * that has been sitting in the target (or the source) for long, pushes the manifest that needs it
 * right after; a collector that dates the blob by its bytes deletes it in between, and the push
 * then fails or, worse, serves an image whose layer is gone (§Pushing Manifests: the manifest
 * "MUST reference any blobs that make up the object"). The check writes a blob's bytes, waits
 * AGED_MS, closes the upload and mounts two blobs already old, then collects as if the grace period
 * less half that wait had passed since: dated from arrival every blob is young, dated from its
 * bytes every one is old. It needs a trigger that can collect as if time had passed (the reference
 * registry's); it skips otherwise, or when the registry was too slow for the margin to tell.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure } from '../client/errors.ts';
import { expectBody, expectStatus } from '../client/expect.ts';
import { openUpload, OCTET, putClose } from '../client/protocol.ts';
import { randomBlob, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds, triggerOf } from './gc.ts';
import { defineChecks } from './types.ts';

/** Between the bytes and the arrival; the collection lands half of it inside the grace period. */
const AGED_MS = 2_000;

interface Arrival {
  readonly repo: string;
  readonly blob: Content;
  readonly why: string;
}

/** A chunked upload with every byte sent and not yet closed: its Location. */
async function uploadedNotClosed(ctx: CheckContext, repo: string, blob: Content): Promise<string> {
  const session = await openUpload(ctx.client, repo);
  const reply = await ctx.request('PATCH', session.url, { body: blob.bytes, headers: { ...OCTET, 'Content-Range': `0-${blob.size - 1}`, 'Content-Length': String(blob.size) } });
  expectStatus(reply, [202], `setup: PATCH all ${blob.size} bytes of the blob`);
  const location = reply.header('location');
  if (location === undefined || location === '') throw new CheckFailure('setup: 202 to the PATCH without a Location', reply.exchange);
  return ctx.client.resolve(location);
}

/** POST ?mount=&from=; true for 201 (mounted), false for 202 (the registry would not: its session is cancelled). */
export async function mount(ctx: CheckContext, from: string, to: string, blob: Content): Promise<boolean> {
  const reply = await ctx.request('POST', `/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${from}`, { headers: { 'Content-Length': '0' } });
  expectStatus(reply, [201, 202], `POST ?mount=${blob.digest}&from=${from} to ${to}`);
  if (reply.status === 202) {
    const location = reply.header('location');
    if (location) await ctx.request('DELETE', ctx.client.resolve(location)).catch(() => undefined);
  }
  return reply.status === 201;
}

export default defineChecks([
  {
    id: 'gc.safety.age-from-arrival',
    title: 'A blob is young from its arrival (the upload\'s close, a mount), not from its bytes: a collection within the grace period of the arrival keeps it',
    spec: `${gcRule('grace-period')}: blobs begin life unreferenced and the manifest comes after them; §Pushing a blob in chunks (end-6: the closing PUT makes the blob), §Mounting a blob from another repository (end-11: 201 "the blob has been mounted")`,
    level: 'MUST',
    async run(ctx) {
      const trigger = triggerOf(ctx);
      const { graceMs } = ctx.config.gc;
      if (!trigger.canAdvance) ctx.skip(`the GC trigger (${trigger.description}) cannot collect as if a given time had passed, and the grace period is ${seconds(graceMs)}`);
      if (graceMs <= AGED_MS) ctx.skip(`the grace period (${seconds(graceMs)}) is not longer than the ${AGED_MS} ms the check ages the blobs by`);
      const repo = ctx.repo('gc-arrival');
      const source = ctx.repo('gc-arrival-source');
      const fresh = ctx.repo('gc-arrival-target');
      const closed = randomBlob(1500);
      const held = randomBlob(1600);
      const linked = randomBlob(1700);
      const session = await uploadedNotClosed(ctx, repo, closed);
      await ctx.pushBlob(source, held);
      await ctx.pushBlob(repo, held);
      await ctx.pushBlob(source, linked);
      await sleep(AGED_MS);
      const arrived = Date.now();
      expectStatus(await putClose(ctx.client, session, closed.digest), [201], `PUT ?digest=${closed.digest} closing the upload whose bytes were sent ${AGED_MS} ms before`);
      const arrivals: Arrival[] = [{ repo, blob: closed, why: `its upload closed just before the collection; its bytes were written ${AGED_MS} ms earlier` }];
      const notes: string[] = [];
      if (await mount(ctx, source, repo, held)) arrivals.push({ repo, blob: held, why: `mounted just before the collection into ${repo}, which held it since ${AGED_MS} ms earlier` });
      else notes.push('the mount of a blob the target holds answered 202');
      if (await mount(ctx, source, fresh, linked)) arrivals.push({ repo: fresh, blob: linked, why: `mounted just before the collection from ${source}, where it was pushed ${AGED_MS} ms earlier` });
      else notes.push('the mount into a fresh repository answered 202');
      const advanceMs = graceMs - AGED_MS / 2;
      await collection(trigger, advanceMs, '').run();
      const late = Date.now() - arrived;
      for (const { repo: where, blob, why } of arrivals) {
        const reply = await ctx.request('GET', `/v2/${where}/blobs/${blob.digest}`);
        if (reply.status === 404) {
          if (late >= AGED_MS / 2) ctx.skip(`the collection ended ${late} ms after the arrivals, past the margin of ${AGED_MS / 2} ms: the blobs may have been old even dated from their arrival`);
          throw new CheckFailure(`a collection as if ${seconds(advanceMs)} had passed (the grace period is ${seconds(graceMs)}) removed blob ${blob.digest} of ${where}, ${why}: dated from its arrival it was young, so it had to stay`, reply.exchange);
        }
        expectStatus(reply, [200], `GET of blob ${blob.digest} of ${where} after the collection`);
        expectBody(reply, blob.bytes, `GET of blob ${blob.digest} of ${where} after the collection`);
      }
      return [`${arrivals.length} blobs kept by a collection as if ${seconds(advanceMs)} had passed since their arrival (${AGED_MS} ms more since their bytes)`, ...notes].join('; ');
    },
  },
]);
