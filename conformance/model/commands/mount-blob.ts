/**
 * MountBlob: POST ?mount=<digest>&from=<other repository> (spec "Mounting a blob from another
 * repository", end-11). 201 with Location means the blob is now in the target — the probe then
 * holds the registry to it, so a 201 that did not make the blob available (or made other bytes
 * available) fails. A 202 is an upload session the client may complete (the registry could not or
 * would not mount). Any blob may be mounted with 201, even one the source lacks: "The registry MAY
 * treat the from parameter as optional, and it MAY cross-mount the blob if it can be found" — and
 * it may be found in repositories this run knows nothing about (the empty blob is everywhere).
 * Without `from` (automatic content discovery, a MAY) the same holds.
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { expectStatus } from '../../client/expect.ts';
import { locationOf, putWhole, releaseUpload } from '../../client/protocol.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface MountBlobParams {
  readonly to: number;
  readonly blob: number;
  readonly withFrom: boolean;
}

export class MountBlob extends Step {
  readonly p: MountBlobParams;

  constructor(p: MountBlobParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const target = model.repo(this.p.to);
    const source = model.repo(this.p.to + 1);
    const blob = pick(world.pool, this.p.blob);
    if (!blob) return;
    model.noteBlob(blob);
    const withFrom = this.p.withFrom || !world.config.capabilities.autoMount;
    const query = withFrom ? `?mount=${blob.digest}&from=${source.name}` : `?mount=${blob.digest}`;
    const reply = await world.client.request('POST', `/v2/${target.name}/blobs/uploads/${query}`, { headers: { 'Content-Length': '0' } });
    const what = `${label}: POST /v2/${target.name}/blobs/uploads/${query}`;
    expectStatus(reply, [201, 202], what);
    const at = Date.now();
    if (reply.status === 201) {
      locationOf(world.client, reply, `${what}: 201`);
      target.addBlob({ content: blob, at, done: Date.now() });
      return;
    }
    const session = locationOf(world.client, reply, `${what}: 202 (an upload session)`);
    if (!source.hasBlob(blob.digest)) {
      await releaseUpload(world.client, session);
      return;
    }
    // Spec: "the client MAY proceed with the upload" — the 202 must be a usable session.
    const put = await putWhole(world.client, session, blob.bytes, blob.digest);
    if (put.status !== 201) throw new CheckFailure(`${what}: the 202's session did not take the blob: PUT answered ${put.status}`, put.exchange);
    target.addBlob({ content: blob, at, done: Date.now() });
  }

  toString(): string {
    return `MountBlob(into repo ${this.p.to}, blob ${this.p.blob}${this.p.withFrom ? ', from the other repo' : ', no from'})`;
  }
}

export const mountBlobCommand: fc.Arbitrary<MountBlob> = fc
  .record({ to: repoIndex, blob: position, withFrom: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) })
  .map((p) => new MountBlob(p));
