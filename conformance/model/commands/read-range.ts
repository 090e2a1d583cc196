/**
 * ReadRange: GET a blob the repository holds with `Range: bytes=a-b` (spec "Pulling blobs": a
 * registry SHOULD support Range, RFC 9110 §14). A 206 MUST carry exactly bytes a..b (clipped to
 * the blob) with a matching Content-Range; a 200 must be the whole blob (the registry ignored the
 * header, which RFC 9110 allows).
 */
import fc from 'fast-check';
import { ensure, expectBody, expectStatus } from '../../client/expect.ts';
import { position, repoIndex } from '../arbitraries.ts';
import { pick, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export interface ReadRangeParams {
  readonly repo: number;
  readonly blob: number;
  readonly start: number;
  readonly length: number;
}

export class ReadRange extends Step {
  readonly p: ReadRangeParams;

  constructor(p: ReadRangeParams) {
    super();
    this.p = p;
  }

  override check(model: Readonly<Model>): boolean {
    return model.repo(this.p.repo).presentBlobs().some((d) => (model.blobUniverse.get(d)?.size ?? 0) > 0);
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const candidates = repo.presentBlobs().map((d) => model.blobUniverse.get(d)).filter((c) => c !== undefined && c.size > 0);
    const blob = pick(candidates, this.p.blob);
    if (!blob) return;
    const start = this.p.start % blob.size;
    const end = Math.min(blob.size - 1, start + this.p.length);
    const path = `/v2/${repo.name}/blobs/${blob.digest}`;
    const reply = await world.client.request('GET', path, { headers: { Range: `bytes=${start}-${end}` } });
    const what = `${label}: GET ${path} with Range: bytes=${start}-${end}`;
    expectStatus(reply, [206, 200], what);
    if (reply.status === 200) {
      expectBody(reply, blob.bytes, `${what} (answered 200: the whole blob)`);
      return;
    }
    expectBody(reply, blob.bytes.subarray(start, end + 1), what);
    const contentRange = reply.header('content-range');
    ensure(contentRange === `bytes ${start}-${end}/${blob.size}`, `${what}: Content-Range ${JSON.stringify(contentRange)}, expected "bytes ${start}-${end}/${blob.size}"`, reply);
  }

  toString(): string {
    return `ReadRange(repo ${this.p.repo}, blob ${this.p.blob}, from ${this.p.start}, ${this.p.length + 1} bytes)`;
  }
}

export const readRangeCommand: fc.Arbitrary<ReadRange> = fc
  .record({ repo: repoIndex, blob: position, start: fc.nat(30_000), length: fc.oneof(fc.constantFrom(0, 1, 511), fc.nat(5000)) })
  .map((p) => new ReadRange(p));
