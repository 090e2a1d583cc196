/**
 * A scripted check: one normative statement of the spec, with a stable id (area.topic.detail),
 * a title, the spec section it checks, its level, and what the registry must offer for it to
 * apply. `run` throws CheckFailure when the registry breaks the statement, CheckSkipped when an
 * optional feature is not offered, and returns an optional note when it passes.
 */
import type { Capability, SpecVersion } from '../config.ts';
import type { CheckContext } from './context.ts';

export type Level = 'MUST' | 'SHOULD' | 'MAY';

/** Ordered as the official suite's lattice: pass < skip < warn < fail < error. */
export type Status = 'pass' | 'skip' | 'warn' | 'fail' | 'error';
export const STATUS_ORDER: readonly Status[] = ['pass', 'skip', 'warn', 'fail', 'error'];

export interface Check {
  readonly id: string;
  readonly title: string;
  /** Spec section (and endpoint id) the check holds the registry to. */
  readonly spec: string;
  readonly level: Level;
  readonly requires?: readonly Capability[];
  /** Only with --spec-version main: requirements added after v1.1.1. */
  readonly since?: SpecVersion;
  /** Not a spec requirement but what real clients depend on (e.g. streamed PATCH). */
  readonly nonNormative?: boolean;
  /** Writes nothing: runs against a read-only registry (--read-only), where every other check is skipped. */
  readonly readOnly?: boolean;
  /** Runs only on existing content the user names (--image, OCI_RO_DATA_*): left out of runs without it. */
  readonly needsExisting?: boolean;
  run(ctx: CheckContext): Promise<string | void>;
}

export function defineChecks(checks: readonly Check[]): readonly Check[] {
  return checks;
}
