/**
 * The JSON report: the Report object itself (types.ts), written with a fixed key order so two runs
 * with the same outcome give the same bytes whatever order the objects were built in, 2-space
 * indented, ending in a newline. Exchanges are kept for results that did not pass (the runner
 * already bounds them), with `failingExchange`, the index of the one that broke the rule; a
 * property failure carries its counterexample (seed, path, commands, curl reproduction, replay
 * command). Absent optional fields are left out, as JSON.stringify does.
 */
import type { BodyRecord, Exchange } from '../client/exchange.ts';
import type { Counterexample, Report, Result, Summary } from './types.ts';

/** Header names sorted: a record has no meaningful order, so the output does not depend on one. */
function sortedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) sorted[name] = headers[name] ?? '';
  return sorted;
}

function bodyJson(body: BodyRecord | undefined): object | undefined {
  return body === undefined ? undefined : { size: body.size, base64: body.base64 };
}

function exchangeJson(exchange: Exchange): object {
  return {
    method: exchange.method,
    url: exchange.url,
    requestHeaders: sortedHeaders(exchange.requestHeaders),
    requestBody: bodyJson(exchange.requestBody),
    status: exchange.status,
    responseHeaders: sortedHeaders(exchange.responseHeaders),
    responseBody: bodyJson(exchange.responseBody),
    ms: exchange.ms,
    incomplete: exchange.incomplete,
  };
}

function counterexampleJson(example: Counterexample): object {
  return {
    seed: example.seed, path: example.path, commands: [...example.commands], curl: example.curl, replay: example.replay,
    executions: example.executions, foundAfterMs: example.foundAfterMs,
  };
}

function resultJson(result: Result): object {
  return {
    id: result.id,
    title: result.title,
    level: result.level,
    status: result.status,
    message: result.message,
    spec: result.spec,
    area: result.area,
    layer: result.layer,
    ms: result.ms,
    nonNormative: result.nonNormative,
    exchanges: result.status !== 'pass' && result.exchanges ? result.exchanges.map(exchangeJson) : undefined,
    failingExchange: result.status !== 'pass' ? result.failingExchange : undefined,
    counterexample: result.counterexample ? counterexampleJson(result.counterexample) : undefined,
  };
}

function summaryJson(summary: Summary): Summary {
  return { pass: summary.pass, fail: summary.fail, warn: summary.warn, skip: summary.skip, error: summary.error };
}

export function toJson(report: Report): string {
  const json = {
    tool: report.tool,
    target: report.target,
    specVersion: report.specVersion,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    summary: summaryJson(report.summary),
    results: report.results.map(resultJson),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
