/**
 * What a registry answers past its own limits, which a client cannot know and this suite does not
 * guess: it asks for more than any registry holds and accepts every honest answer. A blob chunk
 * announcing 2^50 bytes (1 PiB; spec "Pushing a blob in chunks", end-5, and the closing PUT
 * carrying the last chunk, end-6) is refused before its body with 413 (RFC 9110 §15.5.14 Content
 * Too Large: "the request content is larger than the server is willing or able to process"), or
 * waited for by a registry without a size limit; never a 2xx for bytes it never received, never a
 * server error. A single POST ?digest= (end-4b) is not probed: a registry may only learn the blob's
 * size from its body there (the reference counts it as it arrives). Manifest PUTs are held whole to
 * be validated, so a registry bounds the manifest bytes arriving at once: PUTs each announcing
 * just under 4 MiB that stop after a first slice, more of them than a registry holds (80 MiB; the
 * reference holds 64 MiB), get 429 (RFC 6585 §4 Too Many Requests) with code TOOMANYREQUESTS
 * (§Error Codes, code-14), or no answer from a registry without such a limit; once the client
 * breaks them off, a push is taken again. The 429 "MAY include a Retry-After header" (RFC 6585 §4;
 * the spec says nothing of it): a MAY, checked on its own, and when sent it is delay-seconds or an
 * HTTP-date (RFC 9110 §10.2.3). Each probe is bounded to about a second.
 */
