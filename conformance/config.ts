/**
 * What a run is told about its target: where it is, which namespace to use, which spec version
 * to hold it to, what it does not offer (those checks are skipped with the reason, not failed),
 * how to make it collect garbage or restart, and how long the property layer may run.
 */
export type SpecVersion = 'v1.1.1' | 'main';

export interface Capabilities {
  /** The official suite's four categories (OCI_TEST_PULL, _PUSH, _CONTENT_DISCOVERY, _CONTENT_MANAGEMENT). */
  readonly pull: boolean;
  readonly push: boolean;
  readonly contentDiscovery: boolean;
  readonly contentManagement: boolean;
  readonly manifestDeletes: boolean;
  readonly tagDeletes: boolean;
  readonly blobDeletes: boolean;
  readonly referrers: boolean;
  readonly autoMount: boolean;
  readonly sha512: boolean;
}

export type Capability = keyof Capabilities;

export interface GcTrigger {
  /**
   * Makes the target collect garbage and resolves when it is done. `advanceMs` asks for one
   * collection as if the clock were that far ahead (only when `canAdvance`; otherwise always 0).
   */
  run(advanceMs: number): Promise<void>;
  /** The trigger can collect as if time had passed (the reference registry's built-in trigger can). */
  readonly canAdvance: boolean;
  /** For messages and reports: "touchstone endpoint", "command: …". */
  readonly description: string;
}

export interface GcConfig {
  /** Makes the target collect garbage; undefined when the run has no way to. */
  readonly trigger: GcTrigger | undefined;
  /** The target's grace period: blobs younger than this must survive GC. */
  readonly graceMs: number;
  /** Also check that garbage is reclaimed (unreferenced blobs become 404 after GC past the grace period). */
  readonly expectReclaims: boolean;
  /** With expectReclaims: the registry also collects untagged manifests. */
  readonly reclaimsUntagged: boolean;
  /** Also race manifest pushes and pulls, blob uploads and mounts against collections (gc.race.*: tens of seconds; --race-checks). */
  readonly races?: boolean;
}

/**
 * Restarts the target on the same store and address (`--restart-command`, or the embedded
 * reference registry's own restart), for persistence.restart.
 */
export interface RestartTrigger {
  /**
   * Stops the target and starts it again; resolves once it answers GET /v2/ again. Rejects with a
   * HarnessError when the trigger itself could not do its work (a command that failed), with any
   * other error when the registry did not come back (it did not start, or did not answer in time).
   */
  run(): Promise<void>;
  /** For messages and reports: "command: …", "the embedded reference registry, closed and started again". */
  readonly description: string;
}

export interface PropertyConfig {
  /** Executions per property (fast-check numRuns). */
  readonly runs: number;
  /** Wall time for the whole property layer, split evenly between the properties that run. */
  readonly timeBudgetMs: number;
  /** Extra wall time a property may spend shrinking a counterexample it found. */
  readonly shrinkBudgetMs: number;
  readonly seed: number | undefined;
  /** fast-check's counterexample path, then "~" and the commands' replay path (printed on failure). */
  readonly path: string | undefined;
  readonly maxCommands: number;
  /** Stop the property layer at the first property that fails (the rest are skipped). */
  readonly stopAtFirstFailure: boolean;
  /** The command line that reruns this run; a replay appends --only, --seed and --path to it. */
  readonly commandLine: string;
}

