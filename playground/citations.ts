/**
 * The link between the spec sentences the playground quotes (spec/sentences.ts) and the scripted
 * checks that hold a registry to them, read from each check's `spec` field: a check cites a
 * sentence when it names the sentence's section ("§Pushing a blob in chunks") and a passage it
 * quotes ("…" in double quotes; "…" inside marks an elision) is part of the sentence's text — the
 * same words stand in several sections of the spec. A walkthrough step shows the checks behind
 * its sentence; a failing check in a lesson shows the sentences it quotes.
 */
import { SPEC_SENTENCES, type SpecSentence } from '../spec/sentences.ts';
import { ALL_CHECKS } from '../conformance/checks/index.ts';
import type { Check } from '../conformance/checks/types.ts';

/** Shorter passages ("MUST", "201") would match by accident. */
const MIN_PASSAGE = 16;

function normalize(text: string): string {
  return text.replaceAll('`', '').replace(/\s+/g, ' ').trim();
}

/** The passages a check's `spec` quotes, each split at "…". */
export function quotedPassages(spec: string): string[] {
  const passages: string[] = [];
  for (const match of spec.matchAll(/"([^"]+)"/g)) {
    for (const part of (match[1] ?? '').split('…')) {
      const passage = normalize(part);
      if (passage.length >= MIN_PASSAGE) passages.push(passage);
    }
  }
  return passages;
}

export function namesSection(check: Pick<Check, 'spec'>, section: string): boolean {
  return new RegExp(`§${section.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z])`).test(check.spec);
}

function quotes(check: Pick<Check, 'spec'>, sentence: SpecSentence): boolean {
  const text = normalize(sentence.text);
  return quotedPassages(check.spec).some((passage) => text.includes(passage));
}

export function cites(check: Pick<Check, 'spec'>, sentence: SpecSentence): boolean {
  return namesSection(check, sentence.section) && quotes(check, sentence);
}

export function sentencesCitedBy(check: Pick<Check, 'spec'>, sentences: readonly SpecSentence[] = SPEC_SENTENCES): SpecSentence[] {
  return sentences.filter((sentence) => cites(check, sentence));
}

export function checksCiting(sentence: SpecSentence, checks: readonly Check[] = ALL_CHECKS): Check[] {
  return checks.filter((check) => cites(check, sentence));
}

export function sentenceById(id: string): SpecSentence | undefined {
  return SPEC_SENTENCES.find((sentence) => sentence.id === id);
}
