/**
 * Test helpers for the report writers (conformance/report/*.ts): builders for results, exchanges
 * and reports, a sample report with every status, a property counterexample, binary, large and
 * hostile bodies, and a small strict XML parser (XML 1.0 well-formedness: one root, matched tags,
 * quoted unique attributes, only known references, only legal characters) so tests check the
 * structure of the JUnit and HTML output rather than grepping it.
 */
import { bodyRecord, BODY_KEEP_BYTES, type BodyRecord, type Exchange } from '../../conformance/client/exchange.ts';
import { curlScript } from '../../conformance/client/curl.ts';
import { areaOf } from '../../conformance/checks/runner.ts';
import { summarize, type Counterexample, type Report, type Result } from '../../conformance/report/types.ts';

/** Strings a registry could put in bodies, headers and messages to break a report. */
export const HOSTILE = {
  script: '<script>alert(1)</script>',
  attribute: '"><img src=x onerror=alert(1)>',
  /** Characters XML 1.0 cannot carry, a terminal escape, and a lone surrogate. */
  controls: 'nul\u0000 esc\u001b[31mred vt\u000b ff\u000c lone\ud800 fffe\ufffe',
  /** A line break followed by what would be a TAP test point or a new YAML key. */
  newlines: 'first line\nnot ok 99 - forged\n  ...\nBail out! forged\r\nlast',
  /** TAP directive characters. */
  hashes: 'a # SKIP forged \\ # TODO forged',
} as const;

const TARGET = 'http://127.0.0.1:5000';

export function body(content: string | Uint8Array): BodyRecord {
  return bodyRecord(typeof content === 'string' ? Buffer.from(content) : content) ?? { size: 0, base64: undefined };
}

export function exchange(fields: Partial<Exchange> = {}): Exchange {
  return {
    method: 'GET',
    url: `${TARGET}/v2/conformance/repo/blobs/sha256:${'a'.repeat(64)}`,
    requestHeaders: { accept: '*/*' },
    requestBody: undefined,
    status: 404,
    responseHeaders: { 'content-type': 'application/json' },
    responseBody: body('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}'),
    ms: 3,
    ...fields,
  };
}

export function result(fields: Partial<Result> & Pick<Result, 'id' | 'status'>): Result {
  return {
    title: `title of ${fields.id}`,
    level: 'MUST',
    message: fields.status === 'pass' ? '' : `message of ${fields.id}`,
    spec: '§Pulling blobs (end-2)',
    area: areaOf(fields.id),
    layer: 'scripted',
    ms: 12,
    ...fields,
  };
}

export function report(results: readonly Result[], fields: Partial<Report> = {}): Report {
  return {
    tool: 'touchstone',
    target: TARGET,
    specVersion: 'v1.1.1',
    startedAt: '2025-01-02T03:04:05.678Z',
    durationMs: 4321,
    summary: summarize(results),
    results,
    ...fields,
  };
}

/** Bytes that bodyText must show as binary. */
export const BINARY = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);

function counterexample(exchanges: readonly Exchange[]): Counterexample {
  return {
    seed: 1234567,
    path: '3:1:0',
    commands: ['pushBlob(repo-a, 12 bytes)', `pushManifest(repo-a, tag ${HOSTILE.script})`, 'deleteBlob(repo-a, sha256:aaaa)'],
    curl: curlScript(exchanges, TARGET, 'property.model.registry counterexample'),
    replay: `npx touchstone check --url ${TARGET} --only property.blobs --seed 1234567 --path 3:1:0`,
    executions: 12,
    foundAfterMs: 840,
  };
}

/**
 * One report with every status, a non-normative check, a property counterexample, failures that
 * name the exchange that broke the rule (and one that names none), exchanges with
 * binary, large (not kept) and long (kept, truncated for display) bodies, and hostile strings in
 * messages, titles, headers and bodies.
 */
