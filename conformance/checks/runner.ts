/**
 * Runs scripted checks one after another and turns each outcome into a result: CheckFailure →
 * fail (MUST) or warn (SHOULD, MAY); CheckSkipped, a missing capability or a newer spec version →
 * skip with the reason; anything else → error (the harness broke, not the registry).
 */
import { CheckFailure, CheckSkipped } from '../client/errors.ts';
import { keptExchanges, type Result } from '../report/types.ts';
import type { CheckContext } from './context.ts';
import type { Check } from './types.ts';
import { disabledReason, type Capability } from '../config.ts';

/** Exchanges kept per non-passing result: enough to see what happened, bounded for big runs. */
const EXCHANGES_PER_RESULT = 40;

/**
 * The official suite's workflow categories (spec "Workflow Categories"): every area pushes and
 * pulls what it checks; listing tags and referrers is content discovery; deletes are content
 * management. A category the registry is declared without skips its areas.
 */
const AREA_CATEGORIES: Readonly<Record<string, readonly Capability[]>> = {
  base: [],
  tags: ['push', 'pull', 'contentDiscovery'],
  referrers: ['push', 'pull', 'contentDiscovery'],
  deletes: ['push', 'pull', 'contentManagement'],
};

/** A check that writes nothing needs no push, whatever its area. */
export function requirementsOf(check: Pick<Check, 'id' | 'requires' | 'readOnly'>): Capability[] {
  const categories = (AREA_CATEGORIES[areaOf(check.id)] ?? ['push', 'pull']).filter((c) => !check.readOnly || c !== 'push');
  return [...new Set([...categories, ...(check.requires ?? [])])];
}

/** How a skip by configuration begins: the reports call such a skip "disabled". */
export const READ_ONLY_SKIP = 'read-only: needs a push';
export const DECLARED_WITHOUT = 'registry declared without:';
export const SINCE_MAIN_SKIP = 'requirement added after v1.1.1';


export function areaOf(id: string): string {
  return id.split('.')[0] ?? id;
}

/** Whether an id is selected by --only prefixes (none: every id) and not excluded by a --skip prefix. */
export function selected(id: string, only: readonly string[], skip: readonly string[]): boolean {
  const matches = (prefix: string): boolean => id.startsWith(prefix);
  return (only.length === 0 || only.some(matches)) && !skip.some(matches);
}

/** Selected by --only/--skip; a check on existing content also needs some (--image …). */
export function isSelected(check: Pick<Check, 'id' | 'needsExisting'>, ctx: Pick<CheckContext, 'config'>): boolean {
  const existing = ctx.config.existing;
  const hasExisting = existing !== undefined && existing.images.length + existing.blobs.length + existing.referrers.length > 0;
  return selected(check.id, ctx.config.only, ctx.config.skip) && (!check.needsExisting || hasExisting);
}

export async function runCheck(check: Check, ctx: CheckContext): Promise<Result> {
  const base = { id: check.id, title: check.title, level: check.level, spec: check.spec, area: areaOf(check.id), layer: 'scripted' as const, ...(check.nonNormative ? { nonNormative: true } : {}) };
  if (ctx.config.readOnly && !check.readOnly) return { ...base, status: 'skip', message: READ_ONLY_SKIP, ms: 0 };
  const disabled = disabledReason(check.id, ctx.config);
  if (disabled !== undefined) return { ...base, status: 'skip', message: disabled, ms: 0 };
  const missing = requirementsOf(check).filter((capability) => !ctx.config.capabilities[capability]);
  if (missing.length > 0) return { ...base, status: 'skip', message: `${DECLARED_WITHOUT} ${missing.join(', ')}`, ms: 0 };
  if (check.since === 'main' && ctx.config.specVersion !== 'main' && !(ctx.config.optIn ?? []).includes(check.id)) {
    return { ...base, status: 'skip', message: `${SINCE_MAIN_SKIP} (use --spec-version main)`, ms: 0 };
  }
  const mark = ctx.client.log.mark();
  const started = performance.now();
  const exchanges = (error: unknown): Pick<Result, 'exchanges' | 'failingExchange'> =>
    keptExchanges(ctx.client.log.since(mark), EXCHANGES_PER_RESULT, error instanceof CheckFailure ? error.exchange : undefined);
  const ms = (): number => Math.round(performance.now() - started);
  try {
    const note = await check.run(ctx);
    return { ...base, status: 'pass', message: note ?? '', ms: ms() };
  } catch (error) {
    if (error instanceof CheckSkipped) return { ...base, status: 'skip', message: error.message, ms: ms() };
    if (error instanceof CheckFailure) {
      return { ...base, status: check.level === 'MUST' ? 'fail' : 'warn', message: error.message, ms: ms(), ...exchanges(error) };
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ...base, status: 'error', message, ms: ms(), ...exchanges(error) };
  }
}
