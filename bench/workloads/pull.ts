/**
 * The read-heavy blob workloads: pull (GET of a blob, spec "Pulling blobs", end-2, hashed as it
 * streams) from a pool of blobs pushed during preparation, and mixed: pulls and streamed pushes
 * interleaved in a fixed proportion (by default 75/25), the load of a registry that serves CI
 * pulls while builds push. Which operations push is exact (every fourth at 25 %), so the volume
 * estimate holds.
 */
import type { BlobRef } from '../content.ts';
import { pullBlob } from '../verify.ts';
import { memo } from './memo.ts';
import { pushMonolithic, pushStreamed } from './push.ts';
import type { Target, Workload } from './types.ts';

/** Blobs of each size the pulls read, round-robin. */
export const POOL = 4;

/** The pull pool of `size` on `target`, pushed once (and recorded for the end-of-run check). */
function pool(target: Target, size: number): Promise<BlobRef[]> {
  return memo(target, `pool ${size}`, async () => {
    const repo = `${target.prefix}/pull`;
    const made: BlobRef[] = [];
    for (let i = 0; i < POOL; i += 1) {
      const blob = target.fresh(size);
      await pushMonolithic(target, repo, blob);
      target.setup.blob(repo, blob);
      made.push(blob);
    }
    return made;
  });
}

/** Operation `index` of the mixed workload pushes when the running share of pushes crosses a whole number. */
export function isPush(index: number, writePercent: number): boolean {
  return Math.floor(((index + 1) * writePercent) / 100) > Math.floor((index * writePercent) / 100);
}

export const PULL: Workload = {
  name: 'pull',
  description: 'GET a blob, hashed while it streams (end-2)',
  sized: true,
  pushShare: () => 0,
  setupBytes: (_settings, size) => POOL * size,
  async prepare(target, _settings, size) {
    const blobs = await pool(target, size);
    const repo = `${target.prefix}/pull`;
    return {
      op: async (index) => {
        const blob = blobs[index % blobs.length] as BlobRef;
        const pulled = await pullBlob(target.client, repo, blob.digest, blob.size);
        return { bytes: pulled.bytes, requests: 1, ttfbMs: pulled.ttfbMs };
      },
    };
  },
};

export const MIXED: Workload = {
  name: 'mixed',
  description: 'pulls and streamed pushes interleaved (--write-percent pushes, default 25)',
  sized: true,
  pushShare: (settings) => settings.writePercent / 100,
  setupBytes: (_settings, size) => POOL * size,
  async prepare(target, settings, size) {
    const blobs = await pool(target, size);
    return {
      op: async (index, scope) => {
        if (isPush(index, settings.writePercent)) {
          const repo = `${target.prefix}/mixed`;
          const blob = target.fresh(size);
          const requests = await pushStreamed(target, repo, blob);
          scope.ledger.blob(repo, blob);
          return { bytes: blob.size, requests };
        }
        const blob = blobs[index % blobs.length] as BlobRef;
        const pulled = await pullBlob(target.client, `${target.prefix}/pull`, blob.digest, blob.size);
        return { bytes: pulled.bytes, requests: 1, ttfbMs: pulled.ttfbMs };
      },
    };
  },
};
