/**
 * `touchstone check`: the conformance suite's command line. Reads flags and, for people who
 * already use the official OCI conformance suite, its configuration: the main branch's variables
 * and YAML file (options/official.ts), the v1.1.1 suite's OCI_TEST_* categories,
 * OCI_AUTOMATIC_CROSSMOUNT and OCI_REPORT_DIR; flags win. --read-only and --image
 * (options/read-only.ts) check a registry that cannot be written to. Refuses, before any request,
 * a URL that is not a registry's root (preflight.ts), a selection that matches nothing and a
 * report path that cannot be written (outputs.ts). Runs the suite, prints progress and a summary
 * grouped by area, writes the reports asked for, and exits 0 when no MUST-level check failed, 1
 * when one did, 2 for usage or harness errors. Without --url (nor OCI_REGISTRY, OCI_ROOT_URL) it
 * checks the registry the caller embeds — the launcher (cli/touchstone.ts) starts the reference
 * registry in-process; this module never imports it (conformance/ works against any registry).
 */
import { exec } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HarnessError } from './client/errors.ts';
import { RegistryClient } from './client/registry-client.ts';
import { targetUrl } from './preflight.ts';
import { checkSelection, outputProblem, type OutputPath } from './outputs.ts';
import { ALL_CAPABILITIES, defaultRestrictedRepository, type AuthChecks, type Capabilities, type GcConfig, type GcTrigger, type RestartTrigger, type RunConfig, type SpecVersion, type TlsMode } from './config.ts';
import { commandRestart } from './restart.ts';
import { NAME_PATTERN } from '../spec/grammars.ts';
import { clientTls, readCaFile } from './client/tls.ts';
import { newRunId, runSuite } from './run.ts';
import { formatProgress, formatSummary } from './report/text.ts';
import { toJson } from './report/json.ts';
import { toJunit } from './report/junit.ts';
import { toTap } from './report/tap.ts';
import { toHtml } from './report/html.ts';
import { ProgressDisplay } from './report/progress.ts';
import { exitCode, type Report } from './report/types.ts';
import { bodyText } from './client/exchange.ts';
import { OFFICIAL_HELP, OfficialConfigError, parseGoBool, readOfficialConfig } from './options/official.ts';
import { READ_ONLY_HELP, ImageRefError, existingContent } from './options/read-only.ts';
import { toResultsYaml } from './report/yaml.ts';

/**
 * The property layer's default time, shared by its six properties: the default profile (`npm start`)
 * stays under 30 s and still finds every fault of the reference's catalog (README, Fault detection).
 */
export const DEFAULT_TIME_BUDGET_MS = 12_000;

