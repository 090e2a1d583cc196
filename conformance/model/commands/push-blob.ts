/**
 * PushBlob: a pool blob into a repository by one upload flow (spec "Pushing blobs": monolithic,
 * single POST, chunked with the last chunk optionally in the PUT, streamed), optionally probing
 * the session on the way (GET status, an out-of-order chunk that must get 416), optionally as
 * sha512 where the registry offers it, optionally closed with a wrong digest first (which must be
 * refused with 400 and store nothing).
 */
import fc from 'fast-check';
import { expectStatus } from '../../client/expect.ts';
import { openUpload, putWhole } from '../../client/protocol.ts';
import { content } from '../../content.ts';
import { describeFlow, pushBlob, type UploadFlow } from '../actions.ts';
import { chunkSize, position, rarely, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface PushBlobParams {
  readonly repo: number;
  readonly blob: number;
  readonly flow: UploadFlow;
  readonly sha512: boolean;
  readonly wrongDigestFirst: boolean;
}

export class PushBlob extends Step {
  readonly p: PushBlobParams;

  constructor(p: PushBlobParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const pooled = pick(world.pool, this.p.blob);
    if (!pooled) return;
    const blob = this.p.sha512 && world.config.capabilities.sha512 ? content(pooled.bytes, pooled.mediaType, 'sha512') : pooled;
    model.noteBlob(blob);
    if (this.p.wrongDigestFirst) {
      // Spec end-6: the digest MUST match the content; a mismatch is 400 DIGEST_INVALID, nothing stored.
      const wrong = content(Buffer.concat([blob.bytes, Buffer.from('x')]));
      model.noteBlob(wrong);
      const session = await openUpload(world.client, repo.name);
      const reply = await putWhole(world.client, session.url, blob.bytes, wrong.digest);
      expectStatus(reply, [400], `${label}: PUT ?digest=<digest of other content> with the blob`);
    }
    const at = Date.now();
    await pushBlob(world, repo.name, blob, this.p.flow, label);
    repo.addBlob({ content: blob, at, done: Date.now() });
  }

  toString(): string {
    const { repo, blob, flow, sha512, wrongDigestFirst } = this.p;
    return `PushBlob(repo ${repo}, blob ${blob}, ${describeFlow(flow)}${sha512 ? ', sha512' : ''}${wrongDigestFirst ? ', wrong digest first' : ''})`;
  }
}

export const uploadFlow: fc.Arbitrary<UploadFlow> = fc.oneof(
  fc.constant({ kind: 'monolithic' as const }),
  fc.constant({ kind: 'single-post' as const }),
  fc.record({ kind: fc.constant('chunked' as const), chunk: chunkSize, lastInPut: fc.boolean(), outOfOrderProbe: rarely, statusProbe: rarely }),
  fc.record({ kind: fc.constant('streamed' as const), chunkedEncoding: fc.boolean() }),
);

export const pushBlobCommand: fc.Arbitrary<PushBlob> = fc
  .record({ repo: repoIndex, blob: position, flow: uploadFlow, sha512: rarely, wrongDigestFirst: rarely })
  .map((p) => new PushBlob(p));
