/**
 * POST /_touchstone/gc[?advance=SECONDS]: garbage collection on demand, with the registry's
 * configured grace period and untagged policy (outside /v2/: not part of the spec). It is the
 * conformance suite's built-in GC trigger for the reference registry. `advance` runs one
 * collection as if the clock were that many seconds ahead, so the suite can see what is reclaimed
 * once the grace period has passed without waiting for it; the next collection uses the real clock
 * again. Never point it at a store whose uploads matter: an advanced collection treats every
 * unreferenced blob and idle session as old.
 */
import { HttpError } from './errors.ts';
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function runGc(ctx: Context): Promise<void> {
  const advance = ctx.url.searchParams.get('advance');
  if (advance !== null && !/^\d+(\.\d+)?$/.test(advance)) {
    throw new HttpError('PARAMETER_INVALID', `advance=${advance} is not a number of seconds`);
  }
  const now = Date.now() + Number(advance ?? 0) * 1000;
  const report = await ctx.config.store.collectGarbage({ ...ctx.config.gc, now });
  sendJson(ctx.res, 200, report);
}
