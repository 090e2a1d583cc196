/**
 * Renders exchanges as a runnable shell script of curl commands: the reproduction of a failing
 * check or a shrunk property counterexample. Bodies kept whole are written inline (base64), so
 * the script needs nothing but bash, base64 and curl. The registry URL is a variable at the top.
 */
import type { Exchange } from './exchange.ts';

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

const SKIPPED_HEADERS = new Set(['content-length', 'host', 'connection', 'transfer-encoding']);

export function curlScript(exchanges: readonly Exchange[], baseUrl: string, title: string): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# ${title}`,
    `# ${exchanges.length} requests recorded by touchstone; the status each got is noted after it.`,
    'set -u',
    `REGISTRY=\${REGISTRY:-${quote(baseUrl)}}`,
    '',
  ];
  for (const [i, exchange] of exchanges.entries()) {
    const url = exchange.url.startsWith(baseUrl) ? `"$REGISTRY"${quote(exchange.url.slice(baseUrl.length))}` : quote(exchange.url);
    const parts = ['curl -sS -o /dev/null -w "%{http_code}\\n"', `-X ${exchange.method}`];
    for (const [name, value] of Object.entries(exchange.requestHeaders)) {
      if (!SKIPPED_HEADERS.has(name.toLowerCase())) parts.push(`-H ${quote(`${name}: ${value}`)}`);
    }
    let prefix = '';
    const body = exchange.requestBody;
    if (body !== undefined && body.size > 0) {
      if (body.base64 !== undefined) {
        prefix = `echo ${quote(body.base64)} | base64 -d | `;
        parts.push('--data-binary @-');
      } else {
        prefix = `head -c ${body.size} /dev/zero | `;
        parts.push('--data-binary @-');
        lines.push(`# body of ${body.size} bytes was not kept; zeros of the same size stand in`);
      }
    }
    if (exchange.method === 'HEAD') parts[1] = '-I';
    lines.push(`# ${i + 1}: got ${exchange.status}`);
    lines.push(`${prefix}${parts.join(' ')} ${url}`);
  }
  return `${lines.join('\n')}\n`;
}
