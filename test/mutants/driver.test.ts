/**
 * The mutation driver's bookkeeping (docs/mutants.md): how the command's verdict line becomes
 * Stryker's status, and that a results file settled once and read back by `--incremental` (the
 * mutants outside a FILE:LINES range are kept as they were) is not settled again.
 */
import t from 'tap';
import { settle } from '../../mutants/run.ts';
import { MARK } from '../../mutants/profile.ts';
import { triageOf, type ResultMutant, type TriageEntry } from '../../mutants/table.ts';

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
});
