/**
 * Garbage collection explained (README "How garbage collection decides what to keep"; GC is
 * outside the spec, which only requires that what a client can pull stays pullable: §Pulling
 * manifests end-3, §Pulling blobs end-2). Before collecting: the store's own plan
 * (ImageStore.planGarbage) — every manifest and blob of every repository, kept with the rule that
 * reached it and the chain back to its root (a layer ← of an image ← child of an index ← tagged
 * "v1"), or collected — and the upload sessions that would expire. Then the collection with the
 * same options and clock, and, item by item, what went and whether it was what the plan said: a
 * GC fault of the catalog (reference/faults/gc.ts) changes the collector, not the plan, so its
 * damage shows as a kept item that went.
 */
import type { ImageStore } from '../reference/store/image-store.ts';
import type { GcReport, KeepReason, PlannedItem } from '../reference/store/gc.ts';

export interface GcOptionsInput {
  /** Collect as if this many seconds had passed (the grace period counts from now + advance). */
  readonly advanceSeconds: number;
  readonly deleteUntagged: boolean;
}

export interface ExplainedItem {
  readonly repository: string;
  readonly digest: string;
  readonly kind: 'manifest' | 'blob';
  readonly size: number;
  readonly keep: boolean;
  readonly rule: KeepReason['rule'] | 'collected';
  /** Why, in words: the first step, then the chain back to what holds it. */
  readonly why: string;
  readonly chain: readonly ChainStep[];
}

/** One reason in words; `digest` (what it is about) goes after `text`, then `after`. */
export interface ChainStep {
  readonly text: string;
  readonly digest?: string;
  readonly after?: string;
}

export interface Explanation {
  readonly now: string;
  readonly graceSeconds: number;
  readonly deleteUntagged: boolean;
  readonly advanceSeconds: number;
  readonly items: readonly ExplainedItem[];
  readonly uploads: readonly { readonly id: string; readonly idleSeconds: number; readonly goes: boolean }[];
}

export interface GcOutcome {
  readonly plan: Explanation;
  readonly report: GcReport;
  /** Each planned item with what happened to it. */
  readonly items: readonly (ExplainedItem & { readonly went: boolean; readonly asPlanned: boolean })[];
  /** Removed although the plan did not list it (`repository@digest`). */
  readonly unplanned: readonly string[];
}

/** The most seconds a collection may pretend have passed: a year. */
export const MAX_ADVANCE_SECONDS = 365 * 24 * 3600;

function seconds(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function short(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}

function step(reason: KeepReason, graceMs: number): ChainStep {
  switch (reason.rule) {
    case 'tagged':
      return { text: `tagged "${reason.tag}"` };
    case 'untagged-kept':
      return { text: 'untagged, and this policy keeps untagged manifests' };
    case 'young':
      return { text: `younger than the grace period (${seconds(graceMs)}): it may belong to a push still in progress` };
    case 'in-use':
      return { text: 'a manifest push in progress references it' };
    case 'child':
      return { text: 'child of the index', digest: reason.of };
    case 'blob':
      return { text: 'config or layer of', digest: reason.of };
    case 'subject':
      return { text: 'subject of', digest: reason.of };
    case 'referrer':
      return { text: 'referrer of', digest: reason.of, after: ', which stays' };
  }
}

function inWords(chainStep: ChainStep): string {
  return `${chainStep.text}${chainStep.digest ? ` ${short(chainStep.digest)}` : ''}${chainStep.after ?? ''}`;
}

/** The reasons from an item back to a root (a tag, the policy, its age), cycles cut. */
function chainOf(first: KeepReason, reasons: ReadonlyMap<string, KeepReason>, graceMs: number): ChainStep[] {
  const chain = [step(first, graceMs)];
  const seen = new Set<string>();
  let reason: KeepReason | undefined = first;
  while (reason && 'of' in reason && !seen.has(reason.of)) {
    seen.add(reason.of);
    reason = reasons.get(reason.of);
    if (reason) chain.push(step(reason, graceMs));
  }
  return chain;
}

function collectedWhy(item: PlannedItem, deleteUntagged: boolean): string {
  if (item.kind === 'manifest') {
    return deleteUntagged
      ? 'untagged, older than the grace period, and no tag, live index or live subject reaches it'
      : 'no longer in the repository\'s index';
  }
  return 'no live manifest references it, and it is older than the grace period';
}

export async function explainGc(store: ImageStore, graceMs: number, input: GcOptionsInput, now = Date.now() + input.advanceSeconds * 1000): Promise<Explanation> {
  const plans = await store.planGarbage({ graceMs, deleteUntagged: input.deleteUntagged, now });
  const items: ExplainedItem[] = [];
  for (const plan of plans) {
    const reasons = new Map(plan.items.flatMap((item) => (item.keep ? [[item.digest, item.keep] as const] : [])));
    for (const item of plan.items) {
      const chain = item.keep ? chainOf(item.keep, reasons, graceMs) : [];
      items.push({
        repository: plan.name,
        digest: item.digest,
        kind: item.kind,
        size: item.size,
        keep: item.keep !== undefined,
        rule: item.keep?.rule ?? 'collected',
        why: item.keep ? chain.map(inWords).join(' ← ') : collectedWhy(item, input.deleteUntagged),
        chain,
      });
    }
  }
  const cutoff = now - graceMs;
  const uploads = (await store.uploads.listFiles()).map((file) => ({
    id: file.id,
    idleSeconds: Math.max(0, Math.round((Date.now() - file.mtimeMs) / 1000)),
    goes: file.mtimeMs < cutoff,
  }));
  return { now: new Date(now).toISOString(), graceSeconds: graceMs / 1000, deleteUntagged: input.deleteUntagged, advanceSeconds: input.advanceSeconds, items, uploads };
}

/** Explains, collects with the same options and clock, and compares. */
export async function runGc(store: ImageStore, graceMs: number, input: GcOptionsInput): Promise<GcOutcome> {
  const now = Date.now() + input.advanceSeconds * 1000;
  const plan = await explainGc(store, graceMs, input, now);
  const report = await store.collectGarbage({ graceMs, deleteUntagged: input.deleteUntagged, now });
  const removedManifests = new Set(report.manifestsRemoved);
  const removedBlobs = new Set(report.blobsRemoved);
  const items = plan.items.map((item) => {
    const id = `${item.repository}@${item.digest}`;
    const went = item.kind === 'manifest' ? removedManifests.has(id) : removedBlobs.has(id);
    return { ...item, went, asPlanned: went !== item.keep };
  });
  const planned = new Set(plan.items.map((item) => `${item.repository}@${item.digest}`));
  const unplanned = [...new Set([...report.manifestsRemoved, ...report.blobsRemoved])].filter((id) => !planned.has(id));
  return { plan, report, items, unplanned };
}
