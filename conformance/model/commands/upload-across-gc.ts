/**
 * UploadAcrossGc: a chunked upload with a garbage collection between its chunks. The session is
 * younger than the grace period, so the collection must leave it alone: the next chunk is
 * accepted and the PUT stores the blob (docs/gc.md#upload-sessions: GC safe while clients push).
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { expectStatus } from '../../client/expect.ts';
import { putClose, sendChunk } from '../../client/protocol.ts';
import { startHalfUpload } from '../actions.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { collectAndCheck } from '../collect.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface UploadAcrossGcParams {
  readonly repo: number;
  readonly blob: number;
}

export class UploadAcrossGc extends Step {
  readonly p: UploadAcrossGcParams;

  constructor(p: UploadAcrossGcParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const started = await startHalfUpload(world, model, repo.name, this.p.blob, label);
    if (!started) return;
    const { blob, half, url, at } = started;
    await collectAndCheck(model, world, `${label} (collection during the upload)`, 0);
    const reply = await sendChunk(world.client, url, blob.bytes.subarray(half), half);
    if (reply.status === 404 && world.config.gc.graceMs > 0) {
      throw new CheckFailure(`${label}: the collection removed an upload session in progress, younger than the grace period (${world.config.gc.graceMs / 1000} s)`, reply.exchange);
    }
    if (reply.status === 404) return; // no grace period declared: a session may go at any collection
    expectStatus(reply, [202], `${label}: PATCH the second half after the collection`);
    const close = await putClose(world.client, world.client.resolve(reply.header('location') ?? url), blob.digest);
    expectStatus(close, [201], `${label}: PUT ?digest= after the collection`);
    repo.addBlob({ content: blob, at, done: Date.now() });
  }

  toString(): string {
    return `UploadAcrossGc(repo ${this.p.repo}, blob ${this.p.blob})`;
  }
}

export const uploadAcrossGcCommand: fc.Arbitrary<UploadAcrossGc> = fc.record({ repo: repoIndex, blob: position }).map((p) => new UploadAcrossGc(p));
