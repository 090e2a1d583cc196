/**
 * Every walkthrough, in the order the page lists them, and one run of a walkthrough made ready
 * for the page: fresh repository names (never one the store already has, so a walkthrough can be
 * run again and again), and each step's spec sentences resolved from spec/sentences.ts with the
 * checks that cite them (citations.ts).
 */
import type { ImageStore } from '../../reference/store/image-store.ts';
import type { SpecSentence } from '../../spec/sentences.ts';
import { checksCiting, sentenceById } from '../citations.ts';
import { chunked, lastChunkInPut, monolithic, mount, streamed } from './blobs.ts';
import { imageWalkthrough, indexWalkthrough, tagPages, tagsMove } from './manifests.ts';
import { deletes, gc, referrers } from './lifecycle.ts';
import type { BuildContext, Step, Walkthrough, WalkthroughDefinition } from './types.ts';

export const WALKTHROUGHS: readonly WalkthroughDefinition[] = [monolithic, chunked, lastChunkInPut, streamed, mount, imageWalkthrough, indexWalkthrough, tagsMove, tagPages, referrers, deletes, gc];

export interface SentenceView extends SpecSentence {
  /** Ids of the scripted checks that quote it. */
  readonly checks: readonly string[];
}

export interface StepView extends Omit<Step, 'sentences'> {
  readonly sentences: readonly SentenceView[];
}

export interface WalkthroughView extends Omit<Walkthrough, 'steps'> {
  readonly steps: readonly StepView[];
}

export function sentenceView(id: string): SentenceView {
  const sentence = sentenceById(id);
  if (!sentence) throw new Error(`no spec sentence ${id} in spec/sentences.ts`);
  return { ...sentence, checks: checksCiting(sentence).map((check) => check.id) };
}

/**
 * Builds one run of `definition`. Repository names are under learn/, never one the store holds
 * or one `given` (the names earlier runs of this process handed out) holds.
 */
export async function buildWalkthrough(definition: WalkthroughDefinition, store: ImageStore, given: Set<string>, gcSettings: BuildContext['gc']): Promise<WalkthroughView> {
  const existing = new Set(await store.layout.listRepositories());
  const repo = (hint: string): string => {
    for (let n = 1; ; n += 1) {
      const name = n === 1 ? `learn/${hint}` : `learn/${hint}-${n}`;
      if (existing.has(name) || given.has(name)) continue;
      given.add(name);
      return name;
    }
  };
  const built = definition.build({ repo, gc: gcSettings });
  return {
    id: definition.id,
    title: definition.title,
    summary: definition.summary,
    ...built,
    steps: built.steps.map((s) => ({ ...s, sentences: s.sentences.map(sentenceView) })),
  };
}
