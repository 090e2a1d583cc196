/**
 * Cross-repository blob mounts (spec "Mounting a blob from another repository", end-11): POST
 * ?mount=<digest>&from=<repo> answers 201 with Location and the blob is then served in the target;
 * a registry that cannot or will not mount SHOULD answer 202 with a usable upload session (so a
 * 202 from a source that has the blob is a warning, not a failure); a source without the blob
 * gives 202 and nothing in the target; without `from` (automatic content discovery) 201 and 202
 * are both allowed. Sources live under the cross-mount namespace, like the official suite's
 * OCI_CROSSMOUNT_NAMESPACE.
 */
import { CheckFailure } from '../client/errors.ts';
import { expectDigestHeaderIfPresent, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { randomBlob, type Content } from '../content.ts';
import { expectLocationServes, expectServed } from './blobs.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

interface Mount {
  readonly target: string;
  readonly blob: Content;
  readonly reply: Reply;
}

/** Pushes a fresh blob to a fresh cross-mount source, then asks a fresh target to mount it. */
async function mountFromSource(ctx: CheckContext, withFrom: boolean): Promise<Mount> {
  const source = ctx.crossRepo();
  const target = ctx.repo();
  const blob = randomBlob(1024);
  await ctx.pushBlob(source, blob);
  const query = withFrom ? `?mount=${blob.digest}&from=${source}` : `?mount=${blob.digest}`;
  const reply = await ctx.request('POST', `/v2/${target}/blobs/uploads/${query}`, { headers: { 'Content-Length': '0' } });
  return { target, blob, reply };
}

/** A 201 mount: Location serving the blob, a truthful digest header if any, the blob in the target. */
async function expectMounted(ctx: CheckContext, { target, blob, reply }: Mount, what: string): Promise<void> {
  expectDigestHeaderIfPresent(reply, blob.bytes, `${what}: 201`);
  await expectLocationServes(ctx, reply, blob, what);
  await expectServed(ctx, target, blob, what);
}

/** A 202 answer is an upload session (spec: "the client MAY proceed with the upload"): finishing it stores the blob. */
async function expectUsableSession(ctx: CheckContext, target: string, blob: Content, reply: Reply, what: string): Promise<void> {
  const location = reply.header('location');
  if (location === undefined || location === '') throw new CheckFailure(`${what}: 202 without the Location of an upload session`, reply.exchange);
  const put = await ctx.request('PUT', ctx.withDigest(ctx.client.resolve(location), blob.digest), {
    body: blob.bytes,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
  });
  expectStatus(put, [201], `${what}: PUT the blob to the session the 202 opened`);
  await expectServed(ctx, target, blob, `${what}: after completing the session`);
}

export default defineChecks([
  {
    id: 'blobs.mount.from',
    title: 'POST ?mount=&from= a repository holding the blob mounts it (201) rather than opening an upload (202)',
    spec: '§Mounting a blob from another repository (end-11; 202 = the registry could not or would not mount)',
    level: 'SHOULD',
    async run(ctx) {
      const result = await mountFromSource(ctx, true);
      const { reply } = result;
      if (reply.status === 202) {
        await expectUsableSession(ctx, result.target, result.blob, reply, 'mount answered 202');
        throw new CheckFailure('the registry did not mount a blob the source repository holds: it answered 202 and an upload was needed (allowed by the spec, costly for clients)', reply.exchange);
      }
      expectStatus(reply, [201], 'POST ?mount=&from=');
    },
  },
  {
    id: 'blobs.mount.from-served',
    title: 'A 201 mount has Location, and the blob is then served in the target repository',
    spec: '§Mounting a blob from another repository (end-11: "MUST be 201 Created, and MUST contain … Location")',
    level: 'MUST',
    async run(ctx) {
      const result = await mountFromSource(ctx, true);
      if (result.reply.status === 202) {
        await expectUsableSession(ctx, result.target, result.blob, result.reply, 'mount answered 202');
        ctx.skip('the registry did not mount (202, an upload session that works); see blobs.mount.from');
      }
      expectStatus(result.reply, [201], 'POST ?mount=&from=');
      await expectMounted(ctx, result, 'mount');
    },
  },
  {
    id: 'blobs.mount.missing-source',
    title: 'A mount from a repository without the blob (another, or the target itself) answers 202 with a usable session; the target stays without it',
    spec: '§Mounting a blob from another repository (end-11: "unable to mount … return a 202 … the client MAY proceed with the upload")',
    level: 'MUST',
    async run(ctx) {
      const source = ctx.crossRepo();
      const target = ctx.repo();
      await ctx.pushBlob(source, randomBlob(64));
      await ctx.pushBlob(target, randomBlob(64)); // the target exists, without the blob
      for (const [from, which] of [[source, 'another repository'], [target, 'the target itself']] as const) {
        const blob = randomBlob(1024); // pushed nowhere: no registry can mount it
        const what = `POST ?mount=<a digest ${which} lacks>&from=${which === 'the target itself' ? '<the target>' : ''}`;
        const reply = await ctx.request('POST', `/v2/${target}/blobs/uploads/?mount=${blob.digest}&from=${from}`, { headers: { 'Content-Length': '0' } });
        expectStatus(reply, [202], what);
        const missing = await ctx.request('GET', `/v2/${target}/blobs/${blob.digest}`);
        expectStatus(missing, [404], `GET in the target of a blob a mount from ${which} could not provide`);
        await expectUsableSession(ctx, target, blob, reply, `the 202 of a failed mount from ${which}`);
      }
    },
  },
  {
    id: 'blobs.mount.auto',
    title: 'POST ?mount= without from (automatic content discovery): 201 with the blob served, or 202',
    spec: '§Mounting a blob from another repository (end-11: "The registry MAY treat the from parameter as optional")',
    level: 'MAY',
    requires: ['autoMount'],
    async run(ctx) {
      const result = await mountFromSource(ctx, false);
      if (result.reply.status === 202) {
        const location = result.reply.header('location');
        if (location) await ctx.request('DELETE', ctx.client.resolve(location)).catch(() => undefined);
        ctx.skip('the registry does not discover blobs for a mount without from (answered 202, allowed)');
      }
      expectStatus(result.reply, [201], 'POST ?mount= without from (201, or 202 when not discovered)');
      await expectMounted(ctx, result, 'mount without from');
    },
  },
]);