export const USAGE = `usage: touchstone check [--url URL] [options]

target
  --url URL                    the registry's root, http(s)://host[:port] (env OCI_ROOT_URL; a trailing /v2/
                               is dropped); without it, the embedded reference registry
  --namespace NS               repositories go under NS/<run id>-… (env OCI_NAMESPACE; default touchstone)
  --crossmount-namespace NS    sources of cross-repository mounts (env OCI_CROSSMOUNT_NAMESPACE)
  --username U --password P    credentials for Basic or token auth (env OCI_USERNAME, OCI_PASSWORD)
  --ca-file FILE               trust this CA (PEM) for the registry's certificate instead of the system's
  --insecure                   accept any certificate (env OCI_TLS=insecure; same as --tls-verify=false);
                               --tls-verify (the default) verifies it
  --spec-version V             v1.1.1 (default) or main (adds the newer requirements)

authentication and authorization (README "Checking an authenticated registry")
  --auth-checks                run the auth.* checks: needs --username/--password (push to the namespace)
                               and a restricted identity:
  --restricted-username U --restricted-password P   pull access to one repository only
                               (env OCI_RESTRICTED_USERNAME, OCI_RESTRICTED_PASSWORD)
  --restricted-repository R    that repository (env OCI_RESTRICTED_REPOSITORY; default <namespace>/restricted);
                               the run pushes one image there with the first identity
  --token-wait S               auth.token.expired waits at most S seconds for a token to expire (default 30)
  --token-leeway S             seconds past a token's exp the registry may still accept it (default 60)

what the registry does not offer (those checks are skipped with the reason, not failed)
  --no-pull --no-push --no-content-discovery --no-content-management   (env OCI_TEST_PULL=1 … select)
  --no-delete                  no deletes at all; or one by one:
  --no-manifest-deletes --no-tag-deletes --no-blob-deletes
  --no-referrers --no-auto-mount (env OCI_AUTOMATIC_CROSSMOUNT=0) --no-sha512

selection
  --only PREFIX                run only check ids starting with PREFIX (repeatable), e.g. tags or property.gc
  --skip PREFIX                skip check ids starting with PREFIX (repeatable)

garbage collection
  --gc-command CMD             a shell command that makes the registry collect garbage
  --gc-touchstone              the reference registry's trigger: POST /_touchstone/gc
  --gc-grace S                 the registry's grace period: younger blobs must survive (default 0;
                               3600 with --gc-touchstone)
  --expect-gc-reclaims         unreferenced blobs past the grace period must be gone after GC
  --gc-reclaims-untagged       untagged manifests no tag reaches are reclaimed too
  --race-checks                also push and pull manifests, list referrers, upload and mount blobs while
                               collections run (gc.race.*, about 85 s)

persistence
  --restart-command CMD        a shell command that restarts the registry on the same store and address
                               ($TOUCHSTONE_URL is set; at most 120 s), after which GET /v2/ must answer
                               200 or 401 again within 60 s: persistence.restart checks that what was
                               pushed before is still there; without it that check is skipped

property layer
  --runs N                     executions per property (default 30)
  --time-budget S              seconds for the whole property layer (default 12)
  --seed N --path P            replay exactly one run (printed with every counterexample)
  --max-commands N             longest command sequence (default 20)
  --fail-fast                  stop the property layer at the first counterexample
  --no-properties              scripted checks only

output
  --json FILE --junit FILE --html FILE   reports (env OCI_REPORT_DIR writes all three there)
  --tap                        TAP 14 on stdout instead of the text summary
  --repro FILE                 the curl reproduction of the first property counterexample
  --quiet                      the summary only, no progress lines
  --no-color                   no ANSI colours (also NO_COLOR)
  --no-cleanup                 leave the repositories the run created`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'TOUCHSTONE_USAGE';
}

/** A registry the launcher starts for a run without --url (the reference registry, in-process). */
export interface EmbeddedTarget {
  readonly url: string;
  /** Its GC: trigger, grace period and what it reclaims. */
  readonly gc: GcConfig;
  /** Closes it and starts it again on the same store and address. */
  readonly restart?: RestartTrigger;
  close(): Promise<void>;
}

export interface CheckOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream;
  /** Starts the registry to check when no URL is given; without it a URL is required. */
  readonly embedded?: () => Promise<EmbeddedTarget>;
  /** How the user invoked the suite, for replay command lines ("npx touchstone check", "npm start --"). */
  readonly invocation?: string;
}

interface Outputs {
  readonly json: string | undefined;
  /** results.yaml in the official suite's shape (OCI_RESULTS_DIR). */
  readonly yaml?: string | undefined;
  readonly junit: string | undefined;
  readonly html: string | undefined;
  readonly repro: string | undefined;
  /** Every file the run writes, named as the user gave it, checked before the run. */
  readonly files: readonly OutputPath[];
  readonly tap: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly debug: boolean;
}

export interface ParsedCheck {
  /** The run's configuration; `url` is empty when the embedded target is to be used. */
  readonly config: Omit<RunConfig, 'gc' | 'restart'> & { readonly gc: Omit<GcConfig, 'trigger'> };
  /**
   * What the arguments meant that the user may not expect, for stderr: a normalised --url, and
   * settings of the official configuration that are deprecated or not honoured.
   */
  readonly notes: readonly string[];
  readonly gc: { readonly command: string | undefined; readonly touchstone: boolean };
  /** --restart-command. */
  readonly restartCommand: string | undefined;
  readonly outputs: Outputs;
}

