/**
 * The reference registry's own GC trigger for tests: POST /_touchstone/gc?advance=S on its admin
 * endpoint, optionally as if `advanceMs` had passed, with an optional step before each collection
 * (a test that breaks the store on purpose, as a wrong collector would see it).
 */
import type { GcTrigger } from '../../conformance/config.ts';
import { call } from './registry.ts';

export function adminTrigger(url: string, canAdvance = true, before?: () => Promise<void>): GcTrigger {
  return {
    canAdvance,
    description: 'touchstone endpoint',
    async run(advanceMs) {
      await before?.();
      const reply = await call(url, 'POST', `/_touchstone/gc?advance=${advanceMs / 1000}`);
      if (reply.status !== 200) throw new Error(`POST /_touchstone/gc answered ${reply.status}`);
    },
  };
}
