/**
 * results.yaml, in a shape close to the official suite's main branch (distribution-spec
 * conformance2: a tree of named results, each with one status of its lattice unknown < disabled
 * < skip < pass < fail < error, written Pass, Skip, Disabled, FAIL, Error): the run, its areas,
 * and one entry per check or property carrying touchstone's id, level, status, message and spec.
 * Translation: fail → FAIL, error → Error; a skip decided by configuration (read-only, a
 * capability declared absent, a switch set to false, a newer spec version) → Disabled, any other
 * skip → Skip; warn (a SHOULD not met) → Pass, since that lattice has no warning and only a MUST
 * fails there — `touchstoneStatus: warn` keeps it visible.
 */
import { stringify } from 'yaml';
import { DISABLED_BY } from '../config.ts';
import { DECLARED_WITHOUT, READ_ONLY_SKIP, SINCE_MAIN_SKIP } from '../checks/runner.ts';
import type { Report, Result } from './types.ts';

export type OfficialStatus = 'Disabled' | 'Skip' | 'Pass' | 'FAIL' | 'Error';
const LATTICE: readonly OfficialStatus[] = ['Disabled', 'Skip', 'Pass', 'FAIL', 'Error'];

export function officialStatus(result: Pick<Result, 'status' | 'message'>): OfficialStatus {
  switch (result.status) {
    case 'pass': case 'warn': return 'Pass';
    case 'fail': return 'FAIL';
    case 'error': return 'Error';
    case 'skip': return [READ_ONLY_SKIP, DECLARED_WITHOUT, DISABLED_BY, SINCE_MAIN_SKIP].some((p) => result.message.startsWith(p)) ? 'Disabled' : 'Skip';
  }
}

function worst(statuses: readonly OfficialStatus[]): OfficialStatus {
  return statuses.reduce<OfficialStatus>((a, b) => (LATTICE.indexOf(b) > LATTICE.indexOf(a) ? b : a), 'Disabled');
}

const NAME = 'OCI Conformance Test';

export function toResultsYaml(report: Report): string {
  const counts = Object.fromEntries(LATTICE.map((s) => [s, 0])) as Record<OfficialStatus, number>;
  const areas = new Map<string, Record<string, unknown>[]>();
  const statuses: OfficialStatus[] = [];
  for (const result of report.results) {
    const status = officialStatus(result);
    counts[status] += 1;
    statuses.push(status);
    const entries = areas.get(result.area) ?? [];
    entries.push({
      name: `${NAME}/${result.area}/${result.id}`,
      id: result.id,
      status,
      touchstoneStatus: result.status,
      level: result.level,
      title: result.title,
      ...(result.message !== '' ? { message: result.message } : {}),
      spec: result.spec,
      seconds: result.ms / 1000,
      ...(result.counterexample ? { replay: result.counterexample.replay } : {}),
    });
    areas.set(result.area, entries);
  }
  const document = {
    name: NAME,
    tool: report.tool,
    target: report.target,
    specVersion: report.specVersion,
    status: worst(statuses),
    startedAt: report.startedAt,
    seconds: report.durationMs / 1000,
    counts,
    children: [...areas].map(([area, entries]) => ({
      name: `${NAME}/${area}`,
      status: worst(entries.map((e) => e.status as OfficialStatus)),
      children: entries,
    })),
  };
  return stringify(document, { lineWidth: 0 });
}
