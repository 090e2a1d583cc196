/**
 * Renders exchanges as a runnable bash script of curl commands: the reproduction of a failing
 * check or a shrunk property counterexample, to run against the registry again or send to its
 * maintainers. Replaying needs what the recording cannot hold:
 * - upload sessions: "Each consecutive chunk upload SHOULD use the <location> provided in the
 *   response" and the session URL "may contain critical query parameters that must be preserved"
 *   (§Pushing blobs, end-4a/end-5/end-6), so each Location a later request used is captured from
 *   the replay's own answer into a shell variable and that request built from it, plus the query
 *   the suite appended (`?digest=` / `&digest=`). Locations are registry-controlled: only ever
 *   data, never evaluated, followed only when http(s);
 * - repositories: names carry the run id (namespace/<runId>-…), which becomes $RUN, fresh by
 *   default, so a replay starts from empty repositories as the recorded run did;
 * - credentials: never written (they are not even recorded: exchange.ts). A request the suite
 *   authenticated with Basic reads them from the environment variables its identity names
 *   (OCI_USERNAME, OCI_PASSWORD, …: `-u "$OCI_USERNAME:$OCI_PASSWORD"`); one with a Bearer token
 *   uses a token the script fetches from the recorded realm for the recorded service and scopes
 *   with those credentials, POST grant_type=password or GET as the suite did (each token request
 *   of the recording is such a fetch; a token from before the recording is fetched before its
 *   first use); an Authorization a check gave itself becomes $AUTH.
 * Bodies kept whole (exchange.ts BODY_KEEP_BYTES) are inline in base64; bodies not kept become
 * zeros of the same size, said so next to the request. Each step prints its method, path and
 * status and flags one that differs from the recorded status; the last line counts them. The
 * script needs bash, curl and base64, and nothing past bash 3.2 (macOS).
 */
import type { CredentialNames, Exchange, TokenSource } from './exchange.ts';

export interface CurlScriptOptions {
  /** The run id in the recorded repository names and tags (namespace/<runId>-…): becomes $RUN. */
  readonly runId?: string | undefined;
}

/** A single-quoted shell word: nothing inside is expanded. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A shell word: bare when it has only safe characters (method names), else quoted. */
function word(text: string): string {
  return /^[A-Za-z0-9_-]+$/.test(text) ? text : quote(text);
}

/** Text safe on one comment line: a line break would end the comment and start a command. */
function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
}

/** Set by curl itself from the body, or hop-by-hop; Authorization is replaced by $AUTH. */
const SKIPPED_HEADERS = new Set(['content-length', 'host', 'connection', 'transfer-encoding', 'authorization']);

/** Bodies shown as text next to the request (for the reader) up to this many characters. */
const PREVIEW_CHARS = 120;

/**
 * The functions every script starts with. `step` sends one request and compares its status;
 * `keep` resolves the last answer's Location like the suite does (against the registry URL) and
 * stores it, falling back to the recorded URL when the answer had none; `query` adds the query
 * the suite appended (`?` or `&`, whichever the replayed Location needs).
 */
const PRELUDE = [
  'REGISTRY=${REGISTRY%/}',
  'REST=${REGISTRY#*://}',
  'ORIGIN=${REGISTRY%%://*}://${REST%%/*}',
  'TMP=$(mktemp -d "${TMPDIR:-/tmp}/touchstone-repro.XXXXXX") || exit 2',
  `trap 'rm -rf "$TMP"' EXIT`,
  'STEPS=0',
  'DIFFERED=0',
  '',
  '# step N METHOD RECORDED-STATUS URL [curl options]: one request; prints its status.',
  'step() {',
  `  local n=$1 method=$2 recorded=$3 url=$4 status shown flag=''`,
  '  shift 4',
  '  if [ "$method" = HEAD ]; then set -- --head "$@"; else set -- -X "$method" "$@"; fi',
  '  : > "$TMP/headers"',
  `  status=$(curl -sS --globoff --proto '=http,https' --max-time "\${TIMEOUT:-60}" -o /dev/null \\`,
  `    -D "$TMP/headers" -w '%{http_code}' "$@" --url "$url")`,
  '  STEPS=$((STEPS + 1))',
  `  if [ "$status" != "$recorded" ]; then DIFFERED=$((DIFFERED + 1)); flag=' DIFFERS'; fi`,
  '  shown=${url#"$ORIGIN"}',
  `  printf '# %s: %s %s: got %s (recorded %s)%s\\n' "$n" "$method" "\${shown//[[:cntrl:]]/?}" "$status" "$recorded" "$flag"`,
  '}',
  '',
  '# keep VARIABLE RECORDED-URL: VARIABLE = the Location of the last answer, resolved (never run).',
  'keep() {',
  `  local line location=''`,
  '  while IFS= read -r line; do',
  `    line=\${line%$'\\r'}`,
  '    case $line in [Ll][Oo][Cc][Aa][Tt][Ii][Oo][Nn]:*) location=${line#*:} ;; esac',
  '  done < "$TMP/headers"',
  '  location=${location#"${location%%[![:space:]]*}"}',
  '  case $location in',
  '    http://* | https://*) ;;',
  '    //*) location=${REGISTRY%%//*}$location ;;',
  '    /*) location=$ORIGIN$location ;;',
  '    *://*) echo "#   the Location is not an http(s) URL: the recorded one is used"; location=$2 ;;',
  `    '') echo "#   no Location in the answer: the recorded one is used"; location=$2 ;;`,
  '    *) location=$REGISTRY/$location ;;',
  '  esac',
  `  printf -v "$1" '%s' "$location"`,
  '}',
  '',
  '# query URL QUERY: URL with QUERY appended after ? or &, whichever URL needs.',
  'query() {',
  `  case $1 in *\\?*) printf '%s&%s' "$1" "$2" ;; *) printf '%s?%s' "$1" "$2" ;; esac`,
  '}',
  '',
];

