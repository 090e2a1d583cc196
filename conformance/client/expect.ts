/**
 * Expectations as data, like the official suite: the spec often allows several answers, so each
 * helper takes the set of allowed statuses or codes. A miss throws CheckFailure with the exchange.
 */
import { ERROR_CODES } from '../../spec/error-codes.ts';
import { CheckFailure } from './errors.ts';
import { bodyText, requestPath } from './exchange.ts';
import type { Reply } from './registry-client.ts';

function describe(reply: Reply): string {
  const text = bodyText(reply.exchange.responseBody, 200);
  return `${reply.exchange.method} ${requestPath(reply.exchange.url)} → ${reply.status}${text ? ` ${text}` : ''}`;
}

export function expectStatus(reply: Reply, allowed: readonly number[], what: string): void {
  if (!allowed.includes(reply.status)) {
    throw new CheckFailure(`${what}: expected status ${allowed.join(' or ')}, got ${reply.status} (${describe(reply)})`, reply.exchange);
  }
}

/** The error envelope `{"errors":[{"code",...}]}` with one of `codes` (spec "Error Codes"). */
export function expectErrorCode(reply: Reply, codes: readonly string[], what: string): void {
  const body = reply.json<{ errors?: { code?: unknown }[] }>();
  const found = Array.isArray(body?.errors) ? body.errors.map((e) => e.code) : [];
  if (found.length === 0) {
    throw new CheckFailure(`${what}: expected a JSON error body with code ${codes.join(' or ')}, got ${describe(reply)}`, reply.exchange);
  }
  for (const code of found) {
    if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code)) {
      throw new CheckFailure(`${what}: error code ${JSON.stringify(code)} is not one of the spec's codes`, reply.exchange);
    }
  }
  if (!found.some((code) => codes.includes(code as string))) {
    throw new CheckFailure(`${what}: expected error code ${codes.join(' or ')}, got ${found.join(', ')}`, reply.exchange);
  }
}

export function expectHeader(reply: Reply, name: string, expected: string | RegExp, what: string): string {
  const value = reply.header(name);
  const ok = value !== undefined && (typeof expected === 'string' ? value === expected : expected.test(value));
  if (!ok) {
    throw new CheckFailure(`${what}: expected header ${name}: ${String(expected)}, got ${value === undefined ? 'none' : JSON.stringify(value)}`, reply.exchange);
  }
  return value;
}

export function expectBody(reply: Reply, expected: Uint8Array, what: string): void {
  if (!reply.body.equals(expected)) {
    throw new CheckFailure(`${what}: body differs from what was pushed (${reply.body.length} bytes, expected ${expected.length})`, reply.exchange);
  }
}

export function ensure(condition: boolean, message: string, reply?: Reply): asserts condition {
  if (!condition) throw new CheckFailure(message, reply?.exchange);
}