const OPTIONS = {
  url: { type: 'string' },
  namespace: { type: 'string' },
  'crossmount-namespace': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'ca-file': { type: 'string' },
  insecure: { type: 'boolean' },
  'tls-verify': { type: 'boolean' },
  'auth-checks': { type: 'boolean' },
  'restricted-username': { type: 'string' },
  'restricted-password': { type: 'string' },
  'restricted-repository': { type: 'string' },
  'token-wait': { type: 'string' },
  'token-leeway': { type: 'string' },
  'spec-version': { type: 'string' },
  'no-pull': { type: 'boolean' },
  'no-push': { type: 'boolean' },
  'no-content-discovery': { type: 'boolean' },
  'no-content-management': { type: 'boolean' },
  'no-delete': { type: 'boolean' },
  'no-manifest-deletes': { type: 'boolean' },
  'no-tag-deletes': { type: 'boolean' },
  'no-blob-deletes': { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'no-auto-mount': { type: 'boolean' },
  'no-sha512': { type: 'boolean' },
  only: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  'gc-command': { type: 'string' },
  'gc-touchstone': { type: 'boolean' },
  'gc-grace': { type: 'string' },
  'expect-gc-reclaims': { type: 'boolean' },
  'race-checks': { type: 'boolean' },
  'gc-reclaims-untagged': { type: 'boolean' },
  'restart-command': { type: 'string' },
  runs: { type: 'string' },
  'time-budget': { type: 'string' },
  seed: { type: 'string' },
  path: { type: 'string' },
  'max-commands': { type: 'string' },
  'no-properties': { type: 'boolean' },
  'fail-fast': { type: 'boolean' },
  json: { type: 'string' },
  junit: { type: 'string' },
  html: { type: 'string' },
  tap: { type: 'boolean' },
  repro: { type: 'string' },
  quiet: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  'no-cleanup': { type: 'boolean' },
  'read-only': { type: 'boolean' },
  image: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

function whole(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`${flag} needs a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag} needs a number of seconds, got ${JSON.stringify(value)}`);
  return Number(value) * 1000;
}

/** OCI_* booleans, as Go's strconv.ParseBool (the official suite's); empty is unset. */
function envFlag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  return parseGoBool(value.trim(), name);
}

/** The official suite's four categories: when any OCI_TEST_* is set, only those set to 1 run. */
function categoriesFromEnv(env: NodeJS.ProcessEnv): Pick<Capabilities, 'pull' | 'push' | 'contentDiscovery' | 'contentManagement'> {
  const names = { pull: 'OCI_TEST_PULL', push: 'OCI_TEST_PUSH', contentDiscovery: 'OCI_TEST_CONTENT_DISCOVERY', contentManagement: 'OCI_TEST_CONTENT_MANAGEMENT' } as const;
  const anySet = Object.values(names).some((name) => env[name] !== undefined);
  return {
    pull: anySet ? envFlag(env, names.pull) === true : true,
    push: anySet ? envFlag(env, names.push) === true : true,
    contentDiscovery: anySet ? envFlag(env, names.contentDiscovery) === true : true,
    contentManagement: anySet ? envFlag(env, names.contentManagement) === true : true,
  };
}

/** Flags a replay sets itself (selection, seed, path) or must not repeat (the run's report outputs). */
const NOT_REPLAYED = new Set(['--only', '--skip', '--seed', '--path', '--runs', '--json', '--junit', '--html', '--repro']);
const NOT_REPLAYED_SWITCHES = new Set(['--tap']);
/** Flags whose value a replay line leaves to an environment variable. */
const SECRET_FLAGS: Readonly<Record<string, string>> = { '--password': 'OCI_PASSWORD', '--restricted-password': 'OCI_RESTRICTED_PASSWORD' };
/** Environment variables naming report outputs: emptied in front of a replay, so it writes none of them. */
const REPORT_ENV = ['OCI_REPORT_DIR', 'OCI_RESULTS_DIR'];

/**
 * The command line that replays this run, before the replay's own --only, --seed and --path: the
 * run's flags without its report outputs (running the replay must not overwrite the full report)
 * and with the password left to the environment (a replay line is printed and written in reports).
 */
function replayLine(invocation: string, argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] ?? '';
    if (NOT_REPLAYED_SWITCHES.has(name)) continue;
    const secret = SECRET_FLAGS[name];
    if (NOT_REPLAYED.has(name) || secret !== undefined) {
      if (!arg.includes('=')) i += 1;
      if (secret !== undefined) kept.push(`${name} "$${secret}"`);
      continue;
    }
    kept.push(/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  }
  const emptied = REPORT_ENV.filter((name) => (env[name] ?? '') !== '').map((name) => `${name}=`);
  return [...emptied, invocation, ...kept].join(' ');
}