export function sampleReport(): Report {
  const hostileExchange = exchange({
    method: 'PUT',
    url: `${TARGET}/v2/conformance/repo/manifests/${encodeURIComponent(HOSTILE.attribute)}`,
    requestHeaders: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'x-hostile': HOSTILE.attribute },
    requestBody: body(`{"annotations":{"x":"${HOSTILE.script}"}}`),
    status: 400,
    responseHeaders: { 'content-type': 'text/html', 'x-evil': HOSTILE.script, 'x-controls': HOSTILE.controls },
    // Text to bodyText (no NUL or ESC), yet with characters XML 1.0 cannot carry.
    responseBody: body(`<html>${HOSTILE.script}${HOSTILE.attribute} vt\u000b ff\u000c fffe\ufffe</html>`),
  });
  const binaryExchange = exchange({ status: 200, responseHeaders: { 'content-type': 'application/octet-stream' }, responseBody: body(BINARY) });
  const largeExchange = exchange({ method: 'PUT', requestBody: body(new Uint8Array(BODY_KEEP_BYTES + 1)), status: 201, responseBody: body('') });
  const longExchange = exchange({ status: 200, responseBody: body('x'.repeat(10_000)) });
  const propertyExchanges = [exchange({ method: 'POST', status: 202, requestHeaders: { 'x-hostile': `${HOSTILE.script}${HOSTILE.attribute}` } }), exchange({ method: 'HEAD', status: 200, responseBody: body('') })];
  return report([
    result({ id: 'blobs.pull.get', status: 'pass' }),
    result({ id: 'blobs.pull.range', status: 'warn', level: 'SHOULD', message: `Range ignored ${HOSTILE.attribute}`, exchanges: [longExchange] }),
    result({ id: 'blobs.pull.missing', status: 'fail', message: `expected 404, got 200 ${HOSTILE.script}`, exchanges: [binaryExchange, largeExchange, hostileExchange], failingExchange: 0 }),
    result({ id: 'blobs.pull.controls', status: 'fail', title: `controls ${HOSTILE.controls}`, message: HOSTILE.controls, exchanges: [hostileExchange] }),
    result({ id: 'uploads.chunked.order', status: 'skip', level: 'MAY', message: `registry declared without: referrers ${HOSTILE.hashes}` }),
    result({ id: 'uploads.session.harness', status: 'error', message: `TypeError: cannot read ${HOSTILE.newlines}`, exchanges: [exchange()] }),
    result({ id: 'uploads.streamed.patch', status: 'pass', nonNormative: true, title: `streamed PATCH ${HOSTILE.hashes}`, spec: '§Pushing a blob in chunks (end-5)' }),
    result({
      id: 'property.model.registry',
      status: 'fail',
      layer: 'property',
      title: 'the registry behaves as the model',
      message: `after 3 commands: blob still served ${HOSTILE.newlines}`,
      spec: '§Deleting Blobs (end-10)',
      ms: 2500,
      exchanges: propertyExchanges,
      failingExchange: 1,
      counterexample: counterexample(propertyExchanges),
    }),
    result({ id: 'tags.list.paging', status: 'skip', level: 'SHOULD', message: 'registry declared without: contentDiscovery', spec: '§Listing Tags (end-8b)' }),
    result({ id: 'tags.list.sorted', status: 'warn', level: 'SHOULD', nonNormative: true, message: HOSTILE.newlines, spec: '§Listing Tags (end-8a)' }),
  ]);
}

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

