/**
 * The hard line of the official suite: a registry that breaks the spec gives a CheckFailure
 * (status fail, or warn for a SHOULD); a harness that breaks — connection refused, a timeout, a
 * bug in the suite — gives a HarnessError (status error), never a registry failure. CheckSkipped
 * marks an optional feature the registry does not offer. Stable `name` and `code`, like undici.
 */
import type { Exchange } from './exchange.ts';

export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  readonly code = 'TOUCHSTONE_CHECK_FAILED';
  readonly exchange: Exchange | undefined;

  constructor(message: string, exchange?: Exchange) {
    super(message);
    this.exchange = exchange;
  }
}

export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
  readonly code = 'TOUCHSTONE_CHECK_SKIPPED';
}

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code = 'TOUCHSTONE_HARNESS_ERROR';
}
