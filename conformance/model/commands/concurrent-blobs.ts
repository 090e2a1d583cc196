/**
 * ConcurrentBlobs: several blob pushes into one repository at once, each by its own upload flow —
 * possibly the same blob twice ("If process A and B upload the same layer at the same time, both
 * operations will proceed": spec "Use Cases"). Every push ends in 201 and every blob is served.
 */
import fc from 'fast-check';
import { describeFlow, pushBlob, type UploadFlow } from '../actions.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { uploadFlow } from './push-blob.ts';
import { Step } from './step.ts';

export interface ConcurrentBlobsParams {
  readonly repo: number;
  readonly pushes: readonly { readonly blob: number; readonly flow: UploadFlow }[];
}

export class ConcurrentBlobs extends Step {
  readonly p: ConcurrentBlobsParams;

  constructor(p: ConcurrentBlobsParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const at = Date.now();
    const blobs = this.p.pushes.map((push) => pick(world.pool, push.blob));
    await Promise.all(this.p.pushes.map(async (push, i) => {
      const blob = blobs[i];
      if (!blob) return;
      model.noteBlob(blob);
      await pushBlob(world, repo.name, blob, push.flow, `${label}: concurrent push ${i + 1}`);
    }));
    const done = Date.now();
    for (const blob of blobs) if (blob) repo.addBlob({ content: blob, at, done });
  }

  toString(): string {
    return `ConcurrentBlobs(repo ${this.p.repo}, ${this.p.pushes.map((push) => `blob ${push.blob} ${describeFlow(push.flow)}`).join('; ')})`;
  }
}

export const concurrentBlobsCommand: fc.Arbitrary<ConcurrentBlobs> = fc
  .record({ repo: repoIndex, pushes: fc.array(fc.record({ blob: position, flow: uploadFlow }), { minLength: 2, maxLength: 4 }) })
  .map((p) => new ConcurrentBlobs(p));
