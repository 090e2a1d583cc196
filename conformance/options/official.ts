/**
 * The official OCI conformance suite's configuration (distribution-spec main branch,
 * conformance2/config.go), read with the same sources and precedence — environment variables
 * (OCI_*), then its YAML file (OCI_CONFIGURATION, else ./oci-conformance.yaml), then its legacy
 * variables (OCI_ROOT_URL, OCI_NAMESPACE, OCI_TEST_*, …) — and translated into touchstone's terms
 * wherever touchstone has an equivalent. Flags of `touchstone check` win over all of it.
 *
 * Booleans in the environment parse like Go's strconv.ParseBool; an empty variable counts as
 * unset, as there. Only what is set explicitly changes a run: a switch left unset keeps
 * touchstone's default (every check runs), except the version's defaults (1.0: no referrers, no
 * anonymous mount), which explicit switches override as in the official suite. A switch set to
 * false turns the matching checks off, each skipped "disabled by <where it was set>".
 *
 * Repositories: the official suite pushes into repo1 and mounts from repo2 themselves; touchstone
 * needs a fresh repository per check, so repo1 and repo2 become the namespaces its repositories
 * are created under (<repo1>/<run id>-<n>-…, <repo2>/<run id>-<n>-…); the read-only data
 * (OCI_RO_DATA_*) are looked up in repo1 itself.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { Capabilities, Disabled, SpecVersion, TlsMode } from '../config.ts';

/** A configuration the official suite would refuse: `touchstone check` exits 2 with it. */
export class OfficialConfigError extends Error {
  override readonly name = 'OfficialConfigError';
}

/** What the official configuration asks of a run, in touchstone's terms; only what was set. */
export interface OfficialSettings {
  readonly url?: string;
  /** Where the registry was set: OCI_REGISTRY, OCI_ROOT_URL, or the YAML file and key. */
  readonly urlFrom?: string;
  readonly tls?: TlsMode;
  readonly namespace?: string;
  readonly crossmountNamespace?: string;
  readonly username?: string;
  readonly password?: string;
  readonly specVersion?: SpecVersion;
  /** Capabilities turned off (never on: touchstone assumes everything unless told otherwise). */
  readonly capabilities: Partial<Capabilities>;
  readonly disabled: readonly Disabled[];
  readonly optIn: readonly string[];
  readonly only: readonly string[];
  readonly resultsDir?: string;
  readonly debug: boolean;
  readonly roData: { readonly tags: readonly string[]; readonly manifests: readonly string[]; readonly blobs: readonly string[]; readonly referrers: readonly string[] };
  /** Deprecation notes and settings touchstone has no equivalent for, one line each. */
  readonly notes: readonly string[];
}

type Kind = 'string' | 'bool' | 'list' | 'tls' | 'log';

/** One setting: its YAML path and its environment variable. */
interface Key {
  readonly path: string;
  readonly env: string;
  readonly kind: Kind;
}

const key = (path: string, env: string, kind: Kind = 'bool'): Key => ({ path, env, kind });