/** The token fetch, in the script only when a request was authenticated with a token. */
const TOKEN_FUNCTION = [
  '# token VAR METHOD REALM SERVICE USER PASSWORD [SCOPE…]: VAR = a token from the realm, as the suite',
  '# asked for it (POST grant_type=password, else GET with Basic credentials or none).',
  'token() {',
  '  local var=$1 method=$2 realm=$3 service=$4 user=$5 password=$6 body value',
  '  shift 6',
  '  local args=(-G)',
  '  if [ "$method" = POST ]; then',
  '    args=(-X POST --data-urlencode grant_type=password --data-urlencode "username=$user" --data-urlencode "password=$password" --data-urlencode client_id=touchstone)',
  '    if [ $# -gt 0 ]; then args+=(--data-urlencode "scope=$*"); fi',
  '  else',
  '    for value in "$@"; do args+=(--data-urlencode "scope=$value"); done',
  `    if [ -n "$user" ]; then args+=(-u "$user:$password"); fi`,
  '  fi',
  '  if [ -n "$service" ]; then args+=(--data-urlencode "service=$service"); fi',
  `  body=$(curl -sS --proto '=http,https' --max-time "\${TIMEOUT:-60}" "\${args[@]}" --url "$realm")`,
  `  value=$(printf '%s' "$body" | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p')`,
  `  [ -n "$value" ] || value=$(printf '%s' "$body" | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p')`,
  `  if [ -z "$value" ] && [ "$method" = POST ]; then token "$var" GET "$realm" "$service" "$user" "$password" "$@"; return; fi`,
  `  printf -v "$var" '%s' "$value"`,
  `  if [ -n "$value" ]; then echo "# $var: a token from \${realm//[[:cntrl:]]/?} ($method)"; else echo "# $var: the realm gave no token ($method)"; fi`,
  '}',
  '',
];

