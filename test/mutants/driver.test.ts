/**
 * The mutation driver's bookkeeping (docs/mutants.md): how the command's verdict line becomes
 * Stryker's status, and that a results file settled once and read back by `--incremental` (the
 * mutants outside a FILE:LINES range are kept as they were) is not settled again; the table and
 * the survivor list written into docs/mutants.md and README.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { MARK, settle } from '../../mutants/profile.ts';
import { triageOf, writeTables, type ResultMutant, type TriageEntry } from '../../mutants/table.ts';

const output = (line: string): string => `some log\n${MARK} ${line}\nmore log`;

t.test('the verdict line decides the status; only killed: is a kill', async (t) => {
  const cases: readonly [string, string][] = [
    ['killed: tags.list.n pass → fail: 12 tags', 'Killed'],
    ['not reached: the baseline run never executed this code', 'NoCoverage'],
    ['timed out after 180 s', 'Timeout'],
    ['error: crash (unhandled rejection): TypeError', 'RuntimeError'],
  ];
  for (const [line, status] of cases) {
    const mutant = { status: 'Killed', statusReason: output(line) };
    settle(mutant);
    t.equal(mutant.status, status, line);
    t.equal(mutant.statusReason, line, 'the reason is the verdict line alone');
  }
  const silent = { status: 'Killed', statusReason: 'Error: Cannot find module' };
  settle(silent);
  t.equal(silent.status, 'RuntimeError', 'a command that printed no verdict is an error, never a kill');
  const survived = { status: 'Survived', statusReason: output('survived: 155 results as in the baseline') };
  settle(survived);
  t.equal(survived.status, 'Survived');
});

t.test('settling a results file twice (mutants kept by --incremental) changes nothing', async (t) => {
  for (const line of ['killed: tags.list.link-format pass → fail: Link ""', 'error: crash', 'timed out after 180 s']) {
    const mutant = { status: 'Killed', statusReason: output(line) };
    settle(mutant);
    const once = { ...mutant };
    settle(mutant);
    t.same(mutant, once, line);
  }
});

t.test('a triage entry matches its file, lines, mutator and replacement only', async (t) => {
  const mutant = (line: number, mutatorName: string, replacement: string): ResultMutant => ({ id: '1', mutatorName, replacement, location: { start: { line, column: 1 } }, status: 'Survived' });
  const entries: TriageEntry[] = [
    { file: 'reference/http/tags.ts', lines: [15, 15], mutator: 'StringLiteral', replacement: '``', verdict: 'equivalent', why: 'wording' },
    { file: 'reference/store/keyed-mutex.ts', lines: [37, 40], verdict: 'equivalent', why: 'tests only' },
  ];
  t.equal(triageOf('reference/http/tags.ts', mutant(15, 'StringLiteral', '``'), entries)?.why, 'wording');
  t.equal(triageOf('reference/http/tags.ts', mutant(15, 'StringLiteral', '"x"'), entries), undefined, 'another replacement');
  t.equal(triageOf('reference/http/tags.ts', mutant(16, 'StringLiteral', '``'), entries), undefined, 'another line');
  t.equal(triageOf('reference/http/blobs.ts', mutant(15, 'StringLiteral', '``'), entries), undefined, 'another file');
  t.equal(triageOf('reference/store/keyed-mutex.ts', mutant(38, 'BlockStatement', '{}'), entries)?.why, 'tests only', 'any mutator within the lines');
  const byColumn: TriageEntry[] = [
    { file: 'reference/http/manifests.ts', lines: [68, 68], column: 106, mutator: 'StringLiteral', replacement: '""', verdict: 'allowed', why: 'the header value' },
    { file: 'reference/http/manifests.ts', lines: [68, 68], mutator: 'StringLiteral', replacement: '""', verdict: 'investigated', why: 'the error kind' },
  ];
  const at = (column: number): ResultMutant => ({ ...mutant(68, 'StringLiteral', '""'), location: { start: { line: 68, column } } });
  t.equal(triageOf('reference/http/manifests.ts', at(106), byColumn)?.why, 'the header value', 'an entry with a column takes that column');
  t.equal(triageOf('reference/http/manifests.ts', at(24), byColumn)?.why, 'the error kind', 'and only that column');
});

t.test('the table counts each status, leaves equivalent and allowed mutants out of the last score, names files not run', async (t) => {
  const root = t.testdir({
    reference: { http: { 'tags.ts': '' }, store: { 'errors.ts': '' } },
    docs: {
      'mutants.json': JSON.stringify({
        entries: [
          { file: 'reference/http/tags.ts', lines: [2, 2], verdict: 'equivalent', why: 'a log line' },
          { file: 'reference/http/tags.ts', lines: [3, 3], verdict: 'allowed', why: 'another allowed answer' },
          { file: 'reference/http/tags.ts', lines: [6, 6], verdict: 'investigated', why: 'a crash' },
        ],
      }),
      'mutants.md': 'head\n<!-- mutants-table:start -->\nold\n<!-- mutants-table:end -->\n<!-- mutants-survivors:start -->\nold\n<!-- mutants-survivors:end -->\n',
    },
    'README.md': 'readme\n<!-- mutants-table:start -->\nold\n<!-- mutants-table:end -->\ntail\n',
    mutants: { results: { reference: { http: { 'tags.ts.json': JSON.stringify({
      runAt: '2026-12-06T11:00:00.000Z',
      files: { 'reference/http/tags.ts': { mutants: [
        ['Killed', 1], ['Survived', 2], ['NoCoverage', 3], ['Survived', 4], ['Timeout', 5], ['RuntimeError', 6],
      ].map(([status, line]) => ({ id: String(line), mutatorName: 'StringLiteral', replacement: '""', location: { start: { line, column: 1 } }, status })) },
      } }) } } } },
  });
  await writeTables(root);
  const docs = await readFile(join(root, 'docs/mutants.md'), 'utf8');
  // 6 mutants: killed 1 + timed out 1 of 5 (the error left out) = 40 %; without equivalent and allowed: 2 of 3.
  t.match(docs, '| `reference/http/tags.ts` | 2026-12-06 | 6 | 1 | 2 | 1 | 1 | 1 | 40.0 % | 1 | 1 | 66.7 % |');
  t.match(docs, 'Not run yet (1 file): `reference/store/errors.ts`.');
  t.match(docs, '`reference/http/tags.ts:2:1` StringLiteral → `""` (survived): equivalent: a log line');
  t.match(docs, '`reference/http/tags.ts:3:1` StringLiteral → `""` (not reached): allowed: another allowed answer');
  t.match(docs, '`reference/http/tags.ts:4:1` StringLiteral → `""` (survived): **untriaged**');
  t.match(docs, '(runtimeerror): error, investigated: a crash');
  t.notMatch(docs, 'old');
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  t.match(readme, /^readme\n<!-- mutants-table:start -->\n1 of 2 files run/);
  t.match(readme, '66.7 %');
  t.match(readme, /tail\n$/);
});

t.test('the passes: the main pass keeps check ids, the others name theirs; each pass selects checks that exist', async (t) => {
  const { DISABLED_TAG_DELETE_CHECKS, RACE_CHECKS, SHORT_WRITE_CHECKS, SLOW_DELETE_CHECK, partId } = await import('../../mutants/passes.ts');
  const { ALL_CHECKS } = await import('../../conformance/checks/index.ts');
  t.equal(partId('main', 'tags.list.all'), 'tags.list.all');
  t.equal(partId('secure', 'auth.token.expired'), 'secure:auth.token.expired');
  for (const id of DISABLED_TAG_DELETE_CHECKS) t.ok(ALL_CHECKS.some((check) => check.id === id), `${id} is a check`);
  t.ok(ALL_CHECKS.filter((check) => check.needsAuth).length >= 10, 'the secure pass has the auth checks to run');
  t.equal(partId('race', 'gc.race.push-during-collection'), 'race:gc.race.push-during-collection');
  t.ok(ALL_CHECKS.filter((check) => check.id.startsWith(RACE_CHECKS)).length >= 3, 'the race pass has the race checks to run');
  t.ok(ALL_CHECKS.some((check) => check.id === SLOW_DELETE_CHECK), 'the slow-delete pass has its check to run');
  t.equal(partId('slow-delete', SLOW_DELETE_CHECK), `slow-delete:${SLOW_DELETE_CHECK}`);
  t.ok(ALL_CHECKS.filter((check) => check.id.startsWith(SHORT_WRITE_CHECKS)).length >= 20, 'the short-write pass has the upload checks to run');
});

t.test('checks of the mutated file\'s areas run first, but the check that judges every answer stays behind those it followed', async (t) => {
  const { firstFor } = await import('../../mutants/profile.ts');
  const ids = ['blobs.upload.chunked', 'validation.name.invalid', 'validation.errors.every-answer', 'gc.safety.young-blob'].map((id) => ({ id }));
  t.same(firstFor('reference/http/errors.ts', ids).map((c) => c.id), ['validation.name.invalid', 'blobs.upload.chunked', 'validation.errors.every-answer', 'gc.safety.young-blob']);
  t.same(firstFor('reference/store/uploads.ts', ids).map((c) => c.id), ['blobs.upload.chunked', 'validation.name.invalid', 'validation.errors.every-answer', 'gc.safety.young-blob']);
  t.same(firstFor(undefined, ids).map((c) => c.id), ids.map((c) => c.id), 'no area: the suite\'s order');
});

t.test('a file without a single mutant, once run, is a row of zeros, not a file not run', async (t) => {
  const root = t.testdir({
    reference: { http: { 'context.ts': 'export type A = 1;\n' }, store: {} },
    docs: {
      'mutants.json': JSON.stringify({ entries: [] }),
      'mutants.md': '<!-- mutants-table:start -->\n<!-- mutants-table:end -->\n<!-- mutants-survivors:start -->\n<!-- mutants-survivors:end -->\n',
    },
    'README.md': '<!-- mutants-table:start -->\n<!-- mutants-table:end -->\n',
    mutants: { results: { reference: { http: { 'context.ts.json': JSON.stringify({ runAt: '2026-12-06T20:30:00.000Z', files: {} }) } } } },
  });
  await writeTables(root);
  const docs = await readFile(join(root, 'docs/mutants.md'), 'utf8');
  t.match(docs, '1 of 1 files run');
  t.match(docs, '| `reference/http/context.ts` | 2026-12-06 | 0 | 0 | 0 | 0 | 0 | 0 | — | 0 | 0 | — |');
  t.notMatch(docs, 'Not run yet');
});
