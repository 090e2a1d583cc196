/**
 * `touchstone serve | gc | scrub`: the reference registry's command line.
 *   serve  [--port 5000] [--host 127.0.0.1] [--root ./data] [--no-delete] [--auto-mount]
 *          [--gc-interval S] [--gc-grace S] [--gc-delete-untagged] [--quiet]
 *          [--fault NAME]… [--list-faults]                 deviations for the fault catalog
 *          [--tls-cert F --tls-key F] [--auth htpasswd|token …] [--policy F]   reference/auth/flags.ts
 *   gc     --root DIR [--grace S] [--delete-untagged]   offline; stop the server first
 *   scrub  --root DIR                                  exits 1 when anything is damaged
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startRegistry, DEFAULT_GC_GRACE_MS } from './http/server.ts';
import { ImageStore } from './store/image-store.ts';
import { FAULT_CATALOG, isFaultName, type FaultName } from './faults.ts';
import { AUTH_FAULTS, isAuthFaultName, type AuthFaultName } from './auth/faults.ts';
import { ConfigError } from './auth/errors.ts';
import { SECURITY_FLAGS, SECURITY_USAGE, securityOptions } from './auth/flags.ts';

const USAGE = `usage:
  touchstone serve [--port 5000] [--host 127.0.0.1] [--root ./data] [--no-delete] [--auto-mount]
                   [--gc-interval SECONDS] [--gc-grace SECONDS] [--gc-delete-untagged] [--quiet]
                   [--fault NAME]... [--list-faults]
                   ${SECURITY_USAGE}
  touchstone gc --root DIR [--grace SECONDS] [--delete-untagged]
  touchstone scrub --root DIR`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`${flag} needs a number of seconds, got ${value}`);
  return number * 1000;
}

/** Starts the registry; false when it only listed the faults. */
async function serve(args: string[]): Promise<boolean> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '5000' },
      host: { type: 'string', default: '127.0.0.1' },
      root: { type: 'string', default: './data' },
      'no-delete': { type: 'boolean', default: false },
      'auto-mount': { type: 'boolean', default: false },
      'gc-interval': { type: 'string' },
      'gc-grace': { type: 'string' },
      'gc-delete-untagged': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      fault: { type: 'string', multiple: true, default: [] },
      'list-faults': { type: 'boolean', default: false },
      ...SECURITY_FLAGS,
    },
  });
  if (values['list-faults']) {
    for (const [name, mirrors] of Object.entries({ ...FAULT_CATALOG, ...AUTH_FAULTS })) process.stdout.write(`${name.padEnd(30)} ${mirrors}\n`);
    return false;
  }
  const faults: FaultName[] = [];
  const authFaults: AuthFaultName[] = [];
  for (const name of values.fault) {
    if (isFaultName(name)) faults.push(name);
    else if (isAuthFaultName(name)) authFaults.push(name);
    else throw new UsageError(`unknown fault ${name} (see --list-faults)`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port needs a port number, got ${values.port}`);
  const deletes = !values['no-delete'];
  const security = securityOptions(values, authFaults);
  const registry = await startRegistry({
    root: resolve(values.root),
    host: values.host,
    port,
    deletes: { manifests: deletes, tags: deletes, blobs: deletes },
    autoMount: values['auto-mount'],
    gcIntervalMs: seconds(values['gc-interval'], '--gc-interval'),
    gcGraceMs: seconds(values['gc-grace'], '--gc-grace') ?? DEFAULT_GC_GRACE_MS,
    gcDeleteUntagged: values['gc-delete-untagged'],
    ...(values.quiet ? { log: () => undefined } : {}),
    faults,
    ...security,
  });
  const faultNote = faults.length + authFaults.length > 0 ? ` with faults: ${[...faults, ...authFaults].join(', ')}` : '';
  process.stderr.write(`touchstone registry listening on ${registry.url} (store: ${resolve(values.root)})${faultNote}\n`);
  if (security.auth && !security.tls) process.stderr.write('warning: authentication without --tls-cert: passwords and tokens travel in clear text\n');
  const stop = (): void => {
    void registry.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return true;
}

async function gc(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { root: { type: 'string' }, grace: { type: 'string' }, 'delete-untagged': { type: 'boolean', default: false } },
  });
  if (values.root === undefined) throw new UsageError('gc needs --root DIR');
  const store = await ImageStore.open(resolve(values.root));
  const report = await store.collectGarbage({
    graceMs: seconds(values.grace, '--grace') ?? DEFAULT_GC_GRACE_MS,
    deleteUntagged: values['delete-untagged'],
  });
  for (const item of report.manifestsRemoved) process.stdout.write(`removed manifest ${item}\n`);
  for (const item of report.blobsRemoved) process.stdout.write(`removed blob ${item}\n`);
  process.stdout.write(
    `gc: ${report.repositories} repositories, ${report.manifestsRemoved.length} manifests, ${report.blobsRemoved.length} blobs (${report.bytesFreed} bytes), ${report.uploadsRemoved} uploads removed\n`,
  );
  return 0;
}

async function scrubCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { root: { type: 'string' } } });
  if (values.root === undefined) throw new UsageError('scrub needs --root DIR');
  const store = await ImageStore.open(resolve(values.root));
  const report = await store.scrub();
  for (const p of report.problems) process.stdout.write(`DAMAGED ${p.repository} ${p.item}: ${p.problem}\n`);
  process.stdout.write(`scrub: ${report.repositories} repositories, ${report.blobs} blobs, ${report.manifests} manifests checked, ${report.problems.length} problems\n`);
  return report.problems.length === 0 ? 0 : 1;
}

/** Runs a reference subcommand; returns the exit code, or undefined while `serve` keeps running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return (await serve(rest)) ? undefined : 0;
      case 'gc':
        return await gc(rest);
      case 'scrub':
        return await scrubCommand(rest);
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`touchstone: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
