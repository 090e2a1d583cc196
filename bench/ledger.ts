/**
 * What the benchmark pushed to a registry, so that all of it is pulled back and checked (a blob
 * must still hash to its digest, a manifest must still be the bytes pushed: spec "Pulling blobs",
 * "Pulling manifests") and then deleted where the registry allows deletes: manifests first, by
 * digest, which removes their tags (spec "Deleting Manifests", end-9), then blobs (end-10). A
 * registry that refuses deletes (405, spec "Content Management" is optional) is left as it is,
 * and the report says how much stayed.
 */
import type { RegistryClient } from '../conformance/client/registry-client.ts';
import { forEachLimit } from './parallel.ts';
import { Anomaly, expectStatus, getDocument, pullBlob, send } from './verify.ts';

export interface PushedManifest {
  readonly repo: string;
  readonly digest: string;
  readonly bytes: Buffer;
  readonly mediaType: string;
}

/** A blob by digest and size (what a pull-back checks). */
export interface BlobId {
  readonly digest: string;
  readonly size: number;
}

export class Ledger {
  readonly blobs: { readonly repo: string; readonly ref: BlobId }[] = [];
  readonly manifests: PushedManifest[] = [];

  blob(repo: string, ref: BlobId): void {
    this.blobs.push({ repo, ref });
  }

  manifest(manifest: PushedManifest): void {
    this.manifests.push(manifest);
  }
}

/** What a registry lets the benchmark delete, learned from its first refusal. */
export interface DeletePolicy {
  manifests: boolean;
  blobs: boolean;
}

export interface Settled {
  readonly deleted: number;
  /** Blobs and manifests left on the registry (deletes refused or failed). */
  readonly left: number;
  readonly leftBytes: number;
}

const PARALLEL = 4;

/** Pulls back and checks everything in `ledger`; each wrong answer goes to `onAnomaly`. */
export async function verifyLedger(client: RegistryClient, ledger: Ledger, onAnomaly: (anomaly: Anomaly) => void): Promise<number> {
  let checked = 0;
  const judge = async (check: () => Promise<void>): Promise<void> => {
    try {
      await check();
      checked += 1;
    } catch (error) {
      if (!(error instanceof Anomaly)) throw error;
      onAnomaly(error);
    }
  };
  await forEachLimit(ledger.blobs, PARALLEL, ({ repo, ref }) => judge(async () => {
    await pullBlob(client, repo, ref.digest, ref.size);
  }));
  await forEachLimit(ledger.manifests, PARALLEL, (m) => judge(async () => {
    const what = `GET /v2/${m.repo}/manifests/${m.digest}`;
    const { reply, body } = await getDocument(client, `/v2/${m.repo}/manifests/${m.digest}`, { Accept: m.mediaType });
    expectStatus(reply, [200], what);
    if (!body.equals(m.bytes)) throw new Anomaly('manifest bytes differ', `${what}: ${body.length} bytes that differ from the ${m.bytes.length} pushed`);
  }));
  return checked;
}

/** Deletes what `ledger` holds where `policy` still allows it; a 405 turns that kind of delete off. */
export async function deleteLedger(client: RegistryClient, ledger: Ledger, policy: DeletePolicy): Promise<Settled> {
  let deleted = 0;
  let left = 0;
  let leftBytes = 0;
  const remove = async (kind: 'manifests' | 'blobs', path: string, size: number): Promise<void> => {
    if (policy[kind]) {
      const reply = await send(client, 'DELETE', path).catch(() => undefined);
      if (reply !== undefined && [200, 202, 204, 404].includes(reply.status)) {
        deleted += 1;
        return;
      }
      if (reply?.status === 405) policy[kind] = false;
    }
    left += 1;
    leftBytes += size;
  };
  await forEachLimit(ledger.manifests, PARALLEL, (m) => remove('manifests', `/v2/${m.repo}/manifests/${m.digest}`, m.bytes.length));
  await forEachLimit(ledger.blobs, PARALLEL, ({ repo, ref }) => remove('blobs', `/v2/${repo}/blobs/${ref.digest}`, ref.size));
  return { deleted, left, leftBytes };
}
