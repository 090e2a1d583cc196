/**
 * The hard line of the official suite: a registry that breaks the spec gives a CheckFailure
 * (status fail, or warn for a SHOULD), an answer it breaks off a BrokenResponse (one of those); a
 * harness that breaks before any answer — connection refused, name resolution, TLS setup, no
 * answer in time — or a bug in the suite gives a HarnessError (status error), never a registry
 * failure. CheckSkipped marks an optional feature the registry does not offer. Stable `name` and
 * `code`, like undici.
 */
import type { Exchange } from './exchange.ts';

export class CheckFailure extends Error {
  override readonly name: string = 'CheckFailure';
  readonly code: string = 'TOUCHSTONE_CHECK_FAILED';
  readonly exchange: Exchange | undefined;

  constructor(message: string, exchange?: Exchange) {
    super(message);
    this.exchange = exchange;
  }
}

/**
 * The registry began an answer and broke it off — the body ended short of its Content-Length or
 * of its last chunk, the connection was reset after the status line — or sent something that is
 * not HTTP: "a message that is received with fewer octets than its Content-Length is incomplete"
 * (RFC 9112 §6.3), and a client cannot use it. The registry's failure, of whatever check or
 * property step sent the request: a CheckFailure, with the exchange and the bytes received.
 */
export class BrokenResponse extends CheckFailure {
  override readonly name = 'BrokenResponse';
  override readonly code = 'TOUCHSTONE_BROKEN_RESPONSE';
}

export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
  readonly code = 'TOUCHSTONE_CHECK_SKIPPED';
}

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code = 'TOUCHSTONE_HARNESS_ERROR';
}
