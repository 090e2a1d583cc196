/**
 * What a garbage collection must keep, may collect, and must collect, for one repository of the
 * model. The spec says nothing of GC; these are the safety and reclaim rules of docs/gc.md,
 * decided in two phases.
 *
 * Manifests first. Keep (safety, always): every tagged manifest; what a kept index reaches —
 * children and nested indexes; referrers of kept manifests, to a fixed point (the signature of a
 * kept image is kept); anything younger than the grace period. Collect (only when the registry
 * declared that it reclaims untagged manifests): what lies outside the widest reasonable live set
 * (the above plus subjects of live manifests) and is older than the grace period by a margin.
 * Everything else may go either way; the probe then sees what the registry did.
 *
 * Blobs second, from the manifests that survived: a blob that a surviving manifest references is
 * kept (a manifest never loses its config or layers), as is a young blob; an unreferenced old blob
 * is collected when the registry declared that it reclaims.
 */
import type { RepoModel } from './model.ts';

export type Verdict = 'keep' | 'either' | 'collect';

/** A verdict with the reason, so a failure can say why the item had to stay (or go). */
export interface Judged {
  readonly verdict: Verdict;
  readonly why: string;
}

export interface GcPolicy {
  readonly graceMs: number;
  readonly expectReclaims: boolean;
  readonly reclaimsUntagged: boolean;
}

/** The collection ran from `start` to `end` (this machine's clock), as if `advanceMs` later. */
export interface GcWindow {
  readonly start: number;
  readonly end: number;
  readonly advanceMs: number;
}

/** Clocks of two machines and the registry's rounding: "old" must be old by at least this much. */
export const RECLAIM_MARGIN_MS = 5_000;

function ages(policy: GcPolicy, window: GcWindow) {
  return {
    // Young even if the registry dates an item from the start of its push and ran late.
    young: (at: number): boolean => window.end + window.advanceMs - at < policy.graceMs,
    // Old even if dated from the end of its push, when the collection starts.
    old: (done: number): boolean => window.start + window.advanceMs - done > policy.graceMs + RECLAIM_MARGIN_MS,
  };
}

export function manifestVerdicts(repo: RepoModel, policy: GcPolicy, window: GcWindow): Map<string, Judged> {
  const { young, old } = ages(policy, window);
  const manifests = new Map(repo.presentManifests().map((m) => [m.content.digest, m]));

  const live = (followSubjects: boolean): Map<string, string> => {
    const marked = new Map<string, string>();
    const mark = (digest: string, why: string): void => {
      const m = manifests.get(digest);
      if (!m || marked.has(digest)) return;
      marked.set(digest, why);
      for (const child of m.children) mark(child, `a child of ${short(digest)}, which is ${why}`);
      if (followSubjects && m.subject !== undefined) mark(m.subject, `the subject of ${short(digest)}`);
    };
    for (const m of manifests.values()) {
      const tags = repo.tagsOf(m.content.digest);
      if (tags.length > 0) mark(m.content.digest, `tagged ${tags.map((tag) => JSON.stringify(tag)).join(', ')}`);
      else if (young(m.at)) mark(m.content.digest, `younger than the grace period (${Math.round(policy.graceMs / 1000)} s)`);
    }
    for (let grew = true; grew; ) {
      grew = false;
      for (const m of manifests.values()) {
        const subjectWhy = m.subject === undefined ? undefined : marked.get(m.subject);
        if (!marked.has(m.content.digest) && subjectWhy !== undefined) {
          mark(m.content.digest, `a referrer of ${short(m.subject ?? '')}, which is ${subjectWhy}`);
          grew = true;
        }
      }
    }
    return marked;
  };

  const kept = live(false);
  const widest = live(true);
  const verdicts = new Map<string, Judged>();
  for (const m of manifests.values()) {
    const digest = m.content.digest;
    const why = kept.get(digest);
    if (why !== undefined) verdicts.set(digest, { verdict: 'keep', why });
    else if (!widest.has(digest) && policy.expectReclaims && policy.reclaimsUntagged && old(m.done)) {
      verdicts.set(digest, { verdict: 'collect', why: 'untagged, unreachable from any tag, and older than the grace period (declared: untagged manifests are reclaimed)' });
    } else verdicts.set(digest, { verdict: 'either', why: widest.get(digest) ?? 'untagged' });
  }
  return verdicts;
}

/** Blob verdicts from the manifests the model holds now (after the manifest phase was observed). */
export function blobVerdicts(repo: RepoModel, policy: GcPolicy, window: GcWindow): Map<string, Judged> {
  const { young, old } = ages(policy, window);
  const users = new Map<string, string>();
  for (const m of repo.presentManifests()) for (const blob of m.blobs) if (!users.has(blob)) users.set(blob, m.content.digest);
  const verdicts = new Map<string, Judged>();
  for (const [digest, blob] of repo.blobs) {
    const user = users.get(digest);
    if (user !== undefined) verdicts.set(digest, { verdict: 'keep', why: `referenced by manifest ${short(user)}, which is still there` });
    else if (young(blob.at)) verdicts.set(digest, { verdict: 'keep', why: `younger than the grace period (${Math.round(policy.graceMs / 1000)} s): a client may be about to push the manifest that needs it` });
    else if (policy.expectReclaims && old(blob.done)) verdicts.set(digest, { verdict: 'collect', why: 'referenced by no manifest and older than the grace period (declared: garbage is reclaimed)' });
    else verdicts.set(digest, { verdict: 'either', why: 'unreferenced' });
  }
  return verdicts;
}

export function short(digest: string): string {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest : `${digest.slice(0, colon + 13)}…`;
}