/** `--tls-verify=false` (skopeo's and podman's spelling) as --insecure, `=true` as --tls-verify. */
function tlsVerifyArgs(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const value = /^--tls-verify=(.*)$/.exec(arg)?.[1];
    if (value === undefined) return arg;
    if (!/^(true|false|1|0|t|f)$/i.test(value)) throw new UsageError(`--tls-verify is true or false, got ${JSON.stringify(value)}`);
    return /^(true|1|t)$/i.test(value) ? '--tls-verify' : '--insecure';
  });
}

type AuthValues = { 'auth-checks'?: boolean; 'restricted-username'?: string; 'restricted-password'?: string; 'restricted-repository'?: string; 'token-wait'?: string; 'token-leeway'?: string };

/** The auth checks' settings (undefined without --auth-checks); flags that need it without it are usage errors. */
function authChecks(values: AuthValues, env: NodeJS.ProcessEnv, namespace: string, readOnly: boolean): AuthChecks | undefined {
  const flags = (['restricted-username', 'restricted-password', 'restricted-repository', 'token-wait', 'token-leeway'] as const).filter((name) => values[name] !== undefined);
  if (values['auth-checks'] !== true) {
    if (flags.length > 0) throw new UsageError(`--${flags[0]} goes with --auth-checks`);
    return undefined;
  }
  if (readOnly) throw new UsageError('--auth-checks pushes content (with the first identity): not with --read-only');
  const username = values['restricted-username'] ?? env.OCI_RESTRICTED_USERNAME;
  const password = values['restricted-password'] ?? env.OCI_RESTRICTED_PASSWORD;
  if (username === undefined || username === '' || password === undefined) {
    throw new UsageError('--auth-checks needs a restricted identity: --restricted-username and --restricted-password (OCI_RESTRICTED_USERNAME, OCI_RESTRICTED_PASSWORD), with pull access to one repository only');
  }
  const repository = values['restricted-repository'] ?? env.OCI_RESTRICTED_REPOSITORY ?? defaultRestrictedRepository(namespace);
  if (!NAME_PATTERN.test(repository)) throw new UsageError(`--restricted-repository ${JSON.stringify(repository)} is not a repository name (spec: ${NAME_PATTERN.source})`);
  return {
    username,
    password,
    repository,
    tokenWaitMs: seconds(values['token-wait'], '--token-wait') ?? 30_000,
    tokenLeewayMs: seconds(values['token-leeway'], '--token-leeway') ?? 60_000,
  };
}

/** TLS towards the registry: the scheme, OCI_TLS, then the flags decide (client/tls.ts). */
function tlsSettings(url: string, values: { 'ca-file'?: string; insecure?: boolean; 'tls-verify'?: boolean }, official: TlsMode | undefined): Pick<RunConfig, 'tls' | 'ca' | 'caFile'> {
  if (values.insecure === true && values['tls-verify'] === true) throw new UsageError('--insecure and --tls-verify exclude each other');
  const caFile = values['ca-file'];
  if (caFile !== undefined && values.insecure === true) throw new UsageError('--ca-file names a CA to verify with; --insecure verifies nothing: give one of them');
  const ca = caFile === undefined ? undefined : readCaFile(caFile);
  if (ca instanceof Error) throw new UsageError(ca.message);
  if (url === '') return {};
  // A plain-HTTP registry may still send its clients to HTTPS (a token realm): --ca-file holds there.
  if (url.startsWith('http://')) return { tls: 'disabled', ...(ca === undefined ? {} : { ca, caFile }) };
  const insecure = values.insecure === true || (values['tls-verify'] !== true && caFile === undefined && official === 'insecure');
  return insecure ? { tls: 'insecure' } : { tls: 'enabled', ...(ca === undefined ? {} : { ca, caFile }) };
}