/** Every setting of the official suite's main branch. */
export const OFFICIAL_KEYS: readonly Key[] = [
  key('registry', 'OCI_REGISTRY', 'string'), key('tls', 'OCI_TLS', 'tls'),
  key('repo1', 'OCI_REPO1', 'string'), key('repo2', 'OCI_REPO2', 'string'),
  key('username', 'OCI_USERNAME', 'string'), key('password', 'OCI_PASSWORD', 'string'),
  key('cacheAuth', 'OCI_CACHE_AUTH'), key('logging', 'OCI_LOG', 'log'),
  key('filterTest', 'OCI_FILTER_TEST', 'string'), key('version', 'OCI_VERSION', 'string'), key('resultsDir', 'OCI_RESULTS_DIR', 'string'),
  key('apis.ping', 'OCI_API_PING'), key('apis.pull', 'OCI_API_PULL'), key('apis.push', 'OCI_API_PUSH'),
  key('apis.blobs.atomic', 'OCI_API_BLOBS_ATOMIC'), key('apis.blobs.delete', 'OCI_API_BLOBS_DELETE'),
  key('apis.blobs.digestHeader', 'OCI_API_BLOBS_DIGEST_HEADER'), key('apis.blobs.mountAnonymous', 'OCI_API_BLOBS_MOUNT_ANONYMOUS'),
  key('apis.blobs.uploadCancel', 'OCI_API_BLOBS_UPLOAD_CANCEL'),
  key('apis.manifests.atomic', 'OCI_API_MANIFESTS_ATOMIC'), key('apis.manifests.delete', 'OCI_API_MANIFESTS_DELETE'),
  key('apis.manifests.digestHeader', 'OCI_API_MANIFESTS_DIGEST_HEADER'), key('apis.manifests.tagParam', 'OCI_API_MANIFESTS_TAG_PARAM'),
  key('apis.tags.atomic', 'OCI_API_TAGS_ATOMIC'), key('apis.tags.delete', 'OCI_API_TAGS_DELETE'), key('apis.tags.list', 'OCI_API_TAGS_LIST'),
  key('apis.referrer', 'OCI_API_REFERRER'),
  key('data.image', 'OCI_DATA_IMAGE'), key('data.index', 'OCI_DATA_INDEX'), key('data.indexList', 'OCI_DATA_INDEX_LIST'),
  key('data.sparse', 'OCI_DATA_SPARSE'), key('data.artifact', 'OCI_DATA_ARTIFACT'), key('data.subject', 'OCI_DATA_SUBJECT'),
  key('data.subjectMissing', 'OCI_DATA_SUBJECT_MISSING'), key('data.artifactList', 'OCI_DATA_ARTIFACT_LIST'),
  key('data.subjectList', 'OCI_DATA_SUBJECT_LIST'), key('data.dataField', 'OCI_DATA_DATA_FIELD'),
  key('data.nondistributable', 'OCI_DATA_NONDISTRIBUTABLE'), key('data.customFields', 'OCI_DATA_CUSTOM_FIELDS'),
  key('data.noLayers', 'OCI_DATA_NO_LAYERS'), key('data.emptyBlob', 'OCI_DATA_EMPTY_BLOB'), key('data.sha512', 'OCI_DATA_SHA512'),
  key('roData.tags', 'OCI_RO_DATA_TAGS', 'list'), key('roData.manifests', 'OCI_RO_DATA_MANIFESTS', 'list'),
  key('roData.blobs', 'OCI_RO_DATA_BLOBS', 'list'), key('roData.referrers', 'OCI_RO_DATA_REFERRERS', 'list'),
];

/**
 * The checks a data set or API switch set to false turns off: check ids or id prefixes. A switch
 * without an entry here maps to a capability (below) or is not honoured (OFFICIAL_HELP says which).
 */
export const SWITCHED_CHECKS: Readonly<Record<string, readonly string[]>> = {
  'apis.ping': ['base'],
  'apis.tags.list': ['tags', 'property.tags'],
  'apis.blobs.uploadCancel': ['blobs.upload.cancel', 'blobs.upload.cancel-honoured'],
  'apis.manifests.digestHeader': ['manifests.pull.headers-required'],
  'apis.manifests.tagParam': ['manifests.push.tags-param'],
  'data.image': ['manifests.kind'],
  'data.index': ['manifests.push.index', 'manifests.kind.empty-index', 'gc.safety.index-children'],
  'data.indexList': ['manifests.push.nested-index', 'gc.safety.nested-index'],
  'data.sparse': ['manifests.push.index-missing-child', 'manifests.push.missing-blob'],
  'data.artifact': ['manifests.push.artifact', 'manifests.push.artifact-empty-layer'],
  'data.subject': ['manifests.push.subject-header', 'referrers', 'gc.safety.referrers', 'property.referrers'],
  'data.subjectMissing': ['manifests.push.subject-missing', 'referrers.list.subject-pushed-later'],
  'data.artifactList': ['manifests.kind.artifact-index'],
  'data.subjectList': ['manifests.kind.index-subject'],
  'data.dataField': ['manifests.kind.data-field'],
  'data.nondistributable': ['manifests.kind.non-distributable'],
  'data.customFields': ['manifests.kind.custom-fields'],
  'data.noLayers': ['manifests.kind.no-layers'],
  'data.emptyBlob': ['blobs.upload.empty-blob'],
};

/** Switches of checks added on the main branch: true opts a v1.1.1 run into them. */
const OPT_IN = ['apis.blobs.uploadCancel', 'apis.manifests.digestHeader', 'apis.manifests.tagParam'];

