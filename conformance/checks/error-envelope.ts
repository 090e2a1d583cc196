/**
 * The error envelope (spec §Error Codes): "If the response body is in JSON format, it MUST have the
 * following format" — {"errors":[{"code","message","detail"}]} — and "the code field MUST be one
 * of" the closed set. `envelopeProblem` says what is wrong with one body; the check
 * validation.errors.every-answer holds every 4xx answer the run received before it to the rule,
 * not only the probes of validation.errors.envelope: an error a registry sends only in one flow
 * (a cancelled session, an out-of-order chunk, an oversized manifest) is judged too.
 */
import { CheckFailure } from '../client/errors.ts';
import type { Exchange } from '../client/exchange.ts';
import { ERROR_CODES } from '../../spec/error-codes.ts';
import { defineChecks } from './types.ts';

/** Offenders named in a failure. */
const SHOWN = 5;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What breaks the envelope in a parsed JSON error body, or undefined when it is one. */
export function envelopeProblem(body: unknown, text: string): string | undefined {
  const errors = isRecord(body) ? body.errors : undefined;
  if (!Array.isArray(errors) || errors.length === 0) return `a JSON body that is not the error envelope {"errors":[{"code","message","detail"}]}: ${text.slice(0, 200)}`;
  for (const error of errors) {
    const code = isRecord(error) ? error.code : undefined;
    if (typeof code !== 'string') return `an entry of "errors" without a string "code": ${JSON.stringify(error)}`;
    if (!Object.hasOwn(ERROR_CODES, code)) return `error code ${JSON.stringify(code)} is not one of the spec's codes (${Object.keys(ERROR_CODES).join(', ')})`;
  }
  return undefined;
}

/** The parsed JSON body of a 4xx answer to a registry endpoint (/v2/…), or undefined. */
function jsonErrorBody(exchange: Exchange): { body: unknown; text: string } | undefined {
  if (exchange.status < 400 || exchange.status >= 500 || exchange.responseBody.base64 === undefined) return undefined;
  if (!new URL(exchange.url).pathname.startsWith('/v2/')) return undefined; // a token service has its own error format
  const text = Buffer.from(exchange.responseBody.base64, 'base64').toString('utf8');
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? { body, text } : undefined;
  } catch {
    return undefined;
  }
}

export default defineChecks([
  {
    id: 'validation.errors.every-answer',
    title: 'Every JSON 4xx answer the run received is the error envelope, with codes from the spec\'s closed set',
    spec: '§Error Codes ("If the response body is in JSON format, it MUST have the following format"; "The code field MUST be one of the following")',
    level: 'MUST',
    async run(ctx) {
      const answers = ctx.client.log.since(0).flatMap((exchange) => {
        const json = jsonErrorBody(exchange);
        return json === undefined ? [] : [{ exchange, problem: envelopeProblem(json.body, json.text) }];
      });
      const bad = answers.filter((a) => a.problem !== undefined);
      if (bad.length > 0) {
        const shown = bad.slice(0, SHOWN).map(({ exchange, problem }) => `${exchange.method} ${new URL(exchange.url).pathname} → ${exchange.status}: ${problem}`);
        throw new CheckFailure(`${bad.length} of the ${answers.length} JSON error answers this run received break the envelope: ${shown.join('; ')}${bad.length > SHOWN ? '; …' : ''}`, bad[0]?.exchange);
      }
      if (answers.length === 0) ctx.skip('the run received no JSON error answer before this check');
      return `${answers.length} JSON error answers checked`;
    },
  },
]);
