/**
 * CancelUpload: open a session, send part of a blob as a chunk, read the status (204, Range), then
 * DELETE the session (spec end-14 on main; an older registry may refuse with 404/405). A DELETE
 * answered with success must really end the session (RFC 9110 §9.3.5): afterwards status and
 * chunks are 404 and nothing of the blob is stored.
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { expectStatus } from '../../client/expect.ts';
import { expectRange, putClose, sendChunk } from '../../client/protocol.ts';
import { startHalfUpload } from '../actions.ts';
import { position, repoIndex } from '../arbitraries.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface CancelUploadParams {
  readonly repo: number;
  readonly blob: number;
}

export class CancelUpload extends Step {
  readonly p: CancelUploadParams;

  constructor(p: CancelUploadParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const started = await startHalfUpload(world, model, repo.name, this.p.blob, label);
    if (!started) return;
    const { blob, half, url } = started;
    const status = await world.client.request('GET', url);
    expectStatus(status, [204], `${label}: GET upload status`);
    expectRange(status, half, `${label}: GET upload status`);
    const cancel = await world.client.request('DELETE', url);
    if (cancel.status >= 400 && cancel.status < 500) {
      // Cancel not offered: finish the upload so the model stays simple.
      const at = Date.now();
      const put = await putClose(world.client, url, blob.digest, { bytes: blob.bytes.subarray(half), start: half });
      expectStatus(put, [201], `${label}: (DELETE refused with ${cancel.status}) PUT the rest`);
      repo.addBlob({ content: blob, at, done: Date.now() });
      return;
    }
    expectStatus(cancel, [204, 202, 200], `${label}: DELETE the upload session`);
    const after = await sendChunk(world.client, url, blob.bytes.subarray(half), half);
    if (after.status !== 404) {
      throw new CheckFailure(`${label}: DELETE answered ${cancel.status} but the session still ${after.status < 300 ? 'accepts data' : `answers ${after.status}`} (expected 404)`, after.exchange);
    }
    const close = await putClose(world.client, url, blob.digest);
    expectStatus(close, [404], `${label}: PUT ?digest= to the cancelled session`);
  }

  toString(): string {
    return `CancelUpload(repo ${this.p.repo}, blob ${this.p.blob})`;
  }
}

export const cancelUploadCommand: fc.Arbitrary<CancelUpload> = fc.record({ repo: repoIndex, blob: position }).map((p) => new CancelUpload(p));
