/**
 * POST /_touchstone/gc: garbage collection on demand, with the registry's configured grace period
 * and untagged policy (outside /v2/: not part of the spec). The conformance suite's built-in GC
 * trigger for the reference registry.
 */
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function runGc(ctx: Context): Promise<void> {
  const report = await ctx.config.store.collectGarbage(ctx.config.gc);
  sendJson(ctx.res, 200, report);
}