/** XML 1.0 §2.2 Char. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** What the XML writers show for `text`: characters XML 1.0 cannot carry as visible \u escapes. */
export function visibleInXml(text: string): string {
  return [...text].map((char) => (isXmlChar(char.codePointAt(0) ?? 0) ? char : `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)).join('');
}

function isNameStart(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_' || char === ':';
}

function isNameChar(char: string): boolean {
  return isNameStart(char) || (char >= '0' && char <= '9') || char === '-' || char === '.';
}

const NAMED_REFERENCES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Parses `document` as a well-formed XML document and returns its root element; throws on any
 * well-formedness error. `doctype` also accepts the HTML `<!DOCTYPE html>` prolog.
 */
export function parseXml(document: string, options: { readonly doctype?: boolean } = {}): XmlElement {
  // §2.11: every CR LF and lone CR reaches the parser as LF.
  const source = document.replaceAll('\r\n', '\n').replaceAll('\r', '\n');
  for (const char of source) {
    const code = char.codePointAt(0) ?? 0;
    if (!isXmlChar(code)) throw new Error(`character U+${code.toString(16)} is not allowed in XML`);
  }
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${pos}: ${JSON.stringify(source.slice(pos, pos + 40))}`);
  };
  const at = (text: string): boolean => source.startsWith(text, pos);
  const expect = (text: string): void => {
    if (!at(text)) fail(`expected ${JSON.stringify(text)}`);
    pos += text.length;
  };
  const skipSpace = (): boolean => {
    const start = pos;
    while (pos < source.length && ' \t\r\n'.includes(source[pos] ?? '')) pos += 1;
    return pos > start;
  };
  const readUntil = (end: string): string => {
    const stop = source.indexOf(end, pos);
    if (stop < 0) fail(`unterminated, expected ${JSON.stringify(end)}`);
    const text = source.slice(pos, stop);
    pos = stop + end.length;
    return text;
  };
  const name = (): string => {
    const start = pos;
    if (!isNameStart(source[pos] ?? '')) fail('expected a name');
    while (pos < source.length && isNameChar(source[pos] ?? '')) pos += 1;
    return source.slice(start, pos);
  };
  const reference = (): string => {
    expect('&');
    const body = readUntil(';');
    const digits = (text: string, allowed: string): boolean => text !== '' && [...text].every((char) => allowed.includes(char));
    let value: string | undefined;
    if (body.startsWith('#x') && digits(body.slice(2), '0123456789abcdefABCDEF')) value = String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    else if (body.startsWith('#') && digits(body.slice(1), '0123456789')) value = String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    else value = NAMED_REFERENCES[body];
    if (value === undefined || !isXmlChar(value.codePointAt(0) ?? 0)) fail(`bad reference &${body};`);
    return value ?? '';
  };
  const comment = (): void => {
    expect('<!--');
    if (readUntil('-->').includes('--')) fail('"--" inside a comment');
  };
  const misc = (): void => {
    for (;;) {
      skipSpace();
      if (at('<!--')) comment();
      else return;
    }
  };
  const element = (): XmlElement => {
    expect('<');
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const spaced = skipSpace();
      if (at('/>')) {
        pos += 2;
        return { name: tag, attributes, children: [] };
      }
      if (at('>')) {
        pos += 1;
        break;
      }
      if (!spaced) fail('expected whitespace before an attribute');
      const attribute = name();
      if (attribute in attributes) fail(`duplicate attribute ${attribute}`);
      skipSpace();
      expect('=');
      skipSpace();
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") return fail('attribute value not quoted');
      pos += 1;
      let value = '';
      while (source[pos] !== quote) {
        if (pos >= source.length) fail('unterminated attribute value');
        if (source[pos] === '<') fail('"<" in an attribute value');
        if (source[pos] === '&') value += reference();
        // §3.3.3: literal whitespace in an attribute value is read as a space; only references keep it.
        else if ('\t\n'.includes(source[pos] ?? '')) {
          value += ' ';
          pos += 1;
        } else value += source[pos++];
      }
      pos += 1;
      attributes[attribute] = value;
    }
    const children: XmlNode[] = [];
    let textRun = '';
    const flush = (): void => {
      if (textRun !== '') children.push(textRun);
      textRun = '';
    };
    for (;;) {
      if (pos >= source.length) fail(`unclosed <${tag}>`);
      if (at('</')) {
        pos += 2;
        if (name() !== tag) fail(`mismatched close tag for <${tag}>`);
        skipSpace();
        expect('>');
        flush();
        return { name: tag, attributes, children };
      }
      if (at('<!--')) comment();
      else if (at('<![CDATA[')) {
        pos += 9;
        textRun += readUntil(']]>');
      } else if (at('<')) {
        flush();
        children.push(element());
      } else if (at('&')) textRun += reference();
      else if (at(']]>')) fail('"]]>" in text');
      else textRun += source[pos++];
    }
  };
  if (at('<?xml')) readUntil('?>');
  misc();
  if (options.doctype && at('<!DOCTYPE')) readUntil('>');
  misc();
  const root = element();
  misc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

/** Every element named `name` under `node` (itself included), in document order. */
export function findAll(node: XmlElement, name: string): XmlElement[] {
  const found = node.name === name ? [node] : [];
  for (const child of node.children) if (typeof child !== 'string') found.push(...findAll(child, name));
  return found;
}

/** The concatenated text of a node, references decoded. */
export function textOf(node: XmlNode): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}