/** Switches that map to a capability: false declares the registry without it. */
const CAPABILITY_OF: Readonly<Record<string, readonly (keyof Capabilities)[]>> = {
  'apis.pull': ['pull'],
  'apis.push': ['push'],
  'apis.blobs.delete': ['blobDeletes'],
  'apis.blobs.atomic': ['blobDeletes'],
  'apis.manifests.delete': ['manifestDeletes'],
  'apis.manifests.atomic': ['manifestDeletes'],
  'apis.tags.delete': ['tagDeletes'],
  'apis.tags.atomic': ['tagDeletes'],
  'apis.blobs.mountAnonymous': ['autoMount'],
  'apis.referrer': ['referrers'],
  'data.sha512': ['sha512'],
};

type Value = string | boolean | readonly string[];
/** A value and where it was set ("OCI_DATA_INDEX=false", "data.index in ./oci-conformance.yaml"). */
interface Setting {
  readonly value: Value;
  readonly from: string;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string, where: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new OfficialConfigError(`${where}: ${JSON.stringify(text)} is not a boolean (1, t, true, TRUE, True, 0, f, false, FALSE, False)`);
}

function checked(k: Key, value: Value, where: string): Value {
  if (k.kind === 'tls' && !['enabled', 'insecure', 'disabled'].includes(String(value).toLowerCase())) {
    throw new OfficialConfigError(`${where}: tls is enabled, insecure or disabled, got ${JSON.stringify(value)}`);
  }
  if (k.kind === 'log' && !['debug', 'info', 'warn', 'error'].includes(String(value).toLowerCase())) {
    throw new OfficialConfigError(`${where}: the log level is debug, info, warn or error, got ${JSON.stringify(value)}`);
  }
  return k.kind === 'tls' || k.kind === 'log' ? String(value).toLowerCase() : value;
}

function fromEnv(env: NodeJS.ProcessEnv): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  for (const k of OFFICIAL_KEYS) {
    const text = env[k.env];
    if (text === undefined || text === '') continue;
    const value = k.kind === 'bool' ? parseGoBool(text, k.env) : k.kind === 'list' ? text.split(' ').filter((s) => s !== '') : text;
    settings.set(k.path, { value: checked(k, value, k.env), from: `${k.env}=${text}` });
  }
  return settings;
}

function fromYaml(text: string, file: string, notes: string[]): Map<string, Setting> {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new OfficialConfigError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const settings = new Map<string, Setting>();
  if (document === null || document === undefined) return settings;
  const known = new Map(OFFICIAL_KEYS.map((k) => [k.path, k]));
  const walk = (node: unknown, prefix: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new OfficialConfigError(`${file}: ${prefix || 'the document'} is not a mapping`);
    for (const [name, value] of Object.entries(node)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      const k = known.get(path);
      if (k === undefined) {
        if (typeof value === 'object' && value !== null && !Array.isArray(value) && OFFICIAL_KEYS.some((x) => x.path.startsWith(`${path}.`))) walk(value, path);
        else if (path !== 'commit') notes.push(`${file}: ${path} is not a setting of the official suite; ignored`);
        continue;
      }
      if (value === null) continue;
      const where = `${path} in ${file}`;
      const ok = k.kind === 'bool' ? typeof value === 'boolean' : k.kind === 'list' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : typeof value === 'string' || typeof value === 'number';
      if (!ok) throw new OfficialConfigError(`${where}: expected ${k.kind === 'bool' ? 'true or false' : k.kind === 'list' ? 'a list of strings' : 'a string'}, got ${JSON.stringify(value)}`);
      settings.set(path, { value: checked(k, typeof value === 'number' ? String(value) : (value as Value), where), from: where });
    }
  };
  walk(document, '');
  return settings;
}