export interface RunConfig {
  readonly url: string;
  readonly namespace: string;
  readonly crossmountNamespace: string;
  readonly specVersion: SpecVersion;
  readonly capabilities: Capabilities;
  readonly only: readonly string[];
  readonly skip: readonly string[];
  readonly gc: GcConfig;
  /** Restarts the target (persistence.restart); undefined when the run has no way to. */
  readonly restart?: RestartTrigger | undefined;
  readonly property: PropertyConfig | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly cleanup: boolean;
  /** Unique per run: every repository the run creates is under namespace/<runId>-… */
  readonly runId: string;
  /** Write nothing: only checks marked readOnly run, the rest skip ("read-only: needs a push"). */
  readonly readOnly?: boolean;
  /** Existing content the needsExisting checks read. */
  readonly existing?: ExistingContent;
  /** Checks turned off by configuration (OCI_API_*, OCI_DATA_* set to false). */
  readonly disabled?: readonly Disabled[];
  /** Checks of spec main a v1.1.1 run opts into one by one (OCI_API_MANIFESTS_TAG_PARAM=true …). */
  readonly optIn?: readonly string[];
  /**
   * TLS towards the registry: 'disabled' is plain HTTP (an http:// URL), 'enabled' verifies the
   * certificate, 'insecure' accepts any certificate (OCI_TLS=insecure). The client's TLS options
   * read this field; undefined means the URL's scheme decides with verification on.
   */
  readonly tls?: TlsMode;
  /** PEM CA certificates the client trusts instead of the system's (--ca-file), and the file's name. */
  readonly ca?: string;
  readonly caFile?: string;
  /** The auth.* checks (--auth-checks), with the second, restricted identity they need. */
  readonly auth?: AuthChecks;
}

/** What the auth.* checks are told (--auth-checks): docs in README "Checking an authenticated registry". */
export interface AuthChecks {
  /** An identity that may pull `repository` and do nothing else. */
  readonly username: string;
  readonly password: string;
  readonly repository: string;
  /** The longest auth.token.expired waits for a token to expire. */
  readonly tokenWaitMs: number;
  /** How long past `exp` the registry may still accept a token (clock skew, RFC 7519 §4.1.4). */
  readonly tokenLeewayMs: number;
}

/** The restricted identity's repository when --restricted-repository is not given. */
export function defaultRestrictedRepository(namespace: string): string {
  return `${namespace}/restricted`;
}

/** An existing manifest the run reads and writes nothing to: repo:tag, repo@digest or repo:tag@digest. */
export interface ImageRef {
  readonly repo: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Content already in the registry, named by the user (--image, OCI_RO_DATA_*). */
export interface ExistingContent {
  readonly images: readonly ImageRef[];
  /** Blobs of a repository (OCI_RO_DATA_BLOBS). */
  readonly blobs: readonly { readonly repo: string; readonly digest: string }[];
  /** Subjects whose referrers to list (OCI_RO_DATA_REFERRERS). */
  readonly referrers: readonly { readonly repo: string; readonly digest: string }[];
}

/** Checks (or properties) turned off by configuration: skipped with the reason, reported as disabled. */
export interface Disabled {
  /** A check id or id prefix. */
  readonly prefix: string;
  readonly reason: string;
}

/** How a skip by configuration (OCI_API_*, OCI_DATA_*) begins. */
export const DISABLED_BY = 'disabled by';

/** The reason a check or property is turned off by configuration: its id or an id prefix ("a.b" covers "a.b.c") is disabled. */
export function disabledReason(id: string, config: Pick<RunConfig, 'disabled'>): string | undefined {
  const hit = (config.disabled ?? []).find((d) => id === d.prefix || id.startsWith(`${d.prefix}.`));
  return hit === undefined ? undefined : `${DISABLED_BY} ${hit.reason}`;
}

/** How the run reaches the registry over TLS (the official suite's OCI_TLS). */
export type TlsMode = 'enabled' | 'insecure' | 'disabled';

export const ALL_CAPABILITIES: Capabilities = {
  pull: true,
  push: true,
  contentDiscovery: true,
  contentManagement: true,
  manifestDeletes: true,
  tagDeletes: true,
  blobDeletes: true,
  referrers: true,
  autoMount: true,
  sha512: true,
};

/** A run against `url` with every default: all capabilities, spec main, no GC, no property layer. */
export function defaultRunConfig(url: string, overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    url,
    namespace: 'conformance',
    crossmountNamespace: 'crossmount',
    specVersion: 'main',
    capabilities: ALL_CAPABILITIES,
    only: [],
    skip: [],
    gc: { trigger: undefined, graceMs: 0, expectReclaims: false, reclaimsUntagged: false },
    property: undefined,
    username: undefined,
    password: undefined,
    cleanup: false,
    runId: 'run1',
    ...overrides,
  };
}