/** A shell variable name (the credential names come from the suite, checked all the same). */
function variable(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${name}`);
  return name;
}

function tokenKey(source: TokenSource): string {
  return JSON.stringify([source.realm, source.service ?? '', [...source.scopes].sort(), source.credentials?.username ?? '']);
}

interface Location {
  /** Index of the exchange whose answer carried it. */
  readonly from: number;
  /** Resolved against the registry URL, as RegistryClient.resolve does. */
  readonly url: string;
}

/**
 * How `requestUrl` was built from `location`: '' when it is the Location itself, the query the
 * suite appended (withDigest: URLSearchParams.append) otherwise; undefined when unrelated.
 */
function derivedQuery(requestUrl: string, location: string): string | undefined {
  if (requestUrl === location) return '';
  const separator = location.includes('?') ? '&' : '?';
  if (requestUrl.startsWith(`${location}${separator}`)) return requestUrl.slice(location.length + 1);
  // URLSearchParams.append re-serializes the Location's own query: compare parameter by parameter.
  let request: URL;
  let session: URL;
  try {
    request = new URL(requestUrl);
    session = new URL(location);
  } catch {
    return undefined;
  }
  if (request.origin !== session.origin || request.pathname !== session.pathname) return undefined;
  const requestParams = [...request.searchParams];
  const sessionParams = [...session.searchParams];
  if (requestParams.length < sessionParams.length) return undefined;
  const kept = sessionParams.every(([name, value], i) => requestParams[i]?.[0] === name && requestParams[i]?.[1] === value);
  return kept ? new URLSearchParams(requestParams.slice(sessionParams.length)).toString() : undefined;
}

function resolvedLocation(exchange: Exchange, base: string): string | undefined {
  const location = exchange.responseHeaders.location;
  if (location === undefined || location === '') return undefined;
  try {
    return new URL(location, `${base}/`).toString();
  } catch {
    return undefined;
  }
}

export function curlScript(exchanges: readonly Exchange[], baseUrl: string, title: string, options: CurlScriptOptions = {}): string {
  const base = baseUrl.replace(/\/+$/, '');
  const runId = options.runId === undefined || options.runId === '' ? undefined : options.runId;
  // The run id where a repository name or tag starts: after /, =, : (or their escapes), before -.
  const runPattern = runId === undefined ? undefined : new RegExp(`(?<=^|[/=:]|%2[Ff]|%3[Aa])${runId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=-)`);

  /** A URL (absolute) as one shell word: $REGISTRY for the registry, $RUN for the run id. */
  const literal = (url: string): string => {
    const [prefix, rest] = url.startsWith(`${base}/`) || url === base ? ['"$REGISTRY"', url.slice(base.length)] : ['', url];
    const pieces = runPattern === undefined ? [rest] : rest.split(runPattern);
    return prefix + pieces.map((piece) => (piece === '' ? '' : quote(piece))).join('"$RUN"') || "''";
  };

  // Which earlier Location each request URL was built from (the latest one that fits).
  const locations: Location[] = [];
  const uses = new Map<number, { location: Location; query: string }>();
  for (const [i, exchange] of exchanges.entries()) {
    for (let j = locations.length - 1; j >= 0; j -= 1) {
      const location = locations[j] as Location;
      const query = derivedQuery(exchange.url, location.url);
      if (query !== undefined) {
        uses.set(i, { location, query });
        break;
      }
    }
    const url = resolvedLocation(exchange, base);
    if (url !== undefined) locations.push({ from: i, url });
  }
  /** Exchange index → the Location it answered, for the exchanges whose Location a later step uses. */
  const kept = new Map([...uses.values()].map((use) => [use.location.from, use.location.url]));

  const credentials = new Map<string, CredentialNames>();
  const sources = exchanges.flatMap((e) => (e.auth?.kind === 'bearer' || e.auth?.kind === 'token-request' ? [e.auth.token] : []));
  for (const e of exchanges) if (e.auth?.kind === 'basic') credentials.set(e.auth.credentials.username, e.auth.credentials);
  for (const source of sources) if (source.credentials !== undefined) credentials.set(source.credentials.username, source.credentials);
  const tokenVariables = new Map<string, string>();
  for (const source of sources) if (!tokenVariables.has(tokenKey(source))) tokenVariables.set(tokenKey(source), `TOKEN${tokenVariables.size + 1}`);
  const fetched = new Set<string>();
  /** The line fetching a token like `source` into its variable. */
  const fetchLine = (source: TokenSource): string => {
    const names = source.credentials;
    const user = names === undefined ? "''" : `"$${variable(names.username)}"`;
    const password = names === undefined ? "''" : `"$${variable(names.password)}"`;
    fetched.add(tokenKey(source));
    const scopes = source.scopes.map((scope) => ` ${(runPattern === undefined ? [scope] : scope.split(runPattern)).map((piece) => (piece === '' ? '' : quote(piece))).join('"$RUN"')}`);
    return `token ${tokenVariables.get(tokenKey(source))} ${source.method} ${quote(source.realm)} ${quote(source.service ?? '')} ${user} ${password}${scopes.join('')}`;
  };

  const lines = [
    '#!/usr/bin/env bash',
    `# ${commentText(title)}`,
    `# ${exchanges.length} requests recorded by touchstone, replayed in order with curl. Each step prints`,
    '# its method, path and status, with DIFFERS when the status is not the recorded one; the last',
    '# line counts those (exit status 1 when any differ).',
    `#   REGISTRY  the registry (default: the recorded one, ${commentText(base)})`,
    ...(runId === undefined
      ? ['#   (no run id was given: the repository names are the recorded ones)']
      : [
          `#   RUN       replaces the run id "${commentText(runId)}" in every repository name and tag. The default is`,
          '#             fresh, so the replay starts from empty repositories as the recorded run did;',
          `#             RUN=${commentText(runId)} replays into the recorded ones, which hold that run's data.`,
        ]),
    ...[...credentials.values()].map((names) => `#   ${names.username} ${names.password}  the credentials the suite used (read here, never written)`),
    '#   AUTH      Authorization value for the requests a check gave its own (recorded credentials are',
    '#             not written here), e.g. AUTH="Basic $(printf user:password | base64)"',
    '#   TIMEOUT   seconds allowed per request (default 60)',
    '#   CURL_CA_BUNDLE  the CA (PEM) of a registry whose certificate the system does not trust',
    '# Upload session URLs come from the Location headers of this replay, not from the recording.',
    'set -u',
    `REGISTRY=\${REGISTRY:-${quote(base)}}`,
    ...(runId === undefined
      ? []
      : [
          'RUN=${RUN:-repro$(date +%s)$$}',
          "case $RUN in '' | *[!a-z0-9._-]*) echo 'RUN must be lowercase letters, digits, . _ -' >&2; exit 2 ;; esac",
        ]),
    ...[...credentials.values()].map((names) => `: "\${${variable(names.username)}?the requests were authenticated: set ${names.username} and ${names.password}}" "\${${variable(names.password)}?set ${names.password}}"`),
    ...PRELUDE,
    ...(tokenVariables.size > 0 ? TOKEN_FUNCTION : []),
  ];

  for (const [i, exchange] of exchanges.entries()) {
    const n = i + 1;
    const use = uses.get(i);
    const url = use === undefined
      ? literal(exchange.url)
      : use.query === ''
        ? `"$LOC${use.location.from + 1}"`
        : `"$(query "$LOC${use.location.from + 1}" ${literal(use.query)})"`;
    const args: string[] = [];
    const headers = Object.entries(exchange.requestHeaders);
    for (const [name, value] of headers) {
      if (!SKIPPED_HEADERS.has(name.toLowerCase())) args.push(`-H ${quote(`${name}: ${value}`)}`);
    }
    const auth = exchange.auth;
    if (auth?.kind === 'token-request') {
      lines.push(fetchLine(auth.token));
      continue;
    }
    if (auth?.kind === 'basic') {
      args.push(`-u "$${variable(auth.credentials.username)}:$${variable(auth.credentials.password)}"`);
    } else if (auth?.kind === 'bearer') {
      if (!fetched.has(tokenKey(auth.token))) lines.push(`# the token of this request was fetched before the recording: fetched here`, fetchLine(auth.token));
      args.push(`-H "Authorization: Bearer $${tokenVariables.get(tokenKey(auth.token))}"`);
    } else if (headers.some(([name]) => name.toLowerCase() === 'authorization')) {
      args.push('${AUTH:+-H} ${AUTH:+"Authorization: $AUTH"}');
    }

    const declared = Number(headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? Number.NaN);
    const body = exchange.requestBody;
    const size = body?.size ?? (Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined);
    if (size !== undefined) {
      if (size === 0) {
        args.push("--data-binary ''");
      } else if (body?.base64 !== undefined) {
        const preview = textPreview(body.base64);
        if (preview !== undefined) lines.push(`# body: ${commentText(preview)}`);
        lines.push(`printf '%s' ${quote(body.base64)} | base64 -d > "$TMP/body"`);
        args.push('--data-binary @"$TMP/body"');
      } else {
        const why = body === undefined ? 'was streamed and not recorded' : 'was over 64 KiB and not kept';
        lines.push(`# the body of ${size} bytes ${why}: ${size} zero bytes stand in, so its digest will NOT match the recorded one`);
        lines.push(`head -c ${size} /dev/zero > "$TMP/body"`);
        args.push('--data-binary @"$TMP/body"');
      }
      // curl would add Content-Type: application/x-www-form-urlencoded; the suite sent none.
      if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) args.push("-H 'Content-Type:'");
    } else if (exchange.method === 'PATCH') {
      lines.push('# a streamed body of unknown size may have been sent here: it was not recorded, none is sent');
    }
    lines.push(`step ${n} ${word(exchange.method)} ${exchange.status} ${url}${args.map((arg) => ` ${arg}`).join('')}`);
    const keptUrl = kept.get(i);
    if (keptUrl !== undefined) lines.push(`keep LOC${n} ${literal(keptUrl)}`);
  }
  lines.push(
    '',
    'echo "# $DIFFERED of $STEPS statuses differ from the recording"',
    '[ "$DIFFERED" -eq 0 ]',
  );
  return `${lines.join('\n')}\n`;
}

/** The body as one line of text when it is short printable UTF-8 (manifests), else undefined. */
function textPreview(base64: string): string | undefined {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(text)) return undefined;
  const line = text.replace(/\s+/g, ' ');
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS)}…` : line;
}