/** The legacy variables the official main branch still reads (with a deprecation note). */
function fromLegacy(env: NodeJS.ProcessEnv, notes: string[]): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  const set = (name: string, path: string, value: Value, instead: string): void => {
    settings.set(path, { value, from: `${name}=${env[name]}` });
    notes.push(`${name} is deprecated in the official suite: use ${instead}`);
  };
  const root = env.OCI_ROOT_URL?.trim();
  if (root) {
    const [, scheme, rest] = /^(?:([a-z]+):\/\/)?(.*?)\/*$/i.exec(root) ?? [];
    set('OCI_ROOT_URL', 'registry', rest ?? root, 'OCI_REGISTRY and OCI_TLS');
    settings.set('tls', { value: scheme?.toLowerCase() === 'http' ? 'disabled' : 'enabled', from: `OCI_ROOT_URL=${root}` });
  }
  if (env.OCI_NAMESPACE) set('OCI_NAMESPACE', 'repo1', env.OCI_NAMESPACE.trim().toLowerCase().replace(/\/+$/, ''), 'OCI_REPO1');
  if (env.OCI_CROSSMOUNT_NAMESPACE) set('OCI_CROSSMOUNT_NAMESPACE', 'repo2', env.OCI_CROSSMOUNT_NAMESPACE.trim().toLowerCase().replace(/\/+$/, ''), 'OCI_REPO2');
  if (env.OCI_DEBUG && parseGoBool(env.OCI_DEBUG, 'OCI_DEBUG')) set('OCI_DEBUG', 'logging', 'debug', 'OCI_LOG=debug');
  for (const [name, path] of [['OCI_TAG_NAME', 'roData.tags'], ['OCI_MANIFEST_DIGEST', 'roData.manifests'], ['OCI_BLOB_DIGEST', 'roData.blobs']] as const) {
    if (env[name]) set(name, path, (env[name] as string).split(' ').filter((s) => s !== ''), path.replace('roData.', 'OCI_RO_DATA_').toUpperCase());
  }
  return settings;
}

/** The file the official suite would read: OCI_CONFIGURATION, else ./oci-conformance.yaml if present. */
function configFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (env.OCI_CONFIGURATION !== undefined) return env.OCI_CONFIGURATION;
  const file = `${cwd}/oci-conformance.yaml`;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function version(text: string | undefined, from: string): SpecVersion | '1.0' {
  switch (text ?? '') {
    case '': case '1.1': case 'stable': return 'v1.1.1';
    case 'dev': case '1.1+dev': return 'main';
    case '1.0': return '1.0';
    default: throw new OfficialConfigError(`${from}: unsupported config version ${JSON.stringify(text)} (1.0, 1.1, stable, dev or 1.1+dev)`);
  }
}

/** Reads the official configuration from `env` and the YAML file it names (relative to `cwd`). */
export function readOfficialConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): OfficialSettings {
  const notes: string[] = [];
  const file = configFile(env, cwd);
  let text = '';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new OfficialConfigError(`cannot read the configuration file ${file} (OCI_CONFIGURATION): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const merged = new Map([...fromLegacy(env, notes), ...(file === undefined ? [] : fromYaml(text, file, notes)), ...fromEnv(env)]);
  const get = (path: string): Setting | undefined => merged.get(path);
  const str = (path: string): string | undefined => get(path)?.value as string | undefined;
  const list = (path: string): readonly string[] => (get(path)?.value as readonly string[] | undefined) ?? [];

  const specVersion = version(str('version'), get('version')?.from ?? 'version');
  const capabilities: Partial<Record<keyof Capabilities, boolean>> = specVersion === '1.0' ? { referrers: false, autoMount: false } : {};
  if (specVersion === '1.0') notes.push('version 1.0: touchstone holds the registry to v1.1.1 without referrers and anonymous mounts');
  const disabled: Disabled[] = [];
  const optIn: string[] = [];
  const byCapability = new Map<keyof Capabilities, boolean[]>();
  for (const [path, setting] of merged) {
    if (typeof setting.value !== 'boolean') continue;
    for (const capability of CAPABILITY_OF[path] ?? []) byCapability.set(capability, [...(byCapability.get(capability) ?? []), setting.value]);
    if (!setting.value) for (const prefix of SWITCHED_CHECKS[path] ?? []) disabled.push({ prefix, reason: setting.from });
    if (setting.value && OPT_IN.includes(path)) optIn.push(...(SWITCHED_CHECKS[path] ?? []));
  }
  // An explicit switch overrides the version's default; any switch set to false turns the capability off.
  for (const [capability, values] of byCapability) {
    if (values.includes(false)) capabilities[capability] = false;
    else delete capabilities[capability];
  }
  for (const [path, why] of [['cacheAuth', 'touchstone keeps one token per scope for the whole run'], ['apis.blobs.digestHeader', 'touchstone checks the blob Docker-Content-Digest as a SHOULD (blobs.pull.headers) whatever it says']] as const) {
    const setting = get(path);
    if (setting !== undefined) notes.push(`${setting.from} is not honoured: ${why}`);
  }
  const registry = str('registry');
  if (registry !== undefined && /^[a-z]+:\/\//i.test(registry)) throw new OfficialConfigError(`${get('registry')?.from}: the registry is hostname[:port], without a scheme (OCI_TLS chooses it)`);
  const tls = str('tls') as TlsMode | undefined;
  const filter = str('filterTest');
  return {
    ...(registry !== undefined ? { url: `${tls === 'disabled' ? 'http' : 'https'}://${registry.replace(/\/+$/, '')}`, urlFrom: get('registry')?.from.split('=')[0] } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(str('repo1') !== undefined ? { namespace: str('repo1') } : {}),
    ...(str('repo2') !== undefined ? { crossmountNamespace: str('repo2') } : {}),
    ...(str('username') !== undefined ? { username: str('username') } : {}),
    ...(str('password') !== undefined ? { password: str('password') } : {}),
    ...(get('version') !== undefined ? { specVersion: specVersion === '1.0' ? 'v1.1.1' : specVersion } : {}),
    capabilities,
    disabled,
    optIn,
    only: filter === undefined ? [] : [filter],
    ...(str('resultsDir') !== undefined ? { resultsDir: str('resultsDir') } : {}),
    debug: str('logging') === 'debug',
    roData: { tags: list('roData.tags'), manifests: list('roData.manifests'), blobs: list('roData.blobs'), referrers: list('roData.referrers') },
    notes,
  };
}

