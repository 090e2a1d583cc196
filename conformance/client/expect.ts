/**
 * Expectations as data, like the official suite: the spec often allows several answers, so each
 * helper takes the set of allowed statuses or codes. A miss throws CheckFailure with the exchange.
 */
import { createHash } from 'node:crypto';
import { ERROR_CODES } from '../../spec/error-codes.ts';
import { DIGEST_PATTERN } from '../../spec/grammars.ts';
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
  const errors = envelopeErrors(reply) ?? [];
  if (errors.length === 0) {
    throw new CheckFailure(`${what}: expected a JSON error body with code ${codes.join(' or ')}, got ${describe(reply)}`, reply.exchange);
  }
  expectSpecCodesIfJson(reply, what);
  const found = errors.map((error) => (error as { code: string }).code);
  if (!found.some((code) => codes.includes(code))) {
    throw new CheckFailure(`${what}: expected error code ${codes.join(' or ')}, got ${found.join(', ')}`, reply.exchange);
  }
}

/** The entries of the JSON error envelope `{"errors":[…]}`, or undefined when the body is not one. */
function envelopeErrors(reply: Reply): unknown[] | undefined {
  const body = reply.json<{ errors?: unknown }>();
  if (body === undefined || body === null || typeof body !== 'object' || !Array.isArray(body.errors)) return undefined;
  return body.errors;
}

const VERIFIABLE = new Set(['sha256', 'sha384', 'sha512']);

/**
 * Whether a Docker-Content-Digest value names `bytes` (spec: it "must match the digest of the
 * returned blob"; it may use another algorithm than the request). An algorithm this suite cannot
 * compute is taken on trust as long as the value is a well-formed digest.
 */
export function digestNames(value: string, bytes: Uint8Array): boolean {
  if (!DIGEST_PATTERN.test(value)) return false;
  const [algorithm = '', encoded = ''] = value.split(':');
  if (!VERIFIABLE.has(algorithm)) return true;
  return createHash(algorithm).update(bytes).digest('hex') === encoded;
}

/** When Docker-Content-Digest is present it must name the content (MUST wherever it is sent). */
export function expectDigestHeaderIfPresent(reply: Reply, bytes: Uint8Array, what: string): void {
  const value = reply.header('docker-content-digest');
  if (value !== undefined && !digestNames(value, bytes)) {
    throw new CheckFailure(`${what}: Docker-Content-Digest ${JSON.stringify(value)} does not name the content`, reply.exchange);
  }
}

/** When Content-Length is present it must be the blob's size. */
export function expectLengthIfPresent(reply: Reply, size: number, what: string): void {
  const value = reply.header('content-length');
  if (value !== undefined && Number(value) !== size) {
    throw new CheckFailure(`${what}: Content-Length ${value}, expected ${size}`, reply.exchange);
  }
}

/**
 * A 4xx body "MAY be in any format"; when it is the JSON error envelope, one of its codes must be
 * one of `codes`. An empty or non-JSON body passes.
 */
export function expectCodeIfJson(reply: Reply, codes: readonly string[], what: string): void {
  if (envelopeErrors(reply) !== undefined) expectErrorCode(reply, codes, what);
}

/** An error body, when it is the JSON envelope, uses codes of the spec's closed set ("MUST be one of"). */
export function expectSpecCodesIfJson(reply: Reply, what: string): void {
  for (const error of envelopeErrors(reply) ?? []) {
    const code = (error as { code?: unknown } | null)?.code;
    ensure(typeof code === 'string' && Object.hasOwn(ERROR_CODES, code), `${what}: error code ${JSON.stringify(code)} is not one of the spec's codes`, reply);
  }
}

export function expectBody(reply: Reply, expected: Uint8Array, what: string): void {
  if (!reply.body.equals(expected)) {
    throw new CheckFailure(`${what}: body differs from what was pushed (${reply.body.length} bytes, expected ${expected.length})`, reply.exchange);
  }
}

export function ensure(condition: boolean, message: string, reply?: Reply): asserts condition {
  if (!condition) throw new CheckFailure(message, reply?.exchange);
}
