/**
 * The spec sentences the playground quotes (spec/sentences.ts) and the checks' citations share
 * their words and their section names: every sentence has a known endpoint and a section the
 * checks cite under the same name; a long passage a check quotes from one of these sentences is
 * cited under that sentence's section (a quote under the wrong section is a wrong citation); and
 * the checks the playground shows next to a sentence are the ones that quote it.
 */
import t from 'tap';
import { SPEC_ENDPOINTS, SPEC_SENTENCES } from '../../spec/sentences.ts';
import { ALL_CHECKS } from '../../conformance/checks/index.ts';
import { checksCiting, cites, namesSection, quotedPassages, sentencesCitedBy } from '../../playground/citations.ts';

/** Passages this long say something particular: they are not "MUST be 201 Created". */
const DISTINCTIVE = 40;

t.test('every sentence is well formed', async (t) => {
  const ids = SPEC_SENTENCES.map((s) => s.id);
  t.equal(new Set(ids).size, ids.length, 'ids are unique');
  const endpoints = new Set(SPEC_ENDPOINTS.map((e) => e.id));
  for (const sentence of SPEC_SENTENCES) {
    for (const endpoint of sentence.endpoints) t.ok(endpoints.has(endpoint), `${sentence.id}: ${endpoint} is in the §Endpoints table`);
    t.match(sentence.anchor, /^[a-z0-9-]+$/, `${sentence.id}: an anchor of spec.md`);
    t.notMatch(sentence.text, /\]\(|<sup>/, `${sentence.id}: markdown links reduced to their text`);
    if (sentence.level === 'NONE') t.notMatch(sentence.text, /\b(MUST|SHOULD|MAY)\b/, `${sentence.id}: says no keyword`);
    else t.ok(sentence.text.includes(sentence.level), `${sentence.id}: a ${sentence.level} sentence says ${sentence.level}`);
  }
});

t.test('every section is one the checks cite, under the same name', async (t) => {
  for (const section of new Set(SPEC_SENTENCES.map((s) => s.section))) {
    t.ok(ALL_CHECKS.some((check) => namesSection(check, section)), `§${section} is cited by a check`);
  }
});

t.test('a distinctive passage a check quotes is cited under the section it stands in', async (t) => {
  let compared = 0;
  for (const check of ALL_CHECKS) {
    for (const passage of quotedPassages(check.spec).filter((p) => p.length >= DISTINCTIVE)) {
      const holders = SPEC_SENTENCES.filter((sentence) => sentence.text.replaceAll('`', '').includes(passage));
      if (holders.length === 0) continue;
      compared += 1;
      t.ok(holders.some((sentence) => namesSection(check, sentence.section)), `${check.id} quotes "${passage}" from §${holders.map((s) => s.section).join(' / §')}`, { spec: check.spec });
    }
  }
  t.ok(compared >= 20, `${compared} passages compared`);
});

t.test('the citations the playground shows', async (t) => {
  const byCheck = (id: string) => sentencesCitedBy(ALL_CHECKS.find((check) => check.id === id) as (typeof ALL_CHECKS)[number]).map((s) => s.id);
  t.same(byCheck('blobs.upload.chunked-out-of-order'), ['chunked.out-of-order']);
  t.same(byCheck('blobs.upload.put-without-digest'), ['chunked.close-digest']);
  t.same(byCheck('blobs.mount.from-served'), ['mount.created'], 'the same words in §Pushing a blob in chunks are not this check\'s');
  t.same(byCheck('manifests.push.subject-header'), ['manifests.push.subject']);
  t.same(byCheck('referrers.filter.applied'), ['referrers.filter']);
  t.same(byCheck('tags.list.n-zero'), ['tags.n-zero']);
  t.same(byCheck('deletes.tag.status'), ['delete.tag']);
  const chunkRule = SPEC_SENTENCES.find((s) => s.id === 'chunked.out-of-order');
  t.same(checksCiting(chunkRule!).map((c) => c.id), ['blobs.upload.chunked-out-of-order']);
  const citations = ALL_CHECKS.flatMap((check) => SPEC_SENTENCES.filter((s) => cites(check, s)));
  t.ok(citations.length >= 40, `${citations.length} citations between ${ALL_CHECKS.length} checks and ${SPEC_SENTENCES.length} sentences`);
});