export function parseCheckArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, invocation = 'npx touchstone check'): ParsedCheck | 'help' {
  const { values, positionals } = parseArgs({ args: tlsVerifyArgs(argv), options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const official = readOfficialConfig(env);
  const specVersion = values['spec-version'] ?? official.specVersion ?? 'v1.1.1';
  if (specVersion !== 'v1.1.1' && specVersion !== 'main') throw new UsageError(`--spec-version is v1.1.1 or main, got ${specVersion}`);
  // The URL as the user gave it, named as they gave it: --url, OCI_ROOT_URL (kept verbatim) or the
  // official main branch's OCI_REGISTRY with OCI_TLS.
  const legacyRoot = official.urlFrom === 'OCI_ROOT_URL' ? env.OCI_ROOT_URL : undefined;
  const given = values.url ?? legacyRoot ?? official.url ?? '';
  const label = values.url !== undefined ? '--url' : (official.urlFrom ?? 'OCI_REGISTRY');
  const target = given === '' ? { url: '', note: undefined } : targetUrl(given, label);
  if (target instanceof Error) throw new UsageError(target.message);
  const { url } = target;
  const namespace = values.namespace ?? official.namespace ?? 'touchstone';
  const crossmountNamespace = values['crossmount-namespace'] ?? official.crossmountNamespace ?? namespace;

  const categories = categoriesFromEnv(env);
  const noDelete = values['no-delete'] === true;
  const management = categories.contentManagement && values['no-content-management'] !== true;
  const autoMountEnv = envFlag(env, 'OCI_AUTOMATIC_CROSSMOUNT');
  const capabilities: { -readonly [K in keyof Capabilities]: boolean } = {
    ...ALL_CAPABILITIES,
    pull: categories.pull && values['no-pull'] !== true,
    push: categories.push && values['no-push'] !== true,
    contentDiscovery: categories.contentDiscovery && values['no-content-discovery'] !== true,
    contentManagement: management,
    manifestDeletes: management && !noDelete && values['no-manifest-deletes'] !== true,
    tagDeletes: management && !noDelete && values['no-tag-deletes'] !== true,
    blobDeletes: management && !noDelete && values['no-blob-deletes'] !== true,
    referrers: values['no-referrers'] !== true,
    autoMount: values['no-auto-mount'] !== true && autoMountEnv !== false,
    sha512: values['no-sha512'] !== true,
  };
  for (const [name, on] of Object.entries(official.capabilities)) if (on === false) capabilities[name as keyof Capabilities] = false;
  const existing = existingContent(values.image ?? [], url, official.roData, namespace);
  const hasExisting = existing.images.length + existing.blobs.length + existing.referrers.length > 0;
  const readOnly = values['read-only'] === true || (!capabilities.push && hasExisting);
  if (readOnly && !hasExisting) throw new UsageError('--read-only needs existing content to read: --image repo:tag or repo@digest (or OCI_RO_DATA_TAGS / _MANIFESTS)');

  const auth = authChecks(values, env, namespace, readOnly);
  const username = values.username ?? official.username;
  if (auth !== undefined && (username === undefined || (values.password ?? official.password) === undefined)) {
    throw new UsageError('--auth-checks needs --username and --password (OCI_USERNAME, OCI_PASSWORD): an identity that may push to the namespace');
  }

  const gcCommand = values['gc-command'];
  const gcTouchstone = values['gc-touchstone'] === true;
  if (gcCommand !== undefined && gcTouchstone) throw new UsageError('--gc-command and --gc-touchstone exclude each other');
  const graceMs = seconds(values['gc-grace'], '--gc-grace') ?? (gcTouchstone ? 3_600_000 : 0);
  const restartCommand = values['restart-command'];
  if (restartCommand !== undefined && restartCommand.trim() === '') throw new UsageError('--restart-command needs a command');
  if (restartCommand !== undefined && readOnly) throw new UsageError('--restart-command goes with a run that pushes (persistence.restart): not with --read-only');

  const seed = whole(values.seed, '--seed', 0);
  const path = values.path;
  if (path !== undefined && seed === undefined) throw new UsageError('--path replays a run: it needs the --seed printed with it');
  const properties = values['no-properties'] === true || readOnly ? undefined : {
    runs: whole(values.runs, '--runs', 1) ?? 30,
    timeBudgetMs: seconds(values['time-budget'], '--time-budget') ?? DEFAULT_TIME_BUDGET_MS,
    shrinkBudgetMs: 60_000,
    seed,
    path,
    maxCommands: whole(values['max-commands'], '--max-commands', 1) ?? 20,
    stopAtFirstFailure: values['fail-fast'] === true,
    commandLine: replayLine(invocation, argv, env),
  };

  const reportDir = env.OCI_REPORT_DIR;
  const inDir = (file: string): string | undefined => (reportDir === undefined || reportDir === '' ? undefined : join(reportDir, file));
  const inResults = (file: string): string | undefined => (official.resultsDir === undefined ? undefined : join(official.resultsDir, file));
  const files: OutputPath[] = [];
  const output = (flag: 'json' | 'junit' | 'html' | 'repro', inReportDir?: string, inResultsDir?: string): string | undefined => {
    const fromResults = inResultsDir === undefined ? undefined : inResults(inResultsDir);
    const fromDir = inReportDir === undefined ? undefined : inDir(inReportDir);
    const path = values[flag] ?? fromResults ?? fromDir;
    const label = values[flag] !== undefined ? `--${flag}` : fromResults !== undefined ? `OCI_RESULTS_DIR (${inResultsDir})` : `OCI_REPORT_DIR (${inReportDir})`;
    if (path !== undefined) files.push({ label, path });
    return path;
  };
  const yaml = inResults('results.yaml');
  if (yaml !== undefined) files.push({ label: 'OCI_RESULTS_DIR (results.yaml)', path: yaml });
  return {
    config: {
      url,
      namespace,
      crossmountNamespace,
      specVersion: specVersion as SpecVersion,
      capabilities,
      only: values.only ?? official.only,
      skip: values.skip ?? [],
      gc: { graceMs, expectReclaims: values['expect-gc-reclaims'] === true, reclaimsUntagged: values['gc-reclaims-untagged'] === true, races: values['race-checks'] === true },
      property: properties,
      username,
      password: values.password ?? official.password,
      cleanup: values['no-cleanup'] !== true && !readOnly,
      runId: newRunId(),
      readOnly,
      existing,
      disabled: official.disabled,
      optIn: official.optIn,
      ...tlsSettings(url, values, official.tls),
      ...(auth === undefined ? {} : { auth }),
    },
    notes: [...(target.note === undefined ? [] : [target.note]), ...official.notes.map((note) => `note: ${note}`)],
    gc: { command: gcCommand, touchstone: gcTouchstone },
    restartCommand,
    outputs: {
      json: output('json', 'report.json'),
      junit: output('junit', 'junit.xml', 'junit.xml'),
      html: output('html', 'report.html', 'report.html'),
      yaml,
      repro: output('repro'),
      files,
      tap: values.tap === true,
      quiet: values.quiet === true,
      color: values['no-color'] !== true && env.NO_COLOR === undefined,
      debug: official.debug,
    },
  };
}

/** A shell command as the GC trigger (for Distribution: stop, garbage-collect, start again). */
export function commandTrigger(command: string, url: string, timeoutMs = 300_000): GcTrigger {
  return {
    canAdvance: false,
    description: `command: ${command}`,
    run: () => new Promise((resolveRun, reject) => {
      exec(command, { timeout: timeoutMs, env: { ...process.env, TOUCHSTONE_URL: url } }, (error, _stdout, stderr) => {
        if (error) reject(new HarnessError(`--gc-command failed (${error.code ?? error.signal ?? 'error'}): ${stderr.trim().slice(0, 500)}`));
        else resolveRun();
      });
    }),
  };
}

/** The reference registry's built-in trigger, POST /_touchstone/gc[?advance=S], which can collect as if time had passed. */
export function touchstoneTrigger(client: RegistryClient): GcTrigger {
  return {
    canAdvance: true,
    description: 'the reference registry\'s POST /_touchstone/gc',
    run: async (advanceMs) => {
      const reply = await client.request('POST', `/_touchstone/gc${advanceMs > 0 ? `?advance=${advanceMs / 1000}` : ''}`);
      if (reply.status !== 200) throw new HarnessError(`POST /_touchstone/gc answered ${reply.status}: is this the touchstone reference registry? ${bodyText(reply.exchange.responseBody, 200)}`);
    },
  };
}

async function writeReports(report: Report, outputs: Outputs, stderr: NodeJS.WritableStream): Promise<void> {
  // Checked before the run (outputs.ts); what can still go wrong here (a full disk) is the harness's.
  const write = async (file: string, text: string, what: string): Promise<void> => {
    const path = resolve(file);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    } catch (error) {
      throw new HarnessError(`the ${what} could not be written to ${path}: ${(error as Error).message}`);
    }
    stderr.write(`${what} written to ${path}\n`);
  };
  if (outputs.json) await write(outputs.json, toJson(report), 'JSON report');
  if (outputs.yaml) await write(outputs.yaml, toResultsYaml(report), 'results.yaml');
  if (outputs.junit) await write(outputs.junit, toJunit(report), 'JUnit report');
  if (outputs.html) await write(outputs.html, toHtml(report), 'HTML report');
  const counterexample = report.results.find((r) => r.counterexample)?.counterexample;
  if (outputs.repro) {
    if (counterexample) await write(outputs.repro, counterexample.curl, 'curl reproduction');
    else stderr.write('--repro: no property counterexample to reproduce\n');
  }
}

/** `touchstone check …`: returns the exit code. */
export async function main(argv: readonly string[], options: CheckOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let parsed: ParsedCheck | 'help';
  try {
    parsed = parseCheckArgs(argv, options.env ?? process.env, options.invocation);
  } catch (error) {
    if (error instanceof UsageError || error instanceof OfficialConfigError || error instanceof ImageRefError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (parsed === 'help') {
    stdout.write(`${USAGE}\n\n${READ_ONLY_HELP}\n\n${OFFICIAL_HELP}\n`);
    return 0;
  }
  const { outputs } = parsed;
  const selection = checkSelection(parsed.config.only, parsed.config.skip, parsed.config.property !== undefined);
  for (const note of [...parsed.notes, ...selection.notes]) stderr.write(`${note}\n`);
  const problem = selection.error ?? (await outputProblem(outputs.files));
  if (problem !== undefined) {
    stderr.write(`${problem}\n`);
    return 2;
  }
  let embedded: EmbeddedTarget | undefined;
  try {
    let { url } = parsed.config;
    let gcBase: Omit<GcConfig, 'trigger'> = parsed.config.gc;
    let embeddedTrigger: GcTrigger | undefined;
    let embeddedRestart: RestartTrigger | undefined;
    if (url === '') {
      if (!options.embedded) {
        stderr.write(`no registry to check: give --url (or OCI_ROOT_URL)\n\n${USAGE}\n`);
        return 2;
      }
      embedded = await options.embedded();
      url = embedded.url;
      embeddedTrigger = embedded.gc.trigger;
      embeddedRestart = embedded.restart;
      gcBase = parsed.gc.command || parsed.gc.touchstone ? gcBase : embedded.gc;
      stderr.write(`checking the embedded reference registry at ${url}\n`);
    }
    const gcClient = new RegistryClient({ baseUrl: url, username: parsed.config.username, password: parsed.config.password, tls: clientTls(parsed.config) });
    try {
      const trigger = parsed.gc.command !== undefined ? commandTrigger(parsed.gc.command, url) : parsed.gc.touchstone ? touchstoneTrigger(gcClient) : embeddedTrigger;
      const restart = parsed.restartCommand !== undefined ? commandRestart(parsed.restartCommand, url, clientTls(parsed.config)) : embeddedRestart;
      const config: RunConfig = { ...parsed.config, url, gc: { ...gcBase, trigger, races: parsed.config.gc.races === true }, restart };
      const color = outputs.color && stdout.isTTY === true;
      const progress = !outputs.quiet && !outputs.tap;
      const live = progress ? new ProgressDisplay(stdout) : undefined;
      const report = await runSuite(config, {
        onResult: (result, done, total) => {
          live?.clear();
          if (progress) stdout.write(`${formatProgress(result, done, total, { color })}\n`);
          if (outputs.debug && result.status !== 'pass') for (const e of result.exchanges ?? []) stderr.write(`  ${e.method} ${e.url} → ${e.status}\n`);
        },
        onProgress: (state) => live?.update(state),
      }).finally(() => live?.clear());
      stdout.write(outputs.tap ? toTap(report) : `\n${formatSummary(report, { color })}\n`);
      await writeReports(report, outputs, stderr);
      return exitCode(report);
    } finally {
      await gcClient.close();
    }
  } catch (error) {
    if (error instanceof HarnessError) {
      stderr.write(`harness error: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await embedded?.close();
  }
}