/** What `touchstone check --help` says of the official suite's configuration. */
export const OFFICIAL_HELP = `the official OCI conformance suite's configuration (distribution-spec main) is read too:
environment > YAML file (OCI_CONFIGURATION, else ./oci-conformance.yaml) > legacy variables; flags win
over all. Booleans as Go's ParseBool (1 t true TRUE True 0 f false FALSE False); unset switches keep
touchstone's defaults; a switch set to false skips its checks "disabled by <where it was set>".
  honoured
    OCI_REGISTRY + OCI_TLS       the URL: https://REGISTRY, or http:// with OCI_TLS=disabled;
                                 OCI_TLS=insecure accepts any certificate
    OCI_REPO1, OCI_REPO2         namespaces of the repositories the run creates (<repo1>/<run id>-…);
                                 OCI_RO_DATA_* are read from repo1 itself
    OCI_USERNAME, OCI_PASSWORD   credentials
    OCI_VERSION                  1.1, stable (default) → --spec-version v1.1.1; dev, 1.1+dev → main;
                                 1.0 → v1.1.1 without referrers and anonymous mounts
    OCI_FILTER_TEST              as --only (a prefix of touchstone's check ids, not the official names)
    OCI_RESULTS_DIR              writes results.yaml, report.html and junit.xml there
    OCI_LOG=debug                prints the exchanges of every check that did not pass (as OCI_DEBUG)
    OCI_API_PULL, _PUSH, _REFERRER, _BLOBS_MOUNT_ANONYMOUS, _BLOBS_DELETE, _MANIFESTS_DELETE,
      _TAGS_DELETE               declare the registry without that API (like --no-…)
    OCI_API_*_ATOMIC=false       deletes that land later: those deletes are not checked (touchstone
                                 checks every delete by its effect right after it)
    OCI_API_PING, _TAGS_LIST     false: the base check, the tag listing checks
    OCI_API_BLOBS_UPLOAD_CANCEL, _MANIFESTS_DIGEST_HEADER, _MANIFESTS_TAG_PARAM
                                 main-branch checks: false skips them, true runs them under v1.1.1
    OCI_DATA_*                   false skips the checks of that kind of content (SHA512 also as
                                 --no-sha512); touchstone also checks kinds the official suite does not
    OCI_RO_DATA_TAGS, _MANIFESTS, _BLOBS, _REFERRERS   existing content (space-separated) read as
                                 --image repo1:TAG / repo1@DIGEST; with OCI_API_PUSH=false: --read-only
    legacy: OCI_ROOT_URL, OCI_NAMESPACE, OCI_CROSSMOUNT_NAMESPACE, OCI_DEBUG, OCI_TAG_NAME,
      OCI_MANIFEST_DIGEST, OCI_BLOB_DIGEST; OCI_TEST_PULL/_PUSH/_CONTENT_DISCOVERY/_CONTENT_MANAGEMENT
      keep the v1.1.1 suite's meaning (when any is set, only those set to true run);
      touchstone's own: OCI_AUTOMATIC_CROSSMOUNT, OCI_REPORT_DIR (report.json, junit.xml, report.html)
  not honoured (noted on stderr)
    OCI_CACHE_AUTH               touchstone keeps one token per scope for the whole run
    OCI_LOG=info|warn|error      touchstone prints progress and a summary, not log levels
    OCI_API_BLOBS_DIGEST_HEADER  the blob digest header is checked as a SHOULD (blobs.pull.headers)`;
