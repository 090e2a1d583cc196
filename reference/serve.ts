/**
 * `touchstone serve`: flags to registry options, a start-up summary of the configuration (so an
 * operator sees deletes, GC, expiry and limits without reading code), and a graceful stop:
 * SIGTERM or SIGINT stops accepting, lets requests in flight finish for up to --drain-timeout
 * seconds, and logs one line saying what finished and what was cut. Nothing half-done is
 * committed: a cut upload keeps its bytes as a resumable session, a manifest push that did not
 * finish left index.json as it was.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startRegistry, DEFAULTS, DEFAULT_GC_GRACE_MS, type RegistryOptions, type RunningRegistry } from './registry.ts';
import { FAULT_CATALOG, isAuthFault, isFaultName, type FaultName } from './faults/catalog.ts';
import { AUTH_FAULTS } from './faults/auth.ts';
import { SECURITY_FLAGS, SECURITY_USAGE, securityOptions } from './auth/flags.ts';
import { UsageError, bytes, seconds, whole } from './cli-values.ts';

export const SERVE_USAGE = `touchstone serve [--port 5000] [--host 127.0.0.1] [--root ./data] [--no-delete] [--auto-mount]
                 [--gc-interval SECONDS] [--gc-grace SECONDS] [--gc-delete-untagged]
                 [--upload-expiry SECONDS] [--idle-timeout SECONDS] [--drain-timeout SECONDS]
                 [--max-uploads N] [--max-manifest-memory BYTES] [--max-blob-size BYTES]
                 [--tags-page-size N] [--referrers-page-size N] [--catalog-page-size N] [--quiet]
                 [--fault NAME]... [--list-faults]
                 ${SECURITY_USAGE}`;

export const SERVE_HELP = `usage: touchstone serve [options]
  runs the reference registry until SIGINT or SIGTERM (then drains: requests in flight finish)

  --port N                     port to listen on (default 5000; 0 picks a free one)
  --host H                     address to listen on (default 127.0.0.1)
  --root DIR                   the store: one OCI image layout per repository (default ./data)
  --no-delete                  refuse manifest, tag and blob deletes (405 UNSUPPORTED)
  --auto-mount                 a mount without from= finds the blob in any repository
  --gc-interval SECONDS        collect garbage periodically (default: only when asked)
  --gc-grace SECONDS           blobs and uploads younger than this survive GC (default 3600)
  --gc-delete-untagged         GC also collects untagged manifests nothing reaches
  --upload-expiry SECONDS      idle upload sessions go after this, GC or not (default 3600; 0: never)
  --idle-timeout SECONDS       close connections with no traffic for this long (default 60)
  --drain-timeout SECONDS      on SIGTERM/SIGINT, let requests finish for this long (default 10)
  --max-uploads N              blob uploads streaming at once, 429 above (default 256)
  --max-manifest-memory SIZE   manifest bytes held at once, 429 above (default 64MiB)
  --max-blob-size SIZE         largest blob an upload may make, 413 above (default 64GiB)
  --tags-page-size N           most tags per page, with n or without (default 1000)
  --referrers-page-size N      referrers per page (default 20)
  --catalog-page-size N        most repositories per GET /v2/_catalog page (default 100)
  --tls-cert FILE --tls-key FILE   serve HTTPS with this certificate chain and key
  --auth htpasswd --htpasswd FILE  Basic authentication (bcrypt entries, as htpasswd -B writes)
  --auth token --token-key FILE --token-cert FILE [--htpasswd FILE] [--token-issuer NAME]
               [--token-service NAME] [--token-ttl SECONDS] [--token-realm URL]
                               the distribution token flow, tokens from this server's /token
  --policy FILE                who may pull, push, delete which repositories (YAML or JSON)
  --quiet                      no request log
  --fault NAME                 turn on a fault of the catalog (repeatable)
  --list-faults                print the fault catalog and exit
  -h, --help                   this text`;

const OPTIONS = {
  port: { type: 'string', default: '5000' },
  host: { type: 'string', default: '127.0.0.1' },
  root: { type: 'string', default: './data' },
  'no-delete': { type: 'boolean', default: false },
  'auto-mount': { type: 'boolean', default: false },
  'gc-interval': { type: 'string' },
  'gc-grace': { type: 'string' },
  'gc-delete-untagged': { type: 'boolean', default: false },
  'upload-expiry': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'max-uploads': { type: 'string' },
  'max-manifest-memory': { type: 'string' },
  'max-blob-size': { type: 'string' },
  'tags-page-size': { type: 'string' },
  'referrers-page-size': { type: 'string' },
  'catalog-page-size': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  fault: { type: 'string', multiple: true, default: [] as string[] },
  'list-faults': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  ...SECURITY_FLAGS,
} as const;

/** Starts the registry and keeps it running until a signal; false when it only printed its help or the faults. */
export async function serve(args: string[]): Promise<boolean> {
  const { values } = parseArgs({ args, options: OPTIONS });
  if (values.help) {
    process.stdout.write(`${SERVE_HELP}\n`);
    return false;
  }
  if (values['list-faults']) {
    for (const [name, mirrors] of Object.entries({ ...FAULT_CATALOG, ...AUTH_FAULTS })) process.stdout.write(`${name.padEnd(30)} ${mirrors}\n`);
    return false;
  }
  const faults: FaultName[] = [];
  for (const name of values.fault) {
    if (!isFaultName(name)) throw new UsageError(`unknown fault ${name} (see --list-faults)`);
    faults.push(name);
  }
  const security = securityOptions(values);
  const authFaults = faults.filter(isAuthFault);
  if (authFaults.length > 0 && !security.auth) throw new UsageError(`the faults ${authFaults.join(', ')} need --auth`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port needs a port number, got ${values.port}`);
  const deletes = !values['no-delete'];
  const root = resolve(values.root);
  const options: RegistryOptions = {
    root,
    host: values.host,
    port,
    deletes: { manifests: deletes, tags: deletes, blobs: deletes },
    autoMount: values['auto-mount'],
    gcIntervalMs: seconds(values['gc-interval'], '--gc-interval'),
    gcGraceMs: seconds(values['gc-grace'], '--gc-grace') ?? DEFAULT_GC_GRACE_MS,
    gcDeleteUntagged: values['gc-delete-untagged'],
    uploadExpiryMs: seconds(values['upload-expiry'], '--upload-expiry'),
    idleTimeoutMs: seconds(values['idle-timeout'], '--idle-timeout', 0.001),
    maxUploads: whole(values['max-uploads'], '--max-uploads', 1),
    maxManifestMemory: bytes(values['max-manifest-memory'], '--max-manifest-memory'),
    maxBlobBytes: bytes(values['max-blob-size'], '--max-blob-size'),
    tagsPageSize: whole(values['tags-page-size'], '--tags-page-size', 1),
    referrersPageSize: whole(values['referrers-page-size'], '--referrers-page-size', 1),
    catalogPageSize: whole(values['catalog-page-size'], '--catalog-page-size', 1),
    ...(values.quiet ? { log: () => undefined } : {}),
    ...(faults.length > 0 ? { faults } : {}),
    ...security,
  };
  const drainMs = seconds(values['drain-timeout'], '--drain-timeout') ?? 10_000;
  const registry = await startRegistry(options);
  process.stderr.write(`touchstone registry listening on ${registry.url} (store: ${root})\n${describe(options, registry, drainMs)}\n`);
  if (security.auth && !security.tls) process.stderr.write('warning: authentication without --tls-cert: passwords and tokens travel in clear text\n');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    void registry.drain(drainMs).then(({ finished, cut }) => {
      process.stderr.write(`touchstone registry stopped on ${signal}: ${finished} requests in flight finished, ${cut} cut after ${Date.now() - started} ms; nothing half-done was committed\n`);
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return true;
}

/** The configuration in a few lines, for the operator. */
function describe(options: RegistryOptions, registry: RunningRegistry, drainMs: number): string {
  const s = (ms: number): string => `${ms / 1000} s`;
  const size = (n: number): string => (n >= 1024 ** 3 ? `${n / 1024 ** 3} GiB` : `${n / 1024 ** 2} MiB`);
  const { deletes, gc, pages, limits } = registry.config;
  const enabled = Object.entries(deletes).filter(([, on]) => on).map(([what]) => what);
  const expiry = options.uploadExpiryMs ?? DEFAULTS.uploadExpiryMs;
  const lines = [
    `  deletes: ${enabled.length > 0 ? enabled.join(', ') : 'none'}; mounts without from: ${registry.config.autoMount ? 'searched' : 'not searched'}`,
    `  gc: on demand (POST /_touchstone/gc)${options.gcIntervalMs === undefined ? '' : ` and every ${s(options.gcIntervalMs)}`}; grace ${s(gc.graceMs)}; untagged manifests ${gc.deleteUntagged ? 'collected' : 'kept'}`,
    `  uploads: idle sessions expire after ${expiry === 0 ? 'never' : s(expiry)}; at most ${limits.config.uploads} at once; blobs up to ${size(options.maxBlobBytes ?? DEFAULTS.maxBlobBytes)}`,
    `  limits: idle connections closed after ${s(options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs)}; manifests in memory up to ${size(limits.config.manifestBytes)}; drain on stop up to ${s(drainMs)}`,
    `  pages: tags ${pages.tags}, referrers ${pages.referrers}, catalog ${pages.catalog}`,
    `  access: ${options.auth ? `${options.auth.mode}${options.auth.policy ? `, policy ${options.auth.policy}` : ', every user may do everything, anonymous nothing'}` : 'anonymous, unrestricted'}${options.tls ? '; TLS' : ''}`,
  ];
  if (registry.recovered > 0) lines.push(`  recovered: removed ${registry.recovered} leftovers of writes a previous run did not finish`);
  if (registry.faults) lines.push(`  FAULTS (deliberate deviations from the spec): ${registry.faults.list().join(', ')}`);
  return lines.join('\n');
}
