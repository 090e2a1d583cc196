/**
 * Cross-repository mount (spec "Mounting a blob from another repository", end-11): POST
 * …/blobs/uploads/?mount=<digest>&from=<repo> must answer 201 with the blob now in the target
 * repository. The source holds a pool of blobs of the smallest --sizes; each target repository
 * receives every pool blob once, so no mount repeats one already made. A registry that answers
 * 202 (an upload session instead, which the spec allows) does not offer mounting.
 */
import type { BlobRef } from '../content.ts';
import { Anomaly, expectStatus, location, send } from '../verify.ts';
import { memo } from './memo.ts';
import { pushMonolithic } from './push.ts';
import type { Target, Workload } from './types.ts';

const SOURCES = 32;

/** Mounts `blob`; false when the registry answered 202 (an upload session, released) and `probing`. */
async function mount(target: Target, repo: string, from: string, blob: BlobRef, probing: boolean): Promise<boolean> {
  const path = `/v2/${repo}/blobs/uploads/?mount=${blob.digest}&from=${from}`;
  const reply = await send(target.client, 'POST', path, { headers: { 'Content-Length': '0' } });
  if (reply.status === 202) {
    const session = reply.header('location');
    if (session) await send(target.client, 'DELETE', target.client.resolve(session)).catch(() => undefined);
    if (probing) return false;
    throw new Anomaly('status 202', `POST ${path}: 202 (an upload session) after the registry had mounted with 201`);
  } else {
    expectStatus(reply, [201], `POST ${path}`);
    location(target.client, reply, `POST ${path}`);
  }
  return true;
}

export const MOUNT: Workload = {
  name: 'mount',
  description: 'mount a blob from another repository (end-11)',
  sized: false,
  pushShare: () => 0,
  setupBytes: (settings) => SOURCES * Math.min(...settings.sizes),
  async prepare(target, settings) {
    const from = `${target.prefix}/mount-source`;
    const prepared = await memo(target, 'mount', async () => {
      const size = Math.min(...settings.sizes);
      const sources: BlobRef[] = [];
      for (let i = 0; i < SOURCES; i += 1) {
        const blob = target.fresh(size);
        await pushMonolithic(target, from, blob);
        target.setup.blob(from, blob);
        sources.push(blob);
      }
      const probe = `${target.prefix}/mount-probe`;
      if (!(await mount(target, probe, from, sources[0] as BlobRef, true))) return { unsupported: `mount: 202 with an upload session instead of the mount (the spec allows it)` };
      target.setup.blob(probe, sources[0] as BlobRef);
      return { sources };
    });
    if (prepared.unsupported !== undefined) return { unsupported: prepared.unsupported };
    const { sources } = prepared;
    return {
      op: async (index, scope) => {
        const blob = sources[index % sources.length] as BlobRef;
        const repo = `${target.prefix}/mount-${scope.tag}-${Math.floor(index / sources.length)}`;
        await mount(target, repo, from, blob, false);
        scope.ledger.blob(repo, blob);
        return { bytes: 0, requests: 1 };
      },
    };
  },
};
