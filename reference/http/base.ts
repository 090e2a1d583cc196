/** GET /v2/ (spec end-1): 200 tells clients this is a v2 registry. */
import { sendJson } from './respond.ts';
import type { Context } from './context.ts';

export async function getBase(ctx: Context): Promise<void> {
  sendJson(ctx.res, 200, {}, { 'Docker-Distribution-API-Version': 'registry/2.0' });
}