import { BrokenResponse, CheckFailure } from '../client/errors.ts';
import { ensure, expectCodeIfJson, expectSpecCodesIfJson, expectStatus } from '../client/expect.ts';
import { OCTET, openUpload, releaseUpload, withDigest } from '../client/protocol.ts';
import type { Reply } from '../client/registry-client.ts';
import { randomBlob, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { closedEarly, LARGE_MANIFEST_BYTES, manifestOfSize } from './manifest-size.ts';
import { freshImage, pushBlobsOf, putManifest } from './manifests.ts';
import { defineChecks } from './types.ts';

/** A blob size no registry stores: 1 PiB. */
const BEYOND_ANY_BLOB = 2 ** 50;
/** What a chunk announcing BEYOND_ANY_BLOB sends of it before waiting (a first write carries the request's headers). */
const BLOB_SLICE = 1024;
/** How long a chunk announcing BEYOND_ANY_BLOB waits for an answer before the client breaks it off. */
const BLOB_WAIT_MS = 1000;
/** The answers to such a chunk before its body: refused by its size. A registry may also wait for the body. */
const TOO_LARGE = [413] as const;

/** Manifest PUTs held open at once, each announcing LARGE_MANIFEST_BYTES: 80 MiB in all, more than the reference's 64 MiB. */
const HELD_PUTS = 20;
/** What each held PUT sends of its manifest before waiting. */
const MANIFEST_SLICE = 16 * 1024;
/** The longest the held PUTs may take to get their first slice out. */
const START_BOUND_MS = 3000;
/** How long the held PUTs stay open, once all are out, for the registry to answer those it cannot hold. */
const HOLD_MS = 500;
/**
 * The answers to a held PUT before its body finishes: 429, more than the registry holds at once
 * (code-14); 413 from a registry whose manifest limit is below just-under-4-MiB (a SHOULD that
 * manifests.push.large judges, not this check).
 */
const OVERLOADED = [429, 413] as const;
/** The push after the held PUTs broke off, when it meets 429 (the registry still releasing them): tried this often, RETRY_MS apart. */
const ATTEMPTS = 10;
const RETRY_MS = 200;

/** RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds. */
function retryAfterValid(value: string): boolean {
  return /^\d+$/.test(value.trim()) || (/^[A-Za-z]{3}/.test(value.trim()) && !Number.isNaN(Date.parse(value)));
}

type Outcome = { readonly reply: Reply } | { readonly error: unknown; readonly early: boolean };

interface Held {
  /** The registry's answer, or what ended the request: `early` when before the client broke it off. */
  readonly outcome: Promise<Outcome>;
  /** Settles once the first slice is out (or the request ended). */
  readonly sent: Promise<void>;
  /** The client goes away in the middle of the body. */
  breakOff(): void;
}

/** A request announcing more body than it sends: `first`, then nothing until breakOff(). */
function holdOpen(ctx: CheckContext, method: string, url: string, headers: Record<string, string>, first: Uint8Array): Held {
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markSent = (): void => undefined;
  const sent = new Promise<void>((resolve) => {
    markSent = resolve;
  });
  let broken = false;
  const body = async function* (): AsyncGenerator<Uint8Array> {
    yield first;
    markSent();
    await released;
    throw new Error('touchstone: the client goes away before the body it announced');
  };
  const outcome = ctx.request(method, url, { body: body(), headers }).then(
    (reply): Outcome => ({ reply }),
    (error: unknown): Outcome => ({ error, early: !broken }),
  );
  return {
    outcome,
    sent: Promise.race([sent, outcome.then(() => undefined)]),
    breakOff: () => {
      broken = true;
      release();
    },
  };
}

/** `promise`'s value, or undefined when `ms` pass first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A request the registry ended before the client broke it off, without an answer: its failure, or the harness's. */
function endedEarly(error: unknown, what: string): never {
  if (error instanceof BrokenResponse) throw error;
  if (closedEarly(error)) throw new CheckFailure(`${what}: the connection closed without an answer: ${(error as Error).message}`);
  throw error;
}

/** Sends a chunk announcing BEYOND_ANY_BLOB bytes; a note of what the registry did, or a failure. */
async function chunkBeyondAnySize(ctx: CheckContext, method: string, url: string, headers: Record<string, string>, what: string): Promise<string> {
  const held = holdOpen(ctx, method, url, { ...OCTET, ...headers, 'Content-Length': String(BEYOND_ANY_BLOB) }, randomBlob(BLOB_SLICE).bytes);
  const answered = await within(held.outcome, BLOB_WAIT_MS);
  held.breakOff();
  const outcome = answered ?? (await held.outcome);
  if ('reply' in outcome) {
    const { reply } = outcome;
    const sent = `${what} (${BLOB_SLICE} bytes of it sent)`;
    if (reply.status >= 200 && reply.status < 300) {
      throw new CheckFailure(`${sent}: answered ${reply.status}, a success for ${BEYOND_ANY_BLOB} bytes the registry never received`, reply.exchange);
    }
    expectStatus(reply, TOO_LARGE, sent);
    expectSpecCodesIfJson(reply, sent);
    return `${method}: 413 before the body`;
  }
  if (outcome.early) endedEarly(outcome.error, what);
  return `${method}: no answer within ${BLOB_WAIT_MS} ms (the registry waits for the body: no size limit met)`;
}

interface Crowd {
  /** Every answer to a held PUT (none of their bodies ever finished). */
  readonly answers: readonly Reply[];
  /** Held PUTs the registry closed without an answer before the client broke them off. */
  readonly closed: number;
}

/**
 * HELD_PUTS PUTs of `manifest` at once, each stopping after MANIFEST_SLICE bytes, held HOLD_MS
 * once all are out (or until the first answer, with `untilAnswer`), then broken off.
 */
async function crowd(ctx: CheckContext, repo: string, manifest: Content, untilAnswer: boolean): Promise<Crowd> {
  const headers = { 'Content-Type': manifest.mediaType, 'Content-Length': String(manifest.size) };
  const held = Array.from({ length: HELD_PUTS }, (_, i) => holdOpen(ctx, 'PUT', `/v2/${repo}/manifests/held-${i}`, headers, manifest.bytes.subarray(0, MANIFEST_SLICE)));
  const outcomes = held.map((h) => h.outcome);
  const waits: Promise<unknown>[] = [Promise.all(outcomes), Promise.all(held.map((h) => h.sent)).then(() => new Promise((resolve) => setTimeout(resolve, HOLD_MS)))];
  if (untilAnswer) {
    waits.push(new Promise<void>((resolve) => {
      for (const outcome of outcomes) void outcome.then((o) => 'reply' in o && resolve());
    }));
  }
  await within(Promise.race(waits), START_BOUND_MS + HOLD_MS);
  for (const h of held) h.breakOff();
  const answers: Reply[] = [];
  let closed = 0;
  for (const outcome of await Promise.all(outcomes)) {
    if ('reply' in outcome) answers.push(outcome.reply);
    else if (outcome.early) {
      if (outcome.error instanceof BrokenResponse || !closedEarly(outcome.error)) endedEarly(outcome.error, 'a held manifest PUT');
      closed += 1;
    }
  }
  return { answers, closed };
}

/** PUT `manifest` after the crowd broke off; a 429 (the registry still releasing them) is tried again. */
async function pushAfter(ctx: CheckContext, repo: string, manifest: Content): Promise<{ reply: Reply; refused: number }> {
  let refused = 0;
  for (;;) {
    const reply = await putManifest(ctx, repo, 'after', manifest);
    if (reply.status !== 429 || refused + 1 >= ATTEMPTS) return { reply, refused: reply.status === 429 ? refused + 1 : refused };
    refused += 1;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** A fresh repository with an image's blobs and its manifest padded to just under 4 MiB. */
async function largeManifest(ctx: CheckContext): Promise<{ repo: string; manifest: Content }> {
  const repo = ctx.repo();
  const image = freshImage();
  await pushBlobsOf(ctx, repo, image);
  return { repo, manifest: manifestOfSize(image, LARGE_MANIFEST_BYTES) };
}

const MIB = 1024 * 1024;
const ANNOUNCED = `${HELD_PUTS} manifest PUTs announcing ${LARGE_MANIFEST_BYTES} bytes each (${Math.round((HELD_PUTS * LARGE_MANIFEST_BYTES) / MIB)} MiB in all)`;

export default defineChecks([
  {
    id: 'blobs.upload.chunk-beyond-any-size',
    title: `A chunk announcing ${BEYOND_ANY_BLOB} bytes (1 PiB) is refused before its body with 413 or waited for, never a 2xx or 5xx`,
    spec: '§Pushing a blob in chunks (end-5 PATCH, end-6 the closing PUT with the last chunk); RFC 9110 §15.5.14 (413 Content Too Large: "the request content is larger than the server is willing or able to process"); §Error Codes ("The `code` field MUST be one of the following")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const range = `0-${BEYOND_ANY_BLOB - 1}`;
      const notes: string[] = [];
      const patch = await openUpload(ctx.client, repo);
      try {
        notes.push(await chunkBeyondAnySize(ctx, 'PATCH', patch.url, { 'Content-Range': range }, `PATCH a fresh session with Content-Range ${range} and Content-Length ${BEYOND_ANY_BLOB}`));
      } finally {
        await releaseUpload(ctx.client, patch.url);
      }
      const put = await openUpload(ctx.client, repo);
      try {
        const digest = randomBlob(BLOB_SLICE).digest;
        notes.push(await chunkBeyondAnySize(ctx, 'PUT', withDigest(put.url, digest), { 'Content-Range': range }, `PUT ?digest= closing a fresh session with the last chunk, Content-Range ${range} and Content-Length ${BEYOND_ANY_BLOB}`));
      } finally {
        await releaseUpload(ctx.client, put.url);
      }
      return notes.join('; ');
    },
  },
  {
    id: 'manifests.push.too-many-at-once',
    title: `Manifest PUTs past what the registry holds at once get 429 TOOMANYREQUESTS before their bodies (or are waited for), and a push is taken once they break off`,
    spec: '§Error Codes (code-14 TOOMANYREQUESTS, "too many requests", 429; "The `code` field MUST be one of the following"); RFC 6585 §4 (429 Too Many Requests); §Pushing Manifests (end-7: 201 for a manifest pushed whole)',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await largeManifest(ctx);
      const { answers, closed } = await crowd(ctx, repo, manifest, false);
      for (const reply of answers) {
        const what = `one of ${ANNOUNCED}, held after ${MANIFEST_SLICE} bytes`;
        if (reply.status >= 200 && reply.status < 300) {
          throw new CheckFailure(`${what}: answered ${reply.status}, a success for a manifest the registry never received whole`, reply.exchange);
        }
        expectStatus(reply, OVERLOADED, what);
        if (reply.status === 429) expectCodeIfJson(reply, ['TOOMANYREQUESTS'], what);
        else expectSpecCodesIfJson(reply, what);
      }
      const { reply, refused } = await pushAfter(ctx, repo, manifest);
      expectStatus(reply, [201], `PUT the manifest of ${manifest.size} bytes once the ${HELD_PUTS} held PUTs broke off${refused > 0 ? ` (429 on ${refused} of ${ATTEMPTS} attempts, ${RETRY_MS} ms apart)` : ''}`);
      const statuses = answers.map((a) => a.status);
      const count = (status: number): number => statuses.filter((s) => s === status).length;
      const what = answers.length === 0 && closed === 0
        ? `no answer while ${ANNOUNCED} were held: no limit met`
        : `of ${ANNOUNCED}, ${[count(429) > 0 ? `${count(429)} answered 429` : '', count(413) > 0 ? `${count(413)} answered 413 (refused by size)` : '', closed > 0 ? `${closed} closed without an answer` : ''].filter(Boolean).join(', ')} while the others were held`;
      return `${what}; the push afterwards got 201${refused > 0 ? ` after ${refused} × 429` : ''}`;
    },
  },
  {
    id: 'manifests.push.too-many-retry-after',
    title: 'A 429 to manifest PUTs past what the registry holds at once says when to retry (Retry-After: delay-seconds or an HTTP-date)',
    spec: 'RFC 6585 §4 (429 Too Many Requests: the response "MAY include a Retry-After header indicating how long to wait before making a new request"); RFC 9110 §10.2.3 (Retry-After = HTTP-date / delay-seconds); §Error Codes (code-14 TOOMANYREQUESTS)',
    level: 'MAY',
    async run(ctx) {
      const { repo, manifest } = await largeManifest(ctx);
      const { answers } = await crowd(ctx, repo, manifest, true);
      // Leaves the registry as it found it (manifests.push.too-many-at-once judges this push).
      await pushAfter(ctx, repo, manifest);
      const refused = answers.filter((reply) => reply.status === 429);
      if (refused.length === 0) return ctx.skip(`no 429 while ${ANNOUNCED} were held: no limit met`);
      const values: string[] = [];
      for (const reply of refused) {
        const value = reply.header('retry-after');
        if (value === undefined) return ctx.skip(`a 429 to one of ${ANNOUNCED} carries no Retry-After (RFC 6585 §4: MAY)`);
        ensure(retryAfterValid(value), `a 429 to one of ${ANNOUNCED}: Retry-After ${JSON.stringify(value)} is neither delay-seconds nor an HTTP-date (RFC 9110 §10.2.3)`, reply);
        values.push(value);
      }
      return `${refused.length} × 429 with Retry-After ${[...new Set(values)].join(', ')}`;
    },
  },
]);
